"""Activix's account custom fields as :class:`CustomFieldDef`, and how their values are written.

``GET /account?include[]=custom_fields`` lists them: ``{"id", "name", "type", "value"}`` with
``type`` one of ``array``, ``boolean``, ``currency``, ``datetime``, ``string``, and the value
always a string. The docs do not say how each type spells its value; crmbridge's choice (an
assumption, stated in ``adapters/activix/openapi.yaml`` too):

============  ========================  =============================================
type          canonical type            the string
============  ========================  =============================================
string        text                      the text
boolean       checkbox                  ``"true"``/``"false"`` (reads ``1``/``0``/yes/no too)
currency      currency                  the amount, e.g. ``"1500.50"`` (no currency code)
datetime      datetime                  ISO 8601 with offset (reads a naive one as UTC)
array         select_multi              a JSON array of the option names (reads a
                                        comma-separated list too)
============  ========================  =============================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crmbridge.canonical import CustomFieldDef, Lookup, Money, Ref

__all__ = ["FIELD_REF_KIND", "NATIVE_TYPES", "custom_field_defs", "read_value", "write_value"]

SYSTEM = "activix"
FIELD_REF_KIND = "custom_field"
NATIVE_TYPES = {
    "string": "text",
    "boolean": "checkbox",
    "currency": "currency",
    "datetime": "datetime",
    "array": "select_multi",
}
"""Activix custom field type -> canonical custom field type."""

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


def custom_field_defs(lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
    """The account's custom fields, all on leads (contacts); none when the account has none."""
    account = lookups.get("account")
    if isinstance(account, list) and len(account) == 1:
        account = account[0]  # GET /account answers the account in a one-item data list
    items = account.get("custom_fields") if isinstance(account, dict) else None
    if not isinstance(items, list):
        return {}
    defs = [
        CustomFieldDef(
            ref=Ref(SYSTEM, FIELD_REF_KIND, str(item["id"])),
            name=str(item.get("name") or item["id"]),
            type=NATIVE_TYPES.get(str(item.get("type")), "text"),  # type: ignore[arg-type]
            native_type=item.get("type") if isinstance(item.get("type"), str) else None,
        )
        for item in items
        if isinstance(item, dict) and "id" in item
    ]
    return {"contact": defs} if defs else {}


def read_value(native_type: str | None, text: Any) -> Any:
    """The canonical value of a lead's custom field string; ValueError when it does not parse."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("expected the value as a string")
    if native_type == "boolean":
        folded = text.strip().casefold()
        if folded in _TRUE | _FALSE:
            return folded in _TRUE
        raise ValueError("expected true or false")
    if native_type == "currency":
        try:
            amount = Decimal(text.strip())
        except InvalidOperation:
            raise ValueError("expected an amount") from None
        if not amount.is_finite():
            raise ValueError("expected a finite amount")
        return Money(amount=amount)
    if native_type == "datetime":
        try:
            parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("expected an ISO 8601 datetime") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    if native_type == "array":
        return [Lookup(name=name) for name in _array_names(text)]
    return text


def _array_names(text: str) -> list[str]:
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except ValueError:
            items = None
        if isinstance(items, list):
            return [str(item) for item in items if item is not None and str(item)]
    return [part.strip() for part in stripped.split(",") if part.strip()]


def write_value(field_type: str | None, value: Any) -> str | None:
    """The string Activix stores for a canonical value of ``field_type`` (see the module docstring)."""
    if value is None:
        return None
    if field_type == "checkbox":
        return "true" if value else "false"
    if field_type == "currency":
        return format(Money.model_validate(value).amount, "f")
    if field_type in ("number", "formatted_number"):
        return format(Decimal(value), "f")
    if field_type == "datetime":
        instant: datetime = value
        return instant.astimezone(UTC).isoformat()
    if field_type in ("select_multi",):
        return json.dumps([Lookup.model_validate(v).name for v in value], ensure_ascii=False)
    if field_type == "select":
        return str(Lookup.model_validate(value).name)
    if isinstance(value, list):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    return str(value.isoformat() if hasattr(value, "isoformat") else value)
