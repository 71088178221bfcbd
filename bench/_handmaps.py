"""Hand-written dict-to-dict mappings: the read benchmark's "no validation" baseline.

Each function maps the same fields the adapter reads to the same canonical shape (refs as
``{"system", "kind", "id"}``, instants as aware UTC datetimes, unknown keys kept in ``extras``)
with plain dict access and no checks: what translation costs when nothing is validated. They
deliberately do per-record only what the mapping needs; they are not a second implementation to
trust (a record that does not fit would raise ``KeyError`` or pass through wrong).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

__all__ = [
    "activix_communication",
    "activix_lead",
    "estateprime_communication",
    "estateprime_contact",
    "estateprime_event",
    "rechat_task",
]

Json = dict[str, Any]

_EP = "estateprime"
_RECHAT = "rechat"
_AX = "activix"


def _ref(system: str, kind: str, ident: Any) -> Json | None:
    return None if ident is None else {"system": system, "kind": kind, "id": str(ident)}


def _lookup(system: str, kind: str, ident: Any) -> Json | None:
    return None if ident is None else {"ref": {"system": system, "kind": kind, "id": str(ident)}, "name": None}


def _local(text: str | None) -> datetime | None:
    # EstatePrime's naive "YYYY-MM-DD HH:MM:SS" in the account's zone (UTC here).
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _ep_custom_fields(kind: str, values: list[Json] | None) -> list[Json]:
    return [
        {"field": _ref(_EP, f"{kind}_custom_field", v["custom_field_id"]), "value": v["value"]} for v in values or ()
    ]


def estateprime_contact(p: Json) -> Json:
    """An EstatePrime contact object as a canonical contact dict."""
    return {
        "ref": _ref(_EP, "contact", p["id"]),
        "first_name": p.get("first_name"),
        "last_name": p.get("last_name"),
        "source": _lookup(_EP, "source", p.get("source_id")),
        "is_lead": p.get("is_lead"),
        "is_company": p.get("is_company"),
        "company_name": p.get("company_name"),
        "phones": [
            {"number": x["number"], "kind": x.get("type"), "note": x.get("notes"), "extras": {}}
            for x in p.get("phones") or ()
        ],
        "emails": [
            {"address": x["email_address"], "kind": x.get("type"), "note": x.get("notes"), "extras": {}}
            for x in p.get("emails") or ()
        ],
        "notes": p.get("notes"),
        "custom_fields": _ep_custom_fields("contact", p.get("custom_fields")),
        "related_people": [
            {
                "first_name": d.get("first_name"),
                "last_name": d.get("last_name"),
                "phone": d.get("mobile"),
                "email": d.get("email"),
                "note": d.get("notes"),
                "extras": {},
            }
            for d in p.get("contact_details") or ()
        ],
        "tags": [_lookup(_EP, "contact_tag", t) for t in p.get("tags") or ()],
        "created_at": _local(p.get("date_created")),
        "created_by": _ref(_EP, "user", p.get("created_by")),
        "owners": [_ref(_EP, "user", u) for u in p.get("users") or ()],
        "updated_at": _local(p.get("date_updated")),
        "converted_at": _local(p.get("date_converted_to_client")),
        "extras": {},
    }


def estateprime_communication(p: Json) -> Json:
    """An EstatePrime communication object as a canonical activity dict."""
    return {
        "ref": _ref(_EP, "communication", p["id"]),
        "direction": p.get("type"),
        "channel": None,
        "channel_lookup": _lookup(_EP, "channel", p.get("channel")),
        "occurred_at": _local(p.get("communication_date")),
        "created_at": _local(p.get("date_created")),
        "user": _ref(_EP, "user", p.get("user_id")),
        "contact": _ref(_EP, "contact", p.get("contact_id")),
        "office": _ref(_EP, "office", p.get("store_id")),
        "request": _ref(_EP, "request", p.get("request_id")),
        "listings": [_ref(_EP, "listing", i) for i in p.get("listings") or ()],
        "tags": [_lookup(_EP, "communication_tag", t) for t in p.get("tags") or ()],
        "notes": p.get("comments"),
        "custom_fields": _ep_custom_fields("activity", p.get("custom_fields")),
        "extras": {},
    }


def estateprime_event(p: Json) -> Json:
    """An EstatePrime calendar event object as a canonical event dict."""
    meeting = p.get("remote_meeting")
    full_day = p.get("full_day")
    starts, ends = _local(p.get("date_starting")), _local(p.get("date_ending"))
    return {
        "ref": _ref(_EP, "event", p["id"]),
        "title": p.get("title"),
        "description": p.get("description"),
        "all_day": full_day,
        "starts_at": None if full_day else starts,
        "ends_at": None if full_day else ends,
        "start_date": starts.date() if full_day and starts else None,
        "end_date": ends.date() if full_day and ends else None,
        "status": _lookup(_EP, "event_status", p.get("status_id")),
        "category": _lookup(_EP, "event_category", p.get("category_id")),
        "contacts": [_ref(_EP, "contact", i) for i in p.get("contacts") or ()],
        "users": [_ref(_EP, "user", i) for i in p.get("users") or ()],
        "is_public": p.get("is_public"),
        "is_online": p.get("is_online"),
        "tags": [_lookup(_EP, "event_tag", t) for t in p.get("tags") or ()],
        "remote_meeting": None
        if meeting is None
        else {
            "provider": meeting.get("type"),
            "url": meeting.get("meeting_url"),
            "meeting_id": meeting.get("meeting_id"),
            "extras": {},
        },
        "created_by": _ref(_EP, "user", p.get("created_by")),
        "created_at": _local(p.get("date_created")),
        "custom_fields": _ep_custom_fields("event", p.get("custom_fields")),
        "extras": {},
    }


_RECHAT_TASK_KEYS = frozenset(
    {"id", "created_at", "updated_at", "deleted_at", "title", "description", "due_date", "end_date", "status"}
    | {"task_type", "all_day", "type", "contacts", "deals", "listings", "assignees", "reminders", "created_by"}
)


def _collapsed(association: Json) -> Json:
    # Expanded contacts and listings are kept in extras by id, as the adapter does.
    out = dict(association)
    for key in ("contact", "listing", "deal"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = value.get("id")
    return out


def rechat_task(p: Json) -> Json:
    """A Rechat task (associations expanded) as a canonical task dict."""
    extras = {k: v for k, v in p.items() if k not in _RECHAT_TASK_KEYS}
    if "associations" in extras:
        extras["associations"] = [_collapsed(a) for a in extras["associations"] or ()]
    return {
        "ref": _ref(_RECHAT, "task", p["id"]),
        "title": p.get("title"),
        "description": p.get("description"),
        "kind": (p.get("task_type") or "").lower() or None,
        "status": (p.get("status") or "").lower() or None,
        "due_at": _epoch(p.get("due_date")),
        "ends_at": _epoch(p.get("end_date")),
        "all_day": p.get("all_day"),
        "assignees": [_ref(_RECHAT, "user", u["id"] if isinstance(u, dict) else u) for u in p.get("assignees") or ()],
        "contacts": [_ref(_RECHAT, "contact", c) for c in p.get("contacts") or ()],
        "listings": [_ref(_RECHAT, "listing", x) for x in p.get("listings") or ()],
        "deals": [_ref(_RECHAT, "deal", d) for d in p.get("deals") or ()],
        "reminders": list(p.get("reminders") or ()),
        "created_at": _epoch(p.get("created_at")),
        "updated_at": _epoch(p.get("updated_at")),
        "extras": extras,
    }


def activix_communication(p: Json) -> Json:
    """An Activix communication as a canonical activity dict."""
    method = p.get("method")
    return {
        "ref": _ref(_AX, "communication", p["id"]),
        "direction": p.get("type"),
        "channel": method,
        "occurred_at": _iso(p.get("executed_at")),
        "created_at": _iso(p.get("created_at")),
        "updated_at": _iso(p.get("updated_at")),
        "user": _ref(_AX, "user", p.get("user_id")),
        "contact": _ref(_AX, "lead", p.get("lead_id")),
        "notes": p.get("description"),
        "call": {"duration_s": p.get("call_duration"), "phone": p.get("call_phone"), "status": p.get("call_status")}
        if method == "phone"
        else None,
        "email": {"subject": p.get("email_subject"), "body": p.get("email_body")} if method == "email" else None,
        "extras": {},
    }


_ACTIVIX_LEAD_KEYS = frozenset(
    {"id", "source_id", "source", "first_name", "last_name", "civility", "business", "business_name", "birth_date"}
    | {"address_line1", "address_line2", "city", "postal_code", "province", "country", "comment", "created_at"}
    | {"updated_at", "advisor", "emails", "phones", "communications"}
)
_ITEM_KEYS = frozenset({"address", "number", "type", "extension"})


def activix_lead(p: Json) -> Json:
    """An Activix lead as a canonical contact dict."""
    advisor = p.get("advisor")
    return {
        "ref": _ref(_AX, "lead", p["id"]),
        "title": p.get("civility"),
        "first_name": p.get("first_name"),
        "last_name": p.get("last_name"),
        "is_company": bool(p.get("business")),
        "company_name": p.get("business_name"),
        "is_lead": True,
        "phones": [
            {
                "number": x["number"],
                "kind": x.get("type"),
                "e164": x["number"] if str(x["number"]).startswith("+") else None,
                "extension": None if x.get("extension") is None else str(x["extension"]),
                "extras": {k: v for k, v in x.items() if k not in _ITEM_KEYS},
            }
            for x in p.get("phones") or ()
        ],
        "emails": [
            {
                "address": x["address"],
                "kind": x.get("type"),
                "extras": {k: v for k, v in x.items() if k not in _ITEM_KEYS},
            }
            for x in p.get("emails") or ()
        ],
        "addresses": [
            {
                "line1": p.get("address_line1"),
                "line2": p.get("address_line2"),
                "city": p.get("city"),
                "region": p.get("province"),
                "postal_code": p.get("postal_code"),
                "country": p.get("country"),
                "extras": {},
            }
        ],
        "notes": p.get("comment"),
        "birthday": p.get("birth_date"),
        "source": None
        if p.get("source_id") is None
        else {"ref": _ref(_AX, "source", p["source_id"]), "name": p.get("source")},
        "owners": [] if advisor is None else [_ref(_AX, "user", advisor["id"])],
        "created_at": _iso(p.get("created_at")),
        "updated_at": _iso(p.get("updated_at")),
        "extras": {k: v for k, v in p.items() if k not in _ACTIVIX_LEAD_KEYS},
    }
