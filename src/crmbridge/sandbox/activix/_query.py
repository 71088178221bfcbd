"""Listing leads in the sandbox: paging with ``links``/``meta``, ``filter[...]`` and full-text search."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.datastructures import URL

from crmbridge.sandbox.activix._state import ActivixState, Document
from crmbridge.sandbox.activix._validate import Errors, parse_date

__all__ = ["DEFAULT_PER_PAGE", "Predicate", "page_of", "parse_filters", "parse_paging", "search_predicate"]

DEFAULT_PER_PAGE = 25
Predicate = Callable[[Document], bool]

_FILTER_KEY = re.compile(r"^filter\[([^\]]*)\](?:\[([^\]]*)\])?$")
_DATE_FIELDS = ("created_at", "updated_at", "sale_date")
_TEXT_FIELDS = ("name", "email", "phone", "postal_code", "division")
_DATE_OPERATORS = ("gt", "gte", "lt", "lte")
_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "eq": lambda day, wanted: day == wanted,
    "gt": lambda day, wanted: day > wanted,
    "gte": lambda day, wanted: day >= wanted,
    "lt": lambda day, wanted: day < wanted,
    "lte": lambda day, wanted: day <= wanted,
}


# -- paging -----------------------------------------------------------------------------------------


def parse_paging(params: list[tuple[str, str]]) -> tuple[int, int]:
    """``(page, per_page)`` from the query; a 422 naming the parameter when out of range."""
    errors = Errors()
    values = dict(params)
    page = _positive(errors, "page", values.get("page", "1"), None)
    per_page = _positive(errors, "per_page", values.get("per_page", str(DEFAULT_PER_PAGE)), 100)
    errors.raise_if_any()
    return page, per_page


def _positive(errors: Errors, name: str, raw: str, most: int | None) -> int:
    if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        limit = f" between 1 and {most}" if most is not None else " at least 1"
        errors.add(name, f"The {name} must be an integer{limit}.")
        return 1
    return int(raw)


def page_of(url: URL, items: Sequence[Document], page: int, per_page: int) -> tuple[list[Document], dict[str, Any]]:
    """The items of ``page`` and the ``links``/``meta`` of the envelope (``data`` is the caller's)."""
    total = len(items)
    last_page = max(1, math.ceil(total / per_page))
    start = (page - 1) * per_page
    chosen = list(items[start : start + per_page])

    def link(number: int) -> str:
        return str(url.include_query_params(page=number))

    envelope = {
        "links": {
            "first": link(1),
            "last": link(last_page),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last_page else None,
        },
        "meta": {
            "current_page": page,
            "from": start + 1 if chosen else None,
            "to": start + len(chosen) if chosen else None,
            "last_page": last_page,
            "path": str(url.replace(query="")),
            "per_page": per_page,
            "total": total,
        },
    }
    return chosen, envelope


# -- filters ----------------------------------------------------------------------------------------


def parse_filters(state: ActivixState, params: list[tuple[str, str]]) -> list[Predicate]:
    """One predicate per ``filter[...]`` parameter; a 422 naming each unknown or invalid one."""
    errors = Errors()
    predicates: list[Predicate] = []
    for key, value in params:
        match = _FILTER_KEY.match(key)
        if match is None:
            continue
        field, operator = match.group(1), match.group(2)
        predicate = _filter(state, errors, field, operator, value)
        if predicate is not None:
            predicates.append(predicate)
    errors.raise_if_any()
    return predicates


def _filter(state: ActivixState, errors: Errors, field: str, operator: str | None, value: str) -> Predicate | None:
    where = f"filter.{field}" + (f".{operator}" if operator else "")
    if field in _DATE_FIELDS:
        return _date_filter(errors, where, field, operator, value)
    if field not in _TEXT_FIELDS:
        errors.add(where, f"The filter {field} is not allowed (allowed: {', '.join(_DATE_FIELDS + _TEXT_FIELDS)}).")
        return None
    if operator is not None:
        errors.add(where, f"The filter {field} takes no operator.")
        return None
    return _text_filter(state, field, value)


def _date_filter(errors: Errors, where: str, field: str, operator: str | None, value: str) -> Predicate | None:
    if operator is not None and operator not in _DATE_OPERATORS:
        errors.add(where, "The operator must be one of gt, gte, lt, lte.")
        return None
    if parse_date(value) is None:
        errors.add(where, f"The {where} is not a valid date (YYYY-MM-DD).")
        return None
    compare = _OPERATORS[operator or "eq"]  # a plain date means that whole day

    def matches(lead: Document) -> bool:
        stamp = lead.get(field)
        # Stored timestamps are UTC in one fixed form, so their first ten characters are the UTC day.
        return stamp is not None and compare(stamp[:10], value)

    return matches


def _text_filter(state: ActivixState, field: str, value: str) -> Predicate:
    if field == "division":
        wanted = {None if part.strip().lower() == "none" else part.strip().lower() for part in value.split(",")}
        return lambda lead: (lead.get("division") or None) in wanted
    if field == "postal_code":
        prefix = _squash(value)
        return lambda lead: _squash(lead.get("postal_code") or "").startswith(prefix) and bool(prefix)
    if field == "name":
        pattern = _wildcard(value)
        return lambda lead: any(pattern.fullmatch(name) for name in _names(lead))
    if field == "email":
        pattern = _wildcard(value)
        return lambda lead: any(pattern.fullmatch(e["address"]) for e in state.children("emails", lead["id"]))
    digits = _wildcard(re.sub(r"[^\d%]", "", value))
    return lambda lead: any(_phone_matches(digits, p["number"]) for p in state.children("phones", lead["id"]))


def _wildcard(value: str) -> re.Pattern[str]:
    # '%' is the only wildcard; everything else matches literally, case-insensitively.
    return re.compile(".*".join(re.escape(part) for part in value.split("%")), re.IGNORECASE)


def _squash(value: str) -> str:
    return value.replace(" ", "").lower()


def _names(lead: Document) -> list[str]:
    first, last = lead.get("first_name") or "", lead.get("last_name") or ""
    names = [f"{first} {last}".strip(), first, last, lead.get("second_contact") or ""]
    return [name for name in names if name]


def _phone_matches(pattern: re.Pattern[str], number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    # A North American number matches with or without its country code 1.
    national = digits[1:] if number.startswith("+1") else digits
    return bool(pattern.fullmatch(digits) or pattern.fullmatch(national))


# -- search -----------------------------------------------------------------------------------------


def search_predicate(state: ActivixState, query: str) -> Predicate:
    """What ``GET /leads/search?query=`` matches: names, any email, any phone, or the postal code."""
    text = query.strip().lower()
    digits = re.sub(r"\D", "", query)
    phone_like = len(digits) >= 4 and not re.search(r"[A-Za-z@]", query)
    postal = _squash(query) if len(query) in (3, 6) and query.isalnum() else None

    def matches(lead: Document) -> bool:
        if any(text in name.lower() for name in _names(lead)):
            return True
        if postal is not None and _squash(lead.get("postal_code") or "").startswith(postal):
            return True
        if phone_like and any(digits in re.sub(r"\D", "", p["number"]) for p in state.children("phones", lead["id"])):
            return True
        return any(text in e["address"].lower() for e in state.children("emails", lead["id"]))

    return matches
