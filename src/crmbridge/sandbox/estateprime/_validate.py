"""Body checks of the EstatePrime sandbox, mirroring ``adapters/estateprime/openapi.yaml``.

The OpenAPI file is not shipped with the package (and jsonschema is a dev dependency), so the
sandbox checks bodies with these small hand-written checkers instead. The tests send the same bad
bodies to the sandbox and to the OpenAPI contract and expect both to refuse them.

A checker takes ``(value, path)`` and returns the value to store (normalised where the sandbox
normalises, e.g. all-day event dates) or raises :class:`Invalid` with a message that starts with
the path of the offending key (``phones[0].number: expected a string``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any, Final

__all__ = [
    "COMMUNICATION_CREATE",
    "COMMUNICATION_FILTERS",
    "CONTACT_CREATE",
    "CONTACT_FILTERS",
    "EVENT_FIELDS",
    "EVENT_FILTERS",
    "Check",
    "Invalid",
    "ObjectSpec",
    "DATETIME_LAYOUT",
    "DATE_LAYOUT",
    "check_object",
    "datetime_text",
    "event_bound",
    "wire_datetime",
]

Check = Callable[[Any, str], Any]

# The emulator's one spelling of EstatePrime's wire layouts (it imports no adapter, so it keeps its
# own): the shape checks, the messages and the times it writes all come from these two.
DATETIME_LAYOUT = "YYYY-MM-DD HH:MM:SS"
"""A wire date-time: the account's local wall time, whole seconds, no offset."""
DATE_LAYOUT = "YYYY-MM-DD"
"""A wire date."""


def _shape(layout: str) -> re.Pattern[str]:
    # Each run of letters of the layout is that many ASCII digits.
    return re.compile(re.sub(r"([A-Z])\1*", lambda run: f"[0-9]{{{len(run[0])}}}", layout))


_DATETIME = _shape(DATETIME_LAYOUT)
_DATE = _shape(DATE_LAYOUT)


def wire_datetime(local: datetime) -> str:
    """:data:`DATETIME_LAYOUT` of a naive local datetime (microseconds dropped)."""
    return local.isoformat(" ", "seconds")


class Invalid(ValueError):
    """A body or filter does not validate; the message names the key (never quotes the value)."""


def _where(path: str) -> str:
    return path or "body"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _expected(path: str, what: str, value: Any) -> Invalid:
    return Invalid(f"{_where(path)}: expected {what}, got {_kind(value)}")


def integer(value: Any, path: str) -> int:
    """Any JSON integer (booleans are not integers)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expected(path, "an integer", value)
    return value


def id_value(value: Any, path: str) -> int:
    """A record id: an integer of at least 1."""
    if integer(value, path) < 1:
        raise Invalid(f"{_where(path)}: expected an id (an integer of at least 1)")
    return int(value)


def string(value: Any, path: str) -> str:
    """Any JSON string."""
    if not isinstance(value, str):
        raise _expected(path, "a string", value)
    return value


def boolean(value: Any, path: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise _expected(path, "a boolean", value)
    return value


def any_value(value: Any, path: str) -> Any:
    """Anything (custom field values: the JSON type depends on the field's type)."""
    return value


def direction(value: Any, path: str) -> str:
    """``incoming`` or ``outgoing``."""
    if value not in ("incoming", "outgoing"):
        raise Invalid(f"{_where(path)}: expected incoming or outgoing")
    return str(value)


def datetime_text(value: Any, path: str) -> str:
    """A real date and time written as :data:`DATETIME_LAYOUT`."""
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise Invalid(f"{_where(path)}: expected a date-time {DATETIME_LAYOUT}")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{_where(path)}: not a valid date-time") from None
    return value


def date_or_datetime_text(value: Any, path: str) -> str:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``, kept as given."""
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{_where(path)}: not a valid date") from None
        return value
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return datetime_text(value, path)
    raise Invalid(f"{_where(path)}: expected a date {DATE_LAYOUT} or a date-time {DATETIME_LAYOUT}")


def event_bound(value: Any, path: str) -> str:
    """An event bound; a date (all-day create) is stored as that day at 00:00:00.

    Storing one shape keeps the event object what the documents show (bounds are date-times)
    and lets the date_starting filter compare strings.
    """
    text = date_or_datetime_text(value, path)
    return wire_datetime(datetime.fromisoformat(text)) if len(text) == len(DATE_LAYOUT) else text


def nullable(check: Check) -> Check:
    """``check``, or null."""

    def check_nullable(value: Any, path: str) -> Any:
        return None if value is None else check(value, path)

    return check_nullable


def list_of(check: Check) -> Check:
    """A JSON array whose items all pass ``check``."""

    def check_list(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _expected(path, "a list", value)
        return [check(item, f"{path}[{index}]") for index, item in enumerate(value)]

    return check_list


class ObjectSpec:
    """The keys of a JSON object: their checks, which are required, whether others are allowed."""

    __slots__ = ("extra", "fields", "required")

    def __init__(self, fields: Mapping[str, Check], required: Collection[str] = (), *, extra: bool = True) -> None:
        self.fields = dict(fields)
        self.required = tuple(required)
        self.extra = extra

    def __call__(self, value: Any, path: str) -> dict[str, Any]:
        return check_object(value, self, path)


def check_object(value: Any, spec: ObjectSpec, path: str = "") -> dict[str, Any]:
    """``value`` checked against ``spec``: a new dict, unknown keys kept when ``spec.extra``."""
    if not isinstance(value, dict):
        raise _expected(path, "a JSON object", value)
    prefix = f"{path}." if path else ""
    for key in spec.required:
        if key not in value:
            raise Invalid(f"{prefix}{key}: is required")
    checked: dict[str, Any] = {}
    for key, item in value.items():
        check = spec.fields.get(key)
        if check is not None:
            checked[key] = check(item, f"{prefix}{key}")
        elif spec.extra:
            checked[key] = item
        else:
            raise Invalid(f"{prefix}{key}: is not a known key")
    return checked


_NULLABLE_IDS = nullable(list_of(id_value))
_NULLABLE_STRING = nullable(string)
_NULLABLE_INTEGER = nullable(integer)
_NULLABLE_BOOLEAN = nullable(boolean)
_CUSTOM_FIELDS = nullable(list_of(ObjectSpec({"custom_field_id": id_value, "value": any_value}, ["custom_field_id"])))

_PHONE = ObjectSpec({"type": _NULLABLE_STRING, "number": string, "notes": _NULLABLE_STRING}, ["number"])
_EMAIL = ObjectSpec({"type": _NULLABLE_STRING, "email_address": string, "notes": _NULLABLE_STRING}, ["email_address"])
_DETAIL = ObjectSpec(
    dict.fromkeys(("first_name", "last_name", "mobile", "email", "notes"), _NULLABLE_STRING),
)
_MEETING = ObjectSpec(dict.fromkeys(("type", "meeting_url", "meeting_id"), _NULLABLE_STRING))

CONTACT_CREATE: Final = ObjectSpec(
    {
        "first_name": _NULLABLE_STRING,
        "last_name": _NULLABLE_STRING,
        "source_id": _NULLABLE_INTEGER,
        "is_lead": _NULLABLE_BOOLEAN,
        "is_company": _NULLABLE_BOOLEAN,
        "company_name": _NULLABLE_STRING,
        "phones": nullable(list_of(_PHONE)),
        "emails": nullable(list_of(_EMAIL)),
        "notes": _NULLABLE_STRING,
        "custom_fields": _CUSTOM_FIELDS,
        "contact_details": nullable(list_of(_DETAIL)),
        "tags": _NULLABLE_IDS,
        "created_by": _NULLABLE_INTEGER,
        "users": _NULLABLE_IDS,
        "date_converted_to_client": nullable(date_or_datetime_text),
    }
)
"""A contact create body (the documents require no key)."""

COMMUNICATION_CREATE: Final = ObjectSpec(
    {
        "channel": id_value,
        "user_id": id_value,
        "contact_id": id_value,
        "store_id": id_value,
        "type": direction,
        "communication_date": datetime_text,
        "request_id": _NULLABLE_INTEGER,
        "comments": _NULLABLE_STRING,
        "tags": _NULLABLE_IDS,
        "listings": _NULLABLE_IDS,
        "custom_fields": _CUSTOM_FIELDS,
    },
    # The documents' create table, in its order.
    ["channel", "user_id", "contact_id", "store_id", "type", "communication_date"],
)
"""A communication create body."""

EVENT_FIELDS: Final = ObjectSpec(
    {
        "full_day": _NULLABLE_BOOLEAN,
        "date_starting": event_bound,
        "date_ending": event_bound,
        "created_by": _NULLABLE_INTEGER,
        "status_id": _NULLABLE_INTEGER,
        "category_id": _NULLABLE_INTEGER,
        "contacts": _NULLABLE_IDS,
        "users": _NULLABLE_IDS,
        "title": _NULLABLE_STRING,
        "description": _NULLABLE_STRING,
        "is_public": _NULLABLE_BOOLEAN,
        "is_online": _NULLABLE_BOOLEAN,
        "tags": _NULLABLE_IDS,
        "remote_meeting": nullable(_MEETING),
        "custom_fields": _CUSTOM_FIELDS,
    }
)
"""The writable keys of an event; a create also needs both bounds (see the sandbox)."""

_RANGE = ObjectSpec({"min": nullable(datetime_text), "max": nullable(datetime_text)}, ["min", "max"], extra=False)


MAX_PAGE: Final = (2**63 - 1) // 50
"""The last page whose records' offsets fit a signed 64-bit integer (what a real server counts in)."""


def _page(value: Any, path: str) -> int:
    if integer(value, path) < 1:
        raise Invalid(f"{path}: expected a page number of at least 1")
    if value > MAX_PAGE:
        raise Invalid(f"{path}: expected a page number of at most {MAX_PAGE}")
    return int(value)


CONTACT_FILTERS: Final = ObjectSpec({"page": _page, "date_created": _RANGE}, extra=False)
COMMUNICATION_FILTERS: Final = ObjectSpec(
    {
        "page": _page,
        "type": direction,
        "channel": id_value,
        "contact_id": id_value,
        "user_id": id_value,
        "date_created": _RANGE,
        "communication_date": _RANGE,
    },
    extra=False,
)
EVENT_FILTERS: Final = ObjectSpec({"page": _page, "date_starting": _RANGE}, extra=False)
