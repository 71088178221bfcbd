"""Rechat contacts in the sandbox: attribute definitions, attribute input, and the flat read model.

A contact is stored as its EAV attributes plus the flattened fields computed from them by
:func:`read_model` (the one place that computation lives). Storing the computed fields keeps
list requests cheap: filtering and sorting read plain dict fields, nothing is recomputed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from crmbridge.sandbox.rechat._http import validation

__all__ = [
    "ADDRESS_PARTS",
    "GLOBAL_DEFS",
    "apply_attribute",
    "attribute_value",
    "clear_other_primaries",
    "global_def_by_name",
    "make_attribute",
    "read_model",
    "search_text",
]

Document = dict[str, Any]

_DEF_NAMESPACE = uuid.UUID("4b6f2f0a-8d61-4c61-9f43-3f4d7e0c9a22")

ADDRESS_PARTS = (
    "street_prefix",
    "street_name",
    "street_suffix",
    "unit_number",
    "city",
    "state",
    "country",
    "postal_code",
)
_DATES = ("birthday", "child_birthday", "wedding_anniversary", "home_anniversary", "work_anniversary")
_SINGULAR = (
    "title",
    "first_name",
    "middle_name",
    "last_name",
    "nickname",
    "marketing_name",
    "birthday",
    "source",
    "source_type",
    "profile_image_url",
    "cover_image_url",
    "company",
    "job_title",
)
_LABELLED = {
    "email": ["Personal", "Work", "Other"],
    "phone_number": ["Mobile", "Home", "Work", "Fax", "Other"],
    "website": ["Personal", "Work", "Other"],
    **{part: ["Home", "Work", "Other"] for part in ADDRESS_PARTS},
}
_OTHER_TEXT = ("email", "phone_number", "tag", "website", "facebook", "linkedin", "instagram", "note")


def _global_def(name: str) -> Document:
    section = "Address" if name in ADDRESS_PARTS else "Details"
    return {
        "id": str(uuid.uuid5(_DEF_NAMESPACE, name)),
        "type": "contact_attribute_def",
        "name": name,
        "label": name.replace("_", " ").title(),
        "data_type": "date" if name in _DATES else "text",
        "section": section,
        "required": False,
        "global": True,
        "singular": name in _SINGULAR,
        "show": True,
        "editable": name != "source_type",
        "searchable": name in ("email", "phone_number", "first_name", "last_name", "nickname", "company", "tag"),
        "has_label": name in _LABELLED,
        "labels": _LABELLED.get(name),
        "enum_values": None,
        "brand": None,
        "created_by": None,
        "created_at": None,
        "updated_at": None,
        "deleted_at": None,
    }


GLOBAL_DEFS: tuple[Document, ...] = tuple(
    _global_def(name) for name in (*_SINGULAR, *_DATES[1:], *_OTHER_TEXT, *ADDRESS_PARTS)
)
"""Rechat's global attribute definitions (the same ids in every sandbox)."""

_GLOBAL_BY_NAME = {d["name"]: d for d in GLOBAL_DEFS}


def global_def_by_name(name: str) -> Document | None:
    """The global definition called ``name``, if there is one."""
    return _GLOBAL_BY_NAME.get(name)


def attribute_value(attribute: Mapping[str, Any]) -> Any:
    """The attribute's value, from the column its data type uses."""
    for column in ("text", "date", "number"):
        if attribute.get(column) is not None:
            return attribute[column]
    return None


def _value_fields(raw: Mapping[str, Any], definition: Mapping[str, Any]) -> dict[str, Any]:
    column = definition["data_type"]
    value = raw.get(column)
    if column == "text" and not (isinstance(value, str) and value.strip()):
        raise validation(f"Attribute {definition['name']} needs a non-empty text")
    if column != "text" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise validation(f"Attribute {definition['name']} needs a numeric {column}")
    if definition.get("enum_values") and value not in definition["enum_values"]:
        raise validation(f"{value!r} is not an allowed value of {definition['name']}")
    return {"text": None, "date": None, "number": None, column: value}


def make_attribute(
    raw: Mapping[str, Any],
    definition: Mapping[str, Any],
    contact_id: str,
    user_id: str,
    stamp: float,
    ident: str | None = None,
) -> Document:
    """A new ``contact_attribute`` from an AttrInput whose definition is already resolved.

    ``ident`` is for seeding (deterministic ids); requests get a random one.
    """
    return {
        "id": ident or str(uuid.uuid4()),
        "type": "contact_attribute",
        "attribute_def": definition["id"],
        "attribute_type": definition["name"],
        "contact": contact_id,
        **_value_fields(raw, definition),
        "label": raw.get("label"),
        "is_primary": bool(raw.get("is_primary", False)),
        "is_partner": bool(raw.get("is_partner", False)),
        "index": _index(raw.get("index")),
        "created_by": user_id,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }


def _index(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise validation("index must be an integer")
    return value


def apply_attribute(current: Mapping[str, Any], raw: Mapping[str, Any], definition: Mapping[str, Any]) -> Document:
    """``current`` updated with the fields an AttrInput sends (its definition cannot change)."""
    if raw.get("attribute_def") not in (None, current["attribute_def"]) or (
        raw.get("attribute_type") not in (None, current["attribute_type"])
    ):
        raise validation("An attribute cannot change its definition")
    updated = dict(current)
    if any(raw.get(column) is not None for column in ("text", "date", "number")):
        updated.update(_value_fields(raw, definition))
    for key in ("label", "is_primary", "is_partner"):
        if key in raw:
            updated[key] = raw[key] if key == "label" else bool(raw[key])
    if "index" in raw:
        updated["index"] = _index(raw["index"])
    return updated


def clear_other_primaries(attributes: list[Document], chosen: Mapping[str, Any]) -> list[Document]:
    """Only one primary per attribute type (and side): setting ``chosen`` clears the others."""
    if not chosen.get("is_primary"):
        return attributes
    return [
        {**a, "is_primary": False}
        if a["id"] != chosen["id"]
        and a["attribute_def"] == chosen["attribute_def"]
        and bool(a.get("is_partner")) == bool(chosen.get("is_partner"))
        else a
        for a in attributes
    ]


def _ranked(attributes: Iterable[Document], kind: str) -> list[Any]:
    # Primary first, then in the order they were added.
    chosen = [a for a in attributes if a["attribute_type"] == kind and attribute_value(a) is not None]
    return [attribute_value(a) for a in sorted(chosen, key=lambda a: not a.get("is_primary"))]


def _first(attributes: Iterable[Document], kind: str) -> Any:
    values = _ranked(attributes, kind)
    return values[0] if values else None


def _iso_date(value: Any) -> str | None:
    if value is None:
        return None
    instant = datetime.fromtimestamp(float(value), tz=UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{instant.microsecond // 1000:03d}Z"


def _addresses(attributes: list[Document]) -> list[Document] | None:
    groups: dict[int, dict[str, Any]] = {}
    labels: dict[int, str | None] = {}
    for attribute in attributes:
        if attribute["attribute_type"] in ADDRESS_PARTS:
            index = attribute.get("index") or 0
            groups.setdefault(index, {})[attribute["attribute_type"]] = attribute.get("text")
            labels.setdefault(index, attribute.get("label"))
    if not groups:
        return None
    return [_stdaddr(groups[i], labels[i]) for i in sorted(groups)]


def _stdaddr(parts: Mapping[str, Any], label: str | None) -> Document:
    line1 = " ".join(p for p in (parts.get(k) for k in ("street_prefix", "street_name", "street_suffix")) if p)
    if parts.get("unit_number"):
        line1 = f"{line1} {parts['unit_number']}".strip()
    city_state = " ".join(p for p in (parts.get("state"), parts.get("postal_code")) if p)
    line2 = ", ".join(p for p in (parts.get("city"), city_state) if p) if parts.get("city") else city_state
    full = ", ".join(p for p in (line1, line2) if p)
    address = {
        "type": "stdaddr",
        "line1": line1 or None,
        "line2": line2 or None,
        "full": full or None,
        "house_num": parts.get("street_prefix"),
        "name": parts.get("street_name"),
        "suftype": parts.get("street_suffix"),
        "unit": parts.get("unit_number"),
        "city": parts.get("city"),
        "state": parts.get("state"),
        "country": parts.get("country"),
        "postcode": parts.get("postal_code"),
        "extra": label,
    }
    return {k: v for k, v in address.items() if v is not None}


def _names(own: list[Document]) -> dict[str, Any]:
    names = {k: _first(own, k) for k in ("title", "first_name", "middle_name", "last_name", "nickname")}
    names["marketing_name"] = _first(own, "marketing_name")
    return names


def _display(names: Mapping[str, Any], email: Any, phone: Any, company: Any) -> tuple[str, str]:
    full = " ".join(n for n in (names["first_name"], names["last_name"]) if n)
    if names["nickname"]:
        return names["nickname"], names["nickname"]
    if full:
        return full, " ".join(n for n in (names["last_name"], names["first_name"]) if n)
    fallback = names["marketing_name"] or company or email or phone or "Guest"
    return fallback, fallback


def read_model(attributes: list[Document]) -> Document:
    """The flattened contact fields Rechat computes from the (live) attributes.

    Partner attributes (``is_partner``) fill the ``partner_*`` fields only; emails and phones are
    plain strings, primary first; tags and websites are lists or null when there are none.
    """
    live = [a for a in attributes if a.get("deleted_at") is None]
    own = [a for a in live if not a.get("is_partner")]
    partner = [a for a in live if a.get("is_partner")]
    names = _names(own)
    emails, phones = _ranked(own, "email"), _ranked(own, "phone_number")
    company = _first(own, "company")
    display_name, sort_field = _display(names, emails[0] if emails else None, phones[0] if phones else None, company)
    partner_first, partner_last = _first(partner, "first_name"), _first(partner, "last_name")
    partner_name = " ".join(n for n in (partner_first, partner_last) if n) or None
    tags, websites = _ranked(own, "tag"), _ranked(own, "website")
    return {
        **names,
        "display_name": display_name,
        "sort_field": sort_field,
        "partner_name": partner_name,
        "partner_first_name": partner_first,
        "partner_last_name": partner_last,
        "partner_email": _first(partner, "email"),
        "email": emails[0] if emails else None,
        "primary_email": emails[0] if emails else None,
        "emails": emails,
        "phone_number": phones[0] if phones else None,
        "primary_phone_number": phones[0] if phones else None,
        "phone_numbers": phones,
        "company": company,
        "job_title": _first(own, "job_title"),
        "website": websites or None,
        "birthday": _iso_date(_first(own, "birthday")),
        "profile_image_url": _first(own, "profile_image_url"),
        "cover_image_url": _first(own, "cover_image_url"),
        "source": _first(own, "source"),
        "source_type": _first(own, "source_type"),
        "tags": tags or None,
        "address": _addresses(own),
    }


def search_text(contact: Mapping[str, Any]) -> str:
    """What a free-text query ``q`` matches: names, emails, phones, company and tags, lowercased."""
    parts: list[Any] = [contact.get(k) for k in ("display_name", "first_name", "last_name", "nickname", "company")]
    for key in ("emails", "phone_numbers", "tags"):
        parts.extend(contact.get(key) or [])
    return " ".join(str(p) for p in parts if p).lower()
