"""Turning the sandbox's documents into Activix API objects (what a response carries).

Only listed keys go out, so sandbox-only keys (a user's ``did``, a communication's write-only
``private`` fields, a lead's role links) can never leak into a response.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmbridge.sandbox.activix._http import Invalid
from crmbridge.sandbox.activix._state import LEAD_FIELDS, USER_ROLES, ActivixState, Document

__all__ = [
    "ACCOUNT_INCLUDES",
    "COMMUNICATION_KEYS",
    "LEAD_INCLUDES",
    "parse_includes",
    "render_account",
    "render_call_log",
    "render_communication",
    "render_email",
    "render_lead",
    "render_note",
    "render_phone",
    "render_user",
    "render_vehicle",
]

_STAMPS = ("created_at", "updated_at")
_USER_KEYS = ("id", *_STAMPS, "email", "first_name", "last_name")
_EMAIL_KEYS = ("id", "lead_id", *_STAMPS, "address", "type", "valid")
_PHONE_KEYS = ("id", "lead_id", *_STAMPS, "number", "extension", "type", "valid")
_VEHICLE_KEYS = ("id", "lead_id", *_STAMPS, "type", "make", "model", "year")
_NOTE_KEYS = ("id", "parent_id", "lead_id", "user_id", *_STAMPS, "content", "file_url")
COMMUNICATION_KEYS: tuple[str, ...] = (
    "id",
    "lead_id",
    "user_id",
    *_STAMPS,
    "executed_at",
    "method",
    "type",
    "description",
    "call_duration",
    "call_phone",
    "call_status",
)
"""What a Communication response holds: never ``email_subject``, ``email_body``, ``email_user``, ``url``."""
_CALL_LOG_KEYS = (
    "id",
    "communication_id",
    "lead_id",
    "status",
    "direction",
    "duration",
    "start_at",
    "end_at",
    "media_url",
    "from",
    "to",
    "user_did",
    "user_email",
    *_STAMPS,
)

_ALIASES = {"leadEmails": "emails", "leadPhones": "phones", "leadVehicles": "vehicles"}
LEAD_INCLUDES: frozenset[str] = frozenset(
    {
        "account",
        *USER_ROLES,
        "associated_leads",
        "communications",
        "custom_fields",
        "emails",
        "events",
        "phones",
        "products",
        "tasks",
        "vehicles",
        *_ALIASES,
    }
)
"""The documented lead ``include[]`` names, plus the ``leadEmails`` spellings of the sample links."""
ACCOUNT_INCLUDES: frozenset[str] = frozenset({"users", "custom_fields", "sources", "automations"})


def _pick(document: Document, keys: tuple[str, ...]) -> dict[str, Any]:
    # Empty fields come back as null and are never left out.
    return {key: document.get(key) for key in keys}


def parse_includes(params: list[tuple[str, str]], allowed: frozenset[str]) -> list[str]:
    """The canonical include names of ``include[]=a&include[]=b`` (or ``include=a,b``); 422 on unknown ones."""
    names: list[str] = []
    for key, value in params:
        if key in ("include[]", "include"):
            names.extend(part.strip() for part in value.split(",") if part.strip())
    unknown = sorted({name for name in names if name not in allowed})
    if unknown:
        raise Invalid({"include": [f"Requested include(s) `{', '.join(unknown)}` are not allowed."]})
    return list(dict.fromkeys(_ALIASES.get(name, name) for name in names))


def render_user(user: Document | None) -> dict[str, Any] | None:
    """A User object."""
    return _pick(user, _USER_KEYS) if user is not None else None


def render_email(email: Document) -> dict[str, Any]:
    """An Email object."""
    return _pick(email, _EMAIL_KEYS)


def render_phone(phone: Document) -> dict[str, Any]:
    """A Phone object."""
    return _pick(phone, _PHONE_KEYS)


def render_vehicle(vehicle: Document) -> dict[str, Any]:
    """A Vehicle object."""
    return _pick(vehicle, _VEHICLE_KEYS)


def render_note(note: Document) -> dict[str, Any]:
    """A Note object."""
    return _pick(note, _NOTE_KEYS)


def render_communication(communication: Document) -> dict[str, Any]:
    """A Communication object, without the write-only fields."""
    return _pick(communication, COMMUNICATION_KEYS)


def render_account(state: ActivixState, includes: Sequence[str] = ()) -> dict[str, Any]:
    """The Account object, with its includes."""
    account = state.account()
    body = _pick(account, ("id", *_STAMPS, "name"))
    for name in includes:
        if name == "users":
            body["users"] = [render_user(user) for user in state.users()]
        elif name == "custom_fields":
            body["custom_fields"] = list(account.get("custom_fields", []))
        else:
            body[name] = []  # sources and automations are not modelled by the sandbox
    return body


def render_lead(state: ActivixState, lead: Document, includes: Sequence[str] = ()) -> dict[str, Any]:
    """A Lead object with every column (null when empty) and the requested includes."""
    body: dict[str, Any] = {"id": lead["id"]}
    body.update({field: lead.get(field) for field in LEAD_FIELDS})
    body.update(_pick(lead, ("created_method", *_STAMPS)))
    for name in includes:
        body[name] = _include(state, lead, name)
    return body


def _include(state: ActivixState, lead: Document, name: str) -> Any:
    if name in USER_ROLES:
        user_id = lead.get("roles", {}).get(name)
        return render_user(state.get("users", user_id)) if user_id is not None else None
    if name == "account":
        return render_account(state)
    if name == "associated_leads":
        return _associated(state, lead)
    if name == "custom_fields":
        return list(lead.get("custom_fields", []))
    renderers = {
        "emails": render_email,
        "phones": render_phone,
        "vehicles": render_vehicle,
        "communications": render_communication,
    }
    if name in renderers:
        return [renderers[name](child) for child in state.children(name, lead["id"])]
    return []  # events, products and tasks are not modelled by the sandbox


def _associated(state: ActivixState, lead: Document) -> list[int]:
    # Leads of the same customer are the associated ones (customer_id only groups leads).
    customer = lead.get("customer_id")
    if customer is None:
        return []
    leads = state.store.scan("leads")
    return sorted(other["id"] for other in leads if other.get("customer_id") == customer and other["id"] != lead["id"])


def render_call_log(state: ActivixState, call_log: Document) -> dict[str, Any]:
    """A CallLog object with its nested lead."""
    body = _pick(call_log, _CALL_LOG_KEYS)
    body["lead"] = render_lead(state, state.require("leads", call_log["lead_id"]))
    return body
