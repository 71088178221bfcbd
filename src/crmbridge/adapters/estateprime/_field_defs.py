"""EstatePrime's custom field definitions as :class:`CustomFieldDef` (for field mappings).

They come from the ``<entity>/custom-fields`` lookups: ``{"id", "name", "type", "options"}``.
A type outside the 21 documented ones (the sandbox's ``phone``) is read as ``text``, the type a
value of an unknown kind can always be written as; ``native_type`` keeps the original.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.canonical import CUSTOM_FIELD_TYPES, CustomFieldDef, Ref

__all__ = ["FIELD_ENDPOINTS", "FIELD_REF_KINDS", "OPTION_REF_KIND", "custom_field_defs"]

SYSTEM = "estateprime"
FIELD_ENDPOINTS = {
    "contact": "contacts/custom-fields",
    "activity": "communication/custom-fields",
    "event": "calendar/custom-fields",
}
FIELD_REF_KINDS = {
    "contact": "contact_custom_field",
    "activity": "communication_custom_field",
    "event": "event_custom_field",
}
OPTION_REF_KIND = "custom_field_option"


def custom_field_defs(lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
    """Each kind's definitions from the lookups a connection loaded (kinds without any are left out)."""
    found: dict[str, list[CustomFieldDef]] = {}
    for kind, endpoint in FIELD_ENDPOINTS.items():
        items = lookups.get(endpoint)
        if not isinstance(items, list):
            continue
        defs = [_definition(kind, item) for item in items if isinstance(item, dict) and "id" in item]
        if defs:
            found[kind] = defs
    return found


def _definition(kind: str, item: Mapping[str, Any]) -> CustomFieldDef:
    native = item.get("type")
    options = [o for o in item.get("options") or [] if isinstance(o, dict) and "name" in o]
    return CustomFieldDef(
        ref=Ref(SYSTEM, FIELD_REF_KINDS[kind], str(item["id"])),
        name=str(item.get("name") or item["id"]),
        type=native if native in CUSTOM_FIELD_TYPES else "text",
        options=tuple(str(o["name"]) for o in options),
        option_refs=tuple(Ref(SYSTEM, OPTION_REF_KIND, str(o["id"])) if "id" in o else None for o in options),
        native_type=native if isinstance(native, str) else None,
    )
