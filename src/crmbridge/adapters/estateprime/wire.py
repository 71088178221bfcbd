"""EstatePrime's wire shapes (attrs classes) and the one cattrs converter that reads them.

The classes mirror the objects of the vendor documents (contacts, communication, calendar):
records, their nested objects, lookup list items and response envelopes. Optional keys default to
None; the mapping notices which keys a payload left out (see ``ABSENT_KEY`` in the mapping) and
collects unknown keys with :func:`crmbridge.adapters._support.unknown_fields`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

import attrs
import cattrs
from pydantic_core import core_schema as cs

from crmbridge.adapters._fastwire import WireSchemas, wire_format
from crmbridge.adapters._support import make_strict_converter
from crmbridge.adapters.estateprime._time import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    format_date,
    format_datetime,
    parse_date,
    parse_date_or_datetime,
    parse_datetime,
)

__all__ = [
    "Channel",
    "Communication",
    "Contact",
    "ContactDetail",
    "Created",
    "CustomField",
    "CustomFieldDefinition",
    "CustomFieldOption",
    "Deleted",
    "Email",
    "Event",
    "EventTime",
    "ListPage",
    "NamedItem",
    "Phone",
    "RemoteMeeting",
    "Single",
    "WIRE_SCHEMAS",
    "make_converter",
]

T = TypeVar("T")

EventTime = datetime | date
"""An event bound: a naive local datetime, or a date (all-day events on create)."""


# -- contacts -------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class Phone:
    """One of a contact's phones."""

    number: str
    type: str | None = None
    notes: str | None = None


@attrs.define(kw_only=True)
class Email:
    """One of a contact's email addresses."""

    email_address: str
    type: str | None = None
    notes: str | None = None


@attrs.define(kw_only=True)
class ContactDetail:
    """A person associated with a (company) contact."""

    first_name: str | None = None
    last_name: str | None = None
    mobile: str | None = None
    email: str | None = None
    notes: str | None = None


@attrs.define(kw_only=True)
class CustomField:
    """A custom field value on a record; the value's JSON type depends on the definition."""

    custom_field_id: int
    value: Any = None


@attrs.define(kw_only=True)
class Contact:
    """A contact (``/api/contacts``)."""

    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    source_id: int | None = None
    is_lead: bool | None = None
    is_company: bool | None = None
    company_name: str | None = None
    phones: list[Phone] | None = None
    emails: list[Email] | None = None
    notes: str | None = None
    custom_fields: list[CustomField] | None = None
    contact_details: list[ContactDetail] | None = None
    tags: list[int] | None = None
    date_created: datetime | None = None
    created_by: int | None = None
    users: list[int] | None = None
    date_updated: datetime | None = None
    date_converted_to_client: EventTime | None = None


# -- communication --------------------------------------------------------------------------


@attrs.define(kw_only=True)
class Communication:
    """A logged communication (``/api/communication``); required keys are the create's."""

    channel: int
    user_id: int
    contact_id: int
    store_id: int
    type: str
    communication_date: datetime
    id: int | None = None
    date_created: datetime | None = None
    request_id: int | None = None
    comments: str | None = None
    tags: list[int] | None = None
    listings: list[int] | None = None
    custom_fields: list[CustomField] | None = None


# -- calendar -------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class RemoteMeeting:
    """An event's online meeting."""

    type: str | None = None
    meeting_url: str | None = None
    meeting_id: str | None = None


@attrs.define(kw_only=True)
class Event:
    """A calendar event (``/api/calendar``)."""

    date_starting: EventTime
    date_ending: EventTime
    id: int | None = None
    full_day: bool | None = None
    date_created: datetime | None = None
    created_by: int | None = None
    status_id: int | None = None
    category_id: int | None = None
    contacts: list[int] | None = None
    users: list[int] | None = None
    title: str | None = None
    description: str | None = None
    is_public: bool | None = None
    is_online: bool | None = None
    tags: list[int] | None = None
    remote_meeting: RemoteMeeting | None = None
    custom_fields: list[CustomField] | None = None


# -- lookup lists ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class NamedItem:
    """A source, tag, event category or event status."""

    id: int
    name: str


@attrs.define(kw_only=True)
class Channel:
    """A communication channel; ``type`` is phone, email, sms or null."""

    id: int
    name: str
    type: str | None = None


@attrs.define(kw_only=True)
class CustomFieldOption:
    """An option of a select / select_multi custom field."""

    id: int
    name: str


@attrs.define(kw_only=True)
class CustomFieldDefinition:
    """A custom field definition; ``type`` is one of the 21 documented types (or a newer one)."""

    id: int
    name: str
    type: str
    options: list[CustomFieldOption] | None = None


# -- envelopes ------------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ListPage(Generic[T]):
    """A page of a list endpoint."""

    status: int
    page: int
    total_pages: int
    results_per_page: int
    total_results: int
    data: list[T]


@attrs.define(kw_only=True)
class Single(Generic[T]):
    """A single-object response (get one, PATCH)."""

    status: int
    data: T


@attrs.define(kw_only=True)
class Created:
    """The response of a create."""

    status: int
    created_id: int


@attrs.define(kw_only=True)
class Deleted:
    """The response of a delete."""

    status: int
    deleted_id: int


# -- the converter --------------------------------------------------------------------------


def _structure_datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a date-time string, got {type(value).__name__}")
    return parse_datetime(value)


def _structure_date(value: Any, _: type) -> date:
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    return parse_date(value)


def _structure_event_time(value: Any, _: Any) -> date | datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a date or date-time string, got {type(value).__name__}")
    return parse_date_or_datetime(value)


def _structure_optional_event_time(value: Any, _: Any) -> date | datetime | None:
    return None if value is None else _structure_event_time(value, _)


def _unstructure_datetime(value: datetime) -> str:
    return format_datetime(value)


# How the wire readers (crmbridge.adapters._fastwire) read the EstatePrime date-time formats:
# the exact shape, then the calendar check, both native, with the parse functions' messages.
_DATETIME_SCHEMA = cs.chain_schema([cs.str_schema(pattern=f"^{DATETIME_PATTERN}$", strict=True), cs.datetime_schema()])
_DATE_SCHEMA = cs.chain_schema([cs.str_schema(pattern=f"^{DATE_PATTERN}$", strict=True), cs.date_schema()])
_EVENT_TIME_SCHEMA = wire_format(
    cs.union_schema([_DATE_SCHEMA, _DATETIME_SCHEMA], mode="left_to_right"),
    "expected a date (YYYY-MM-DD) or a date-time (YYYY-MM-DD HH:MM:SS)",
)
WIRE_SCHEMAS: WireSchemas = {
    datetime: wire_format(_DATETIME_SCHEMA, "expected a date-time in the format YYYY-MM-DD HH:MM:SS"),
    date: wire_format(_DATE_SCHEMA, "expected a date in the format YYYY-MM-DD"),
    EventTime: _EVENT_TIME_SCHEMA,
    EventTime | None: cs.nullable_schema(_EVENT_TIME_SCHEMA),
}
"""The EstatePrime types of the wire classes, as the wire readers read them (naive local times)."""


def make_converter() -> cattrs.Converter:
    """The EstatePrime converter: :func:`make_strict_converter` plus these hooks.

    - ``datetime``: only the string ``YYYY-MM-DD HH:MM:SS`` → naive local datetime (unstructures
      back to that string);
    - ``date``: only the string ``YYYY-MM-DD`` (unstructures back to it);
    - ``EventTime`` (``datetime | date``) and its optional form: either shape, chosen by length;
    - lists and attrs classes accept only JSON arrays and objects (from the strict base).
    """
    converter = make_strict_converter()
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_structure_hook(date, _structure_date)
    converter.register_structure_hook(EventTime, _structure_event_time)
    converter.register_structure_hook(EventTime | None, _structure_optional_event_time)
    converter.register_unstructure_hook(datetime, _unstructure_datetime)
    converter.register_unstructure_hook(date, format_date)
    return converter
