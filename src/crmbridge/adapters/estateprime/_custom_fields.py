"""Custom field values: validation and conversion per type, both ways.

EstatePrime sends a custom field as ``{"custom_field_id": 3, "value": ...}``; the JSON type of
``value`` depends on the field's definition (``<entity>/custom-fields`` lookup). With the
definition known, :meth:`CustomFieldCodec.read` checks the value against its type and converts it
to the canonical value documented in :mod:`crmbridge.canonical._custom_fields`;
:meth:`CustomFieldCodec.render` writes a canonical value back in EstatePrime's default format.
Without a definition (or with a type this code does not know) the value passes through unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crmbridge.adapters.estateprime._time import (
    DATE_LAYOUT,
    DATETIME_LAYOUT,
    LocalClock,
    format_datetime,
    parse_date,
    parse_datetime,
)
from crmbridge.adapters.estateprime.wire import CustomFieldDefinition
from crmbridge.canonical import CUSTOM_FIELD_TYPES, Lookup, Money, Ref

__all__ = ["OPTION_KIND", "CustomFieldCodec", "IntIdOf", "InvalidValue", "same_json"]

SYSTEM = "estateprime"
OPTION_KIND = "custom_field_option"

_TEXT_LIMITS = {"text": 255, "textarea": 2500}
_FREE_TEXT = frozenset({"wysiwyg", "address", "url", "file", "image"})
_TEXT_LISTS = frozenset({"file_multi", "image_multi"})
_REF_KINDS = {"user": "user", "contact": "contact", "user_multi": "user", "contact_multi": "contact"}
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_GROUPED_NUMBER = re.compile(r"-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")
# A currency is a grouped number with the currency (a symbol or a code) before or after it.
_CURRENCY = re.compile(
    r"(?P<pre>[^0-9\s,.\-]*)\s?(?P<number>-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?)\s?(?P<post>[^0-9\s,.\-]*)"
)

IntIdOf = Callable[[Ref, str, str], int]
"""``int_id(ref, expected_kind, path)``: the EstatePrime integer id a Ref stands for."""


class InvalidValue(ValueError):
    """A custom field value does not fit its type; the message never quotes the value."""


def same_json(left: Any, right: Any) -> bool:
    """Equal as JSON *and* of the same JSON types (``1`` is not ``1.0``, ``true`` is not ``1``)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(same_json(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same_json(v, right[k]) for k, v in left.items())
    return bool(left == right)


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _expect_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"expected {what}, got {_type_name(value)}")
    return value


def _expect_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidValue(f"expected a list of {what}, got {_type_name(value)}")
    return value


def _int_id(value: Any) -> int:
    # The docs type custom field values as strings, so "7" is accepted beside 7.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and 0 < len(value) <= 18:
        return int(value)
    raise InvalidValue(f"expected a positive integer id, got {_type_name(value)}")


def _decimal(value: Any, pattern: re.Pattern[str], what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidValue(f"expected {what}, got {_type_name(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"expected {what}, got a non-finite number")
    if isinstance(value, str):
        if not pattern.fullmatch(value):
            raise InvalidValue(f"expected {what}, got a string in another format")
        return Decimal(value.replace(",", ""))
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _plain_number(amount: Decimal) -> int | float | str:
    if amount == amount.to_integral_value() and amount.as_tuple().exponent >= 0:  # type: ignore[operator]
        return int(amount)
    as_float = float(amount)
    # A float that does not read back as the same decimal would lose digits: write the string.
    return as_float if Decimal(repr(as_float)) == amount else str(amount)


def _grouped(amount: Decimal) -> str:
    if amount.as_tuple().exponent > 0:  # type: ignore[operator]
        amount = amount.quantize(Decimal(1))
    return f"{amount:,}"


class CustomFieldCodec:
    """Reads and renders the custom field values of one entity (contacts, communication, calendar)."""

    __slots__ = ("_clock", "_definitions", "_option_ids", "_option_names", "field_kind")

    def __init__(self, field_kind: str, definitions: list[CustomFieldDefinition], clock: LocalClock) -> None:
        self.field_kind = field_kind
        self._clock = clock
        self._definitions = {d.id: d for d in definitions}
        self._option_names = {d.id: {o.id: o.name for o in d.options or ()} for d in definitions}
        self._option_ids = {d.id: {o.name: o.id for o in d.options or ()} for d in definitions}

    def definition(self, field_id: int) -> tuple[str | None, str | None]:
        """``(name, type)`` of a field: type None when unknown (or not one of the 21 types)."""
        found = self._definitions.get(field_id)
        if found is None:
            return None, None
        return found.name, (found.type if found.type in CUSTOM_FIELD_TYPES else None)

    # -- wire -> canonical -------------------------------------------------------------------

    def read(self, field_id: int, field_type: str | None, value: Any) -> Any:
        """The canonical value of a wire value, or :class:`InvalidValue`."""
        if value is None or field_type is None:
            return value
        if value == "" and field_type not in _TEXT_LIMITS and field_type not in _FREE_TEXT:
            return None  # an empty string is how a form leaves a non-text field empty
        if field_type in _TEXT_LIMITS:
            text = _expect_str(value, "a string")
            if len(text) > _TEXT_LIMITS[field_type]:
                raise InvalidValue(f"{field_type} is at most {_TEXT_LIMITS[field_type]} characters")
            return text
        if field_type in _FREE_TEXT:
            return _expect_str(value, "a string")
        if field_type in _TEXT_LISTS:
            return [_expect_str(item, "a string") for item in _expect_list(value, "strings")]
        if field_type == "number":
            return _decimal(value, _PLAIN_NUMBER, "a number")
        if field_type == "formatted_number":
            return _decimal(value, _GROUPED_NUMBER, "a number formatted like 1,000,000.25")
        if field_type == "currency":
            return self._read_currency(value)
        if field_type == "select":
            return self._option(field_id, value)
        if field_type == "select_multi":
            return [self._option(field_id, item) for item in _expect_list(value, "option ids")]
        if field_type == "checkbox":
            return self._read_checkbox(value)
        if field_type == "date":
            return self._read_date(value)
        if field_type == "datetime":
            return self._read_datetime(value)
        ref_kind = _REF_KINDS[field_type]
        if field_type.endswith("_multi"):
            return [Ref(SYSTEM, ref_kind, str(_int_id(item))) for item in _expect_list(value, "ids")]
        return Ref(SYSTEM, ref_kind, str(_int_id(value)))

    def _option(self, field_id: int, value: Any) -> Lookup:
        option_id = _int_id(value)
        name = self._option_names.get(field_id, {}).get(option_id)
        return Lookup(ref=Ref(SYSTEM, OPTION_KIND, str(option_id)), name=name)

    @staticmethod
    def _read_currency(value: Any) -> Money:
        if isinstance(value, str):
            match = _CURRENCY.fullmatch(value)
            if match is None or (match["pre"] and match["post"]):
                raise InvalidValue("expected an amount formatted like 1,000,000.25€")
            currency = match["pre"] or match["post"] or None
            return Money(amount=Decimal(match["number"].replace(",", "")), currency=currency)
        return Money(amount=_decimal(value, _PLAIN_NUMBER, "an amount"))

    @staticmethod
    def _read_checkbox(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1, "0", "1") and not isinstance(value, float):
            return value in (1, "1")
        raise InvalidValue(f"expected true or false, got {_type_name(value)}")

    @staticmethod
    def _read_date(value: Any) -> date:
        try:
            return parse_date(_expect_str(value, "a date string"))
        except InvalidValue:
            raise
        except ValueError:
            raise InvalidValue(f"expected a date in the format {DATE_LAYOUT}") from None

    def _read_datetime(self, value: Any) -> datetime:
        try:
            local = parse_datetime(_expect_str(value, "a date-time string"))
        except InvalidValue:
            raise
        except ValueError:
            raise InvalidValue(f"expected a date-time in the format {DATETIME_LAYOUT}") from None
        try:
            return self._clock.to_utc(local)[0]
        except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
            raise InvalidValue("a local time with no UTC instant (out of range)") from None

    # -- canonical -> wire -------------------------------------------------------------------

    def render(self, field_id: int, field_type: str | None, value: Any, int_id: IntIdOf, path: str) -> Any:
        """The wire value of a canonical value, in EstatePrime's default format for the type."""
        if value is None or field_type is None:
            return value
        if field_type == "number":
            return _plain_number(value)
        if field_type == "formatted_number":
            return _grouped(value)
        if field_type == "currency":
            return f"{_grouped(value.amount)}{value.currency or ''}"
        if field_type == "select":
            return self._option_id(field_id, value, int_id, path)
        if field_type == "select_multi":
            return [self._option_id(field_id, item, int_id, f"{path}[{i}]") for i, item in enumerate(value)]
        if field_type == "date":
            return value.isoformat()
        if field_type == "datetime":
            try:
                return format_datetime(self._clock.to_local(value))
            except OverflowError:  # 0001-01-01 UTC west of UTC, 9999-12-31 UTC east of it
                raise InvalidValue("a date-time with no local time in the account's zone (out of range)") from None
        if field_type in _REF_KINDS:
            kind = _REF_KINDS[field_type]
            if field_type.endswith("_multi"):
                return [int_id(ref, kind, f"{path}[{i}]") for i, ref in enumerate(value)]
            return int_id(value, kind, path)
        return value  # text types, lists of URLs, checkbox: the canonical value is the wire value

    def _option_id(self, field_id: int, option: Lookup, int_id: IntIdOf, path: str) -> int:
        if option.ref is not None:
            return int_id(option.ref, OPTION_KIND, path)
        found = self._option_ids.get(field_id, {}).get(option.name or "")
        if found is None:
            raise InvalidValue("option has no EstatePrime id and its name is not an option of the field")
        return found

    def option_known(self, field_id: int, option: Lookup) -> bool:
        """True when ``option`` can be written (it has a ref, or its name is a known option)."""
        return option.ref is not None or (option.name or "") in self._option_ids.get(field_id, {})
