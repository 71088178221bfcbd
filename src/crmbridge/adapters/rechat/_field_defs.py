"""Rechat's custom attribute definitions as :class:`CustomFieldDef` (for field mappings).

``GET /contacts/attribute_defs`` lists the global definitions (first_name, email, ...: the
adapter maps those to standard fields) and the brand's own (``global: false``): only the latter
are custom fields. ``data_type`` is ``text`` (a ``select`` when it has ``enum_values``),
``number`` or ``date``; a definition is named by its ``label`` (what users see), else its ``name``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.canonical import CustomFieldDef, Ref

__all__ = [
    "ATTRIBUTE_DEFS",
    "DEF_REF_KIND",
    "GLOBAL_ATTRIBUTE_TYPES",
    "custom_field_def",
    "custom_field_defs",
    "native_data_type",
]

SYSTEM = "rechat"
ATTRIBUTE_DEFS = "contacts/attribute_defs"
DEF_REF_KIND = "attribute_def"
_TYPES = {"number": "number", "date": "date"}

GLOBAL_ATTRIBUTE_TYPES: frozenset[str] = frozenset(
    {
        *("title", "first_name", "middle_name", "last_name", "nickname", "marketing_name", "birthday"),
        *("source", "source_type", "profile_image_url", "cover_image_url", "company", "job_title"),
        *("child_birthday", "wedding_anniversary", "home_anniversary", "work_anniversary"),
        *("email", "phone_number", "tag", "website", "facebook", "linkedin", "instagram", "note"),
        *("street_prefix", "street_number", "street_name", "street_suffix", "unit_number"),
        *("city", "state", "county", "country", "postal_code"),
    }
)
"""The ``attribute_type`` of Rechat's global attribute definitions. An attribute whose type is
none of these (Rechat writes a brand definition's ``name`` there) belongs to a custom one."""


def native_data_type(field_type: str) -> str:
    """The Rechat ``data_type`` that holds values of a canonical custom field type."""
    if field_type in ("number", "formatted_number", "currency"):
        return "number"
    if field_type in ("date", "datetime"):
        return "date"
    return "text"


def custom_field_defs(lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
    """The brand's custom contact attribute definitions (none when the lookups have no list)."""
    items = lookups.get(ATTRIBUTE_DEFS)
    if not isinstance(items, list):
        return {}
    defs = [custom_field_def(item) for item in items if isinstance(item, dict) and item.get("global") is False]
    return {"contact": defs} if defs else {}


def custom_field_def(item: Mapping[str, Any]) -> CustomFieldDef:
    """One attribute definition (as Rechat answers it) as a :class:`CustomFieldDef`."""
    data_type = item.get("data_type")
    options = tuple(str(v) for v in item.get("enum_values") or [] if isinstance(v, str | int | float))
    field_type = _TYPES.get(str(data_type), "select" if options else "text")
    return CustomFieldDef(
        ref=Ref(SYSTEM, DEF_REF_KIND, str(item["id"])),
        name=str(item.get("label") or item.get("name") or item["id"]),
        type=field_type,  # type: ignore[arg-type]
        options=options,
        native_type=data_type if isinstance(data_type, str) else None,
    )
