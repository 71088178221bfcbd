"""The items of a lead in the sandbox: checking email, phone and vehicle bodies (one email/phone per type)."""

from __future__ import annotations

from typing import Any

from crmbridge.sandbox.activix._state import ActivixState, Document
from crmbridge.sandbox.activix._validate import Errors, check_value, refuse_unknown, to_e164, valid_email

__all__ = ["check_item", "check_items", "duplicate_message", "item_document", "refresh_validity", "taken_types"]

_KEYS = {
    "emails": ("address", "type"),
    "phones": ("number", "extension", "type"),
    "vehicles": ("type", "make", "model", "year"),
}
_LIMITED = ("emails", "phones")
"""Collections with at most one item per ``type`` on a lead."""


def taken_types(state: ActivixState, collection: str, lead_id: int, *, besides: int | None = None) -> set[str]:
    """The ``type`` values the lead's items of ``collection`` already use (minus item ``besides``)."""
    return {item["type"] for item in state.children(collection, lead_id) if item["id"] != besides}


def check_item(
    errors: Errors,
    collection: str,
    item: Any,
    *,
    prefix: str = "",
    partial: bool = False,
    also: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The stored fields of one email, phone or vehicle body (errors named ``<prefix><field>``).

    Keys other than the item's own (and ``also``, e.g. a create's ``lead_id``) are refused.
    """
    if not isinstance(item, dict):
        errors.add(prefix.rstrip(".") or collection, "Each item must be an object.")
        return {}
    refuse_unknown(errors, item, (*_KEYS[collection], *also), prefix)
    checker = {"emails": _email, "phones": _phone, "vehicles": _vehicle}[collection]
    fields = checker(errors, item, prefix)
    required = {"emails": ("address", "type"), "phones": ("number", "type"), "vehicles": ("type",)}[collection]
    for name in required:
        if (name in item or not partial) and fields.get(name) in (None, ""):
            errors.add(f"{prefix}{name}", f"The {prefix}{name} field is required.")
    return fields


def check_items(errors: Errors, collection: str, items: Any, taken: set[str]) -> list[dict[str, Any]]:
    """The items of a lead body's ``emails``/``phones``/``vehicles`` array, checked against ``taken`` types."""
    if items is None:
        return []
    if not isinstance(items, list):
        errors.add(collection, f"The {collection} must be an array.")
        return []
    checked = []
    for index, item in enumerate(items):
        fields = check_item(errors, collection, item, prefix=f"{collection}.{index}.")
        kind = fields.get("type")
        if collection in _LIMITED and kind is not None:
            if kind in taken:
                errors.add(f"{collection}.{index}.type", duplicate_message(collection, kind))
            taken.add(kind)
        checked.append(fields)
    return checked


def duplicate_message(collection: str, kind: str) -> str:
    """The 422 message of a second email or phone of the same type."""
    noun = "an email" if collection == "emails" else "a phone"
    return f"The lead already has {noun} of type {kind}."


def item_document(collection: str, lead_id: int, fields: dict[str, Any], now: str) -> Document:
    """A new stored email, phone or vehicle (``valid`` is computed, never written)."""
    document: Document = {"lead_id": lead_id, "created_at": now, "updated_at": now, **_defaults(collection), **fields}
    refresh_validity(collection, document)
    return document


def refresh_validity(collection: str, document: Document) -> None:
    """Recompute the read-only ``valid`` flag of an email or phone."""
    if collection == "emails":
        document["valid"] = valid_email(document["address"])
    elif collection == "phones":
        document["valid"] = to_e164(document["number"]) == document["number"]


def _defaults(collection: str) -> dict[str, Any]:
    return dict.fromkeys(_KEYS[collection])


def _email(errors: Errors, item: dict[str, Any], prefix: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("address", "type"):
        if name in item:
            fields[name] = check_value(errors, f"{prefix}{name}", item[name], "string")
    return fields


def _phone(errors: Errors, item: dict[str, Any], prefix: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "number" in item:
        number = check_value(errors, f"{prefix}number", item["number"], "string")
        if number:
            fields["number"] = to_e164(number)
            if fields["number"] is None:
                errors.add(f"{prefix}number", f"The {prefix}number is not a valid phone number.")
    if "extension" in item:
        fields["extension"] = check_value(errors, f"{prefix}extension", item["extension"], "integer")
    if "type" in item:
        fields["type"] = check_value(errors, f"{prefix}type", item["type"], "string")
    return fields


def _vehicle(errors: Errors, item: dict[str, Any], prefix: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in ("type", "make", "model"):
        if name in item:
            fields[name] = check_value(errors, f"{prefix}{name}", item[name], "string")
    if "year" in item:
        year = check_value(errors, f"{prefix}year", item["year"], "integer")
        if year is not None and not 1900 <= year <= 2100:
            errors.add(f"{prefix}year", f"The {prefix}year must be between 1900 and 2100.")
        fields["year"] = year
    return fields
