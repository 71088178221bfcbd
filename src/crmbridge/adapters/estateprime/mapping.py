"""EstatePrime ↔ canonical: Contact ↔ Contact, Communication ↔ Activity, Event ↔ Event.

Times
    EstatePrime writes naive ``YYYY-MM-DD HH:MM:SS`` local times of the account's timezone (the
    ``timezone`` option, an IANA name, default ``"UTC"``). Reading makes them aware UTC; writing
    turns UTC back into local wall time. DST:

    - an *ambiguous* local time (autumn fold, e.g. 03:30 on the last Sunday of October in
      Athens) reads as its **first** occurrence (``fold=0``); writing any UTC instant gives its
      wall time, so both occurrences write the same string (EstatePrime cannot tell them apart);
    - a *non-existent* local time (spring gap, e.g. 03:30 on the last Sunday of March in
      Athens) reads with the offset in force before the gap (so it is the instant one hour after
      the clocks' jump). Formatted back, that instant is an hour later, so the original string is
      kept in ``extras["_wire"]`` under the wire key and written back as long as the canonical
      value is still the instant it read as.

Extras (all keys below are only written back to EstatePrime when ``owns(record)``)
    - unknown top-level keys → ``record.extras``; unknown keys of phones, emails,
      contact_details and remote_meeting → that value object's ``extras``;
    - ``extras["_wire"]``: ``{wire key: original wire value}`` for values whose canonical form
      does not reproduce them: a spring-gap time, a full-day event bound sent as a date-time, a
      ``date_converted_to_client`` sent as a date, a list sent as ``null``, and custom field
      values in a non-default format (key ``custom_fields[<index>].value``). Each is written
      back only while the canonical value still reads the same;
    - ``extras["_absent"]``: the writable keys a payload left out (a create body lists only
      some); they stay out of the body while their canonical value is still empty. Nested value
      objects keep their own ``_absent``;
    - ``extras["_custom_field_entries"]``: ``{"<index>:<field id>": {key: value}}`` unknown keys
      of custom field entries (written back on the entry at that index with that field id).

Update bodies
    :meth:`EstatePrimeAdapter.to_update` returns only the wire keys of the given canonical fields
    (absent = leave unchanged); an empty tag list becomes ``null`` (= clear, as in the calendar
    PATCH example) and a None value ``null``. Only the calendar documents an update (PATCH);
    contacts and communications have no documented update endpoint, so their update bodies
    follow the same conventions and are for a future endpoint only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, ClassVar, TypeVar

import cattrs
from pydantic import BaseModel, ValidationError

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._fastwire import WireReader
from crmbridge.adapters._support import (
    int_id_ref,
    int_ref,
    pydantic_error_path,
    ref_int_id,
    structure,
    unknown_fields,
    wire_field_names,
)
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._custom_fields import CustomFieldCodec, InvalidValue, same_json
from crmbridge.adapters.estateprime._time import (
    LocalClock,
    format_date,
    format_datetime,
    parse_date_or_datetime,
)
from crmbridge.canonical import (
    Activity,
    Contact,
    CustomFieldValue,
    EmailAddress,
    Event,
    Lookup,
    Person,
    Phone,
    Record,
    Ref,
    RemoteMeeting,
)
from crmbridge.canonical._construct import construct
from crmbridge.canonical._custom_fields import normalise_custom_value
from crmbridge.errors import MappingError

__all__ = [
    "ABSENT_KEY",
    "CUSTOM_FIELD_ENTRIES_KEY",
    "LOOKUP_ENDPOINTS",
    "REF_KINDS",
    "SYSTEM",
    "UPDATE_FIELDS",
    "WIRE_KEY",
    "EstatePrimeAdapter",
]

SYSTEM = "estateprime"
WIRE_KEY = "_wire"
ABSENT_KEY = "_absent"
CUSTOM_FIELD_ENTRIES_KEY = "_custom_field_entries"
_RESERVED = frozenset({WIRE_KEY, ABSENT_KEY, CUSTOM_FIELD_ENTRIES_KEY})

REF_KINDS: dict[str, str] = {
    "contact": "contact",
    "communication": "communication",
    "event": "event",
    "user": "user",
    "office": "office",
    "request": "request",
    "listing": "listing",
    "source": "source",
    "channel": "channel",
    "contact_tag": "contact_tag",
    "communication_tag": "communication_tag",
    "event_tag": "event_tag",
    "event_status": "event_status",
    "event_category": "event_category",
    "contact_custom_field": "contact_custom_field",
    "communication_custom_field": "communication_custom_field",
    "event_custom_field": "event_custom_field",
    "custom_field_option": "custom_field_option",
}
"""Every Ref kind this adapter produces (the kind name is the key and the value)."""

LOOKUP_ENDPOINTS: dict[str, str] = {
    "contacts/sources": "source",
    "contacts/tags": "contact_tag",
    "communication/tags": "communication_tag",
    "calendar/categories": "event_category",
    "calendar/statuses": "event_status",
    "calendar/tags": "event_tag",
}
"""Named-item lookup endpoints (path below ``/api/``) → the Ref kind of their ids."""

_CUSTOM_FIELD_ENDPOINTS = {
    "contact": "contacts/custom-fields",
    "activity": "communication/custom-fields",
    "event": "calendar/custom-fields",
}
_CHANNELS_ENDPOINT = "communication/channels"
_TAG_KINDS = {"contact": "contact_tag", "activity": "communication_tag", "event": "event_tag"}
_FIELD_KINDS = {
    "contact": "contact_custom_field",
    "activity": "communication_custom_field",
    "event": "event_custom_field",
}
_RECORD_KINDS = {"contact": "contact", "activity": "communication", "event": "event"}

UPDATE_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "contact": {
        "first_name": ("first_name",),
        "last_name": ("last_name",),
        "source": ("source_id",),
        "is_lead": ("is_lead",),
        "is_company": ("is_company",),
        "company_name": ("company_name",),
        "phones": ("phones",),
        "emails": ("emails",),
        "notes": ("notes",),
        "custom_fields": ("custom_fields",),
        "related_people": ("contact_details",),
        "tags": ("tags",),
        "owners": ("users",),
        "converted_at": ("date_converted_to_client",),
    },
    "activity": {
        "channel": ("channel",),
        "channel_lookup": ("channel",),
        "user": ("user_id",),
        "contact": ("contact_id",),
        "office": ("store_id",),
        "direction": ("type",),
        "occurred_at": ("communication_date",),
        "request": ("request_id",),
        "notes": ("comments",),
        "tags": ("tags",),
        "listings": ("listings",),
        "custom_fields": ("custom_fields",),
    },
    "event": {
        "title": ("title",),
        "description": ("description",),
        # Switching all-day changes the format of both bounds, so they go along.
        "all_day": ("full_day", "date_starting", "date_ending"),
        "starts_at": ("date_starting",),
        "start_date": ("date_starting",),
        "ends_at": ("date_ending",),
        "end_date": ("date_ending",),
        "status": ("status_id",),
        "category": ("category_id",),
        "contacts": ("contacts",),
        "users": ("users",),
        "is_public": ("is_public",),
        "is_online": ("is_online",),
        "tags": ("tags",),
        "remote_meeting": ("remote_meeting",),
        "created_by": ("created_by",),
        "custom_fields": ("custom_fields",),
    },
}
"""Canonical field → the wire keys an update of it sends (plus ``"extras"``: the unknown keys)."""

# Keys that never reach a create body, or that the vendor's objects do not show (custom_fields of
# communications and events: written only when there are some, or the payload had the key).
_NOT_TRACKED = {
    "contact": frozenset({"id", "date_created", "date_updated", "created_by"}),
    "activity": frozenset({"id", "date_created", "custom_fields"}),
    "event": frozenset({"id", "date_created", "custom_fields"}),
}
_UNDOCUMENTED = {"activity": frozenset({"custom_fields"}), "event": frozenset({"custom_fields"})}
_OMIT: Any = object()
"""A body value meaning "leave the key out"."""

_LIST_KEYS = {
    "contact": ("phones", "emails", "custom_fields", "contact_details", "tags", "users"),
    "activity": ("tags", "listings", "custom_fields"),
    "event": ("contacts", "users", "tags", "custom_fields"),
}

W = TypeVar("W")
_Getter = Callable[[], Any]


class _Body:
    """A write body being built: keeps only the wanted keys and computes only those."""

    __slots__ = ("data", "keys")

    def __init__(self, keys: Collection[str] | None) -> None:
        self.keys = keys
        self.data: dict[str, Any] = {}

    def put(self, key: str, value: _Getter) -> None:
        if self.keys is None or key in self.keys:
            found = value()
            if found is not _OMIT:
                self.data[key] = found


def _memo(extras: Mapping[str, Any], key: str) -> Any:
    wire_values = extras.get(WIRE_KEY)
    return wire_values.get(key, ...) if isinstance(wire_values, dict) else ...


_NO_KEYS: frozenset[str] = frozenset()
_KEY_SETS: dict[tuple[type, frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}


def _extras_of(payload: Mapping[str, Any], cls: type, ignore: frozenset[str] = _NO_KEYS) -> dict[str, Any]:
    # unknown_fields() plus the absent keys, with the key sets of each class worked out once.
    sets = _KEY_SETS.get((cls, ignore))
    if sets is None:
        sets = _KEY_SETS[cls, ignore] = (wire_field_names(cls), wire_field_names(cls) - ignore)
    known, tracked = sets
    keys = payload.keys()
    extras = {} if keys <= known else {key: value for key, value in payload.items() if key not in known}
    if not tracked <= keys:
        extras[ABSENT_KEY] = sorted(tracked - keys)
    return extras


_READ_CLASSES: dict[str, type] = {"contact": wire.Contact, "activity": wire.Communication, "event": wire.Event}


@cache
def _wire_reader(kind: str) -> WireReader[Any]:
    """The reader of one kind's wire objects (as dicts), compiled once for every adapter.

    The EstatePrime converter has no per-adapter settings, so one converter serves them all.
    """
    return WireReader(_read_converter(), _READ_CLASSES[kind], system=SYSTEM, kind=kind)


@cache
def _read_converter() -> cattrs.Converter:
    return wire.make_converter()


def _validation_message(error: ValidationError) -> str:
    """What was wrong, by pydantic's error type only (its text may quote the value: personal data)."""
    errors = error.errors(include_url=False, include_input=False)
    return f"not a valid canonical value ({errors[0]['type']})" if errors else "not a valid canonical value"


def _validation_path(error: ValidationError) -> str:
    errors = error.errors(include_url=False, include_input=False)
    path = pydantic_error_path(tuple(errors[0]["loc"])) if errors else ""
    # Unknown keys of custom field entries are kept in extras under "<index>:<field id>": name
    # them where the payload has them.
    entry = _ENTRY_EXTRAS.match(path)
    return f"custom_fields[{entry['index']}]{entry['rest']}" if entry else path


# pydantic writes the branch of its JSON value type (".dict") before each key of a JSON object.
_ENTRY_EXTRAS = re.compile(
    rf"extras\.{CUSTOM_FIELD_ENTRIES_KEY}(?:\.dict)?\.(?P<index>[0-9]+):[0-9]+(?:\.dict)?(?P<rest>.*)", re.DOTALL
)
V = TypeVar("V", bound=BaseModel)


def _value_object(model: type[V], values: dict[str, Any], kind: str, key: str, index: int | None = None) -> V:
    """``construct(model, values)`` of a value object read from ``payload[key]`` (``[index]``).

    Only its extras (payload keys no model describes) can be refused: the error names them there.
    """
    try:
        return construct(model, values)
    except ValidationError as error:
        where = key if index is None else f"{key}[{index}]"
        raise MappingError(SYSTEM, kind, f"{where}.{_validation_path(error)}", _validation_message(error)) from None


class _NoInstantError(Exception):
    """A local time of the account's zone with no UTC instant; ``key`` is its payload key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class EstatePrimeAdapter(Adapter):
    """Translates EstatePrime contacts, communications and calendar events (see module doc)."""

    system: ClassVar[str] = SYSTEM
    kinds: ClassVar[frozenset[str]] = frozenset({"contact", "activity", "event"})
    ref_kinds: ClassVar[Mapping[str, str]] = {"activity": "communication"}

    def __init__(
        self, *, timezone: str = "UTC", lookups: Mapping[str, Any] | None = None, default_office: int | None = None
    ) -> None:
        self.default_office = default_office
        self._converter: cattrs.Converter = wire.make_converter()
        self._clock = LocalClock(timezone)
        self._names: dict[str, dict[int, str]] = {kind: {} for kind in LOOKUP_ENDPOINTS.values()}
        self._channels: dict[int, wire.Channel] = {}
        definitions: dict[str, list[wire.CustomFieldDefinition]] = {kind: [] for kind in _CUSTOM_FIELD_ENDPOINTS}
        self._load_lookups(lookups or {}, definitions)
        self._names["channel"] = {c.id: c.name for c in self._channels.values()}
        self._ids_by_name = {kind: {name: i for i, name in names.items()} for kind, names in self._names.items()}
        self._channel_by_type: dict[str, int] = {}
        for channel in self._channels.values():
            if channel.type is not None:
                self._channel_by_type.setdefault(channel.type, channel.id)
        self._fields = {
            kind: CustomFieldCodec(_FIELD_KINDS[kind], definitions[kind], self._clock) for kind in _FIELD_KINDS
        }
        # Lookups are immutable and their names are fixed once the adapter is built: a page
        # repeats the same tags, sources and channels, so each is built (and validated) once.
        self._cached_lookup = lru_cache(maxsize=4096)(self._new_lookup)

    def _load_lookups(
        self, lookups: Mapping[str, Any], definitions: dict[str, list[wire.CustomFieldDefinition]]
    ) -> None:
        endpoint_of_fields = {endpoint: kind for kind, endpoint in _CUSTOM_FIELD_ENDPOINTS.items()}
        for endpoint, items in lookups.items():
            if endpoint in LOOKUP_ENDPOINTS:
                named = self._structure_lookup(endpoint, items, wire.NamedItem)
                self._names[LOOKUP_ENDPOINTS[endpoint]] = {item.id: item.name for item in named}
            elif endpoint == _CHANNELS_ENDPOINT:
                channels = self._structure_lookup(endpoint, items, wire.Channel)
                self._channels = {c.id: c for c in channels}
            elif endpoint in endpoint_of_fields:
                found = self._structure_lookup(endpoint, items, wire.CustomFieldDefinition)
                definitions[endpoint_of_fields[endpoint]] = found
            else:
                known = sorted([*LOOKUP_ENDPOINTS, _CHANNELS_ENDPOINT, *endpoint_of_fields])
                raise ValueError(f"unknown EstatePrime lookup {endpoint!r}; known: {', '.join(known)}")

    def _structure_lookup(self, endpoint: str, items: Any, cls: type[W]) -> list[W]:
        if not isinstance(items, list):
            raise MappingError(SYSTEM, "lookup", endpoint, f"expected the data list, got {type(items).__name__}")
        return [
            structure(self._converter, item, cls, system=SYSTEM, kind="lookup", path=f"{endpoint}[{i}]")
            for i, item in enumerate(items)
        ]

    # == reading ===========================================================================

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """The canonical record of an EstatePrime object (``kind``: contact, activity or event)."""
        self.check_kind(kind)
        try:
            if kind == "contact":
                return self._read_contact(payload)
            if kind == "activity":
                return self._read_communication(payload)
            return self._read_event(payload)
        except ValidationError as error:
            raise MappingError(SYSTEM, kind, _validation_path(error), _validation_message(error)) from None
        except _NoInstantError as error:
            raise MappingError(SYSTEM, kind, error.key, "a local time with no UTC instant (out of range)") from None

    # The wire reader validates the whole payload once (the converter's rules, compiled; see
    # crmbridge.adapters._fastwire) and hands over a dict of valid wire values. Everything built
    # from them below is valid by construction (cached Refs and Lookups, aware UTC datetimes of
    # the clock, strings and booleans the reader checked), so the canonical models are built
    # with ``construct``, which checks only the ``extras`` taken from the payload.

    def _read_contact(self, payload: Mapping[str, Any]) -> Contact:
        data = _wire_reader("contact")(payload)
        extras = _extras_of(payload, wire.Contact, _NOT_TRACKED["contact"])
        memo = self._null_lists(payload, "contact")
        phones, emails, details = data["phones"], data["emails"], data["contact_details"]
        return construct(
            Contact,
            {
                "ref": int_ref(SYSTEM, "contact", data["id"]),
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "source": self._lookup("source", data["source_id"]),
                "is_lead": data["is_lead"],
                "is_company": data["is_company"],
                "company_name": data["company_name"],
                "phones": [
                    self._read_phone(p, raw, i)
                    for i, (p, raw) in enumerate(zip(phones, payload["phones"], strict=True))
                ]
                if phones
                else [],
                "emails": [
                    self._read_email(e, raw, i)
                    for i, (e, raw) in enumerate(zip(emails, payload["emails"], strict=True))
                ]
                if emails
                else [],
                "notes": data["notes"],
                "custom_fields": self._read_custom_fields("contact", data["custom_fields"], payload, memo, extras),
                "related_people": [
                    self._read_contact_detail(d, raw, i)
                    for i, (d, raw) in enumerate(zip(details, payload["contact_details"], strict=True))
                ]
                if details
                else [],
                "tags": self._lookups("contact_tag", data["tags"]),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "created_by": int_ref(SYSTEM, "user", data["created_by"]),
                "owners": self._refs("user", data["users"]),
                "updated_at": self._read_instant(data["date_updated"], "date_updated", memo),
                "converted_at": self._read_instant(data["date_converted_to_client"], "date_converted_to_client", memo),
                "extras": self._with_memo(extras, memo),
            },
        )

    @staticmethod
    def _read_phone(phone: dict[str, Any], raw: Mapping[str, Any], index: int) -> Phone:
        return _value_object(
            Phone,
            {
                "number": phone["number"],
                "kind": phone["type"],
                "note": phone["notes"],
                "extras": _extras_of(raw, wire.Phone),
            },
            "contact",
            "phones",
            index,
        )

    @staticmethod
    def _read_email(email: dict[str, Any], raw: Mapping[str, Any], index: int) -> EmailAddress:
        return _value_object(
            EmailAddress,
            {
                "address": email["email_address"],
                "kind": email["type"],
                "note": email["notes"],
                "extras": _extras_of(raw, wire.Email),
            },
            "contact",
            "emails",
            index,
        )

    @staticmethod
    def _read_contact_detail(detail: dict[str, Any], raw: Mapping[str, Any], index: int) -> Person:
        return _value_object(
            Person,
            {
                "first_name": detail["first_name"],
                "last_name": detail["last_name"],
                "phone": detail["mobile"],
                "email": detail["email"],
                "note": detail["notes"],
                "extras": _extras_of(raw, wire.ContactDetail),
            },
            "contact",
            "contact_details",
            index,
        )

    def _read_communication(self, payload: Mapping[str, Any]) -> Activity:
        data = _wire_reader("activity")(payload)
        extras = _extras_of(payload, wire.Communication, _NOT_TRACKED["activity"])
        memo = self._null_lists(payload, "activity")
        channel = self._channels.get(data["channel"])
        return construct(
            Activity,
            {
                "ref": int_ref(SYSTEM, "communication", data["id"]),
                "direction": data["type"],
                "channel": channel.type if channel else None,
                "channel_lookup": self._lookup("channel", data["channel"]),
                "occurred_at": self._read_instant(data["communication_date"], "communication_date", memo),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "user": int_id_ref(SYSTEM, "user", data["user_id"]),
                "contact": int_id_ref(SYSTEM, "contact", data["contact_id"]),
                "office": int_id_ref(SYSTEM, "office", data["store_id"]),
                "request": int_ref(SYSTEM, "request", data["request_id"]),
                "listings": self._refs("listing", data["listings"]),
                "tags": self._lookups("communication_tag", data["tags"]),
                "notes": data["comments"],
                "custom_fields": self._read_custom_fields("activity", data["custom_fields"], payload, memo, extras),
                "extras": self._with_memo(extras, memo),
            },
        )

    def _read_event(self, payload: Mapping[str, Any]) -> Event:
        data = _wire_reader("event")(payload)
        extras = _extras_of(payload, wire.Event, _NOT_TRACKED["event"])
        memo = self._null_lists(payload, "event")
        full_day = data["full_day"]
        starts_at, start_date = self._read_bound(data["date_starting"], full_day, "date_starting", memo)
        ends_at, end_date = self._read_bound(data["date_ending"], full_day, "date_ending", memo)
        meeting = data["remote_meeting"]
        return construct(
            Event,
            {
                "ref": int_ref(SYSTEM, "event", data["id"]),
                "title": data["title"],
                "description": data["description"],
                "all_day": full_day,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "start_date": start_date,
                "end_date": end_date,
                "status": self._lookup("event_status", data["status_id"]),
                "category": self._lookup("event_category", data["category_id"]),
                "contacts": self._refs("contact", data["contacts"]),
                "users": self._refs("user", data["users"]),
                "is_public": data["is_public"],
                "is_online": data["is_online"],
                "tags": self._lookups("event_tag", data["tags"]),
                "remote_meeting": None
                if meeting is None
                else _value_object(
                    RemoteMeeting,
                    {
                        "provider": meeting["type"],
                        "url": meeting["meeting_url"],
                        "meeting_id": meeting["meeting_id"],
                        "extras": _extras_of(payload["remote_meeting"], wire.RemoteMeeting),
                    },
                    "event",
                    "remote_meeting",
                ),
                "created_by": int_ref(SYSTEM, "user", data["created_by"]),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "custom_fields": self._read_custom_fields("event", data["custom_fields"], payload, memo, extras),
                "extras": self._with_memo(extras, memo),
            },
        )

    def _read_bound(
        self, value: datetime | date, full_day: bool | None, key: str, memo: dict[str, Any]
    ) -> tuple[datetime | None, date | None]:
        """``(starts_at, start_date)`` of an event bound; full-day bounds are dates."""
        if full_day is True:
            if isinstance(value, datetime):
                memo[key] = format_datetime(value)  # a date does not say the time: keep it
                return None, value.date()
            return None, value
        if isinstance(value, datetime):
            return self._read_instant(value, key, memo), None
        return None, value

    def _read_instant(self, value: datetime | date | None, key: str, memo: dict[str, Any]) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            memo[key] = format_date(value)  # a date where a date-time was expected: keep its form
            value = datetime(value.year, value.month, value.day)
        try:
            instant, exact = self._clock.to_utc(value)
        except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it: no UTC instant
            raise _NoInstantError(key) from None
        if not exact:
            memo[key] = format_datetime(value)  # spring gap: see the module doc
        return instant

    @staticmethod
    def _null_lists(payload: Mapping[str, Any], kind: str) -> dict[str, Any]:
        memo: dict[str, Any] = {key: None for key in _LIST_KEYS[kind] if key in payload and payload[key] is None}
        for key in _UNDOCUMENTED.get(kind, ()):
            if payload.get(key) == []:
                memo[key] = []  # an empty list the objects do not usually show: keep the key
        return memo

    @staticmethod
    def _with_memo(extras: dict[str, Any], memo: dict[str, Any]) -> dict[str, Any]:
        if memo:
            extras[WIRE_KEY] = memo
        return extras

    def _new_lookup(self, kind: str, item_id: int) -> Lookup:
        return Lookup(ref=_ref(kind, item_id), name=self._names[kind].get(item_id))

    def _lookup(self, kind: str, item_id: int | None) -> Lookup | None:
        return None if item_id is None else self._cached_lookup(kind, item_id)

    def _lookups(self, kind: str, ids: list[int] | None) -> list[Lookup]:
        lookup = self._cached_lookup
        return [lookup(kind, i) for i in ids] if ids else []

    @staticmethod
    def _refs(kind: str, ids: list[int] | None) -> list[Ref]:
        return [int_id_ref(SYSTEM, kind, i) for i in ids] if ids else []

    def _read_custom_fields(
        self,
        kind: str,
        entries: list[dict[str, Any]] | None,
        payload: Mapping[str, Any],
        memo: dict[str, Any],
        extras: dict[str, Any],
    ) -> list[CustomFieldValue]:
        if not entries:
            return []
        codec = self._fields[kind]
        values: list[CustomFieldValue] = []
        for index, entry in enumerate(entries):
            field_id, wire_value = entry["custom_field_id"], entry["value"]
            name, field_type = codec.definition(field_id)
            if field_type is None:
                # No definition: the value passes through unchanged, so there is nothing to
                # render back (the default rendering of an untyped value is the value itself).
                value = wire_value
                if not _all_finite(wire_value):
                    _check_finite(wire_value, kind, f"custom_fields[{index}].value")
            else:
                path = f"custom_fields[{index}].value"
                try:
                    value = codec.read(field_id, field_type, wire_value)
                    default = self._render_own(codec, field_id, field_type, value, kind, path)
                except InvalidValue as error:
                    raise MappingError(SYSTEM, kind, path, str(error)) from None
                if not same_json(default, wire_value):
                    memo[path] = wire_value
            unknown = unknown_fields(payload["custom_fields"][index], wire.CustomField)
            if unknown:
                extras.setdefault(CUSTOM_FIELD_ENTRIES_KEY, {})[f"{index}:{field_id}"] = unknown
            try:
                value = normalise_custom_value(field_type, value)
            except ValidationError:
                raise MappingError(SYSTEM, kind, f"custom_fields[{index}].value", "expected a JSON value") from None
            field = _ref(codec.field_kind, field_id)
            values.append(
                construct(CustomFieldValue, {"field": field, "name": name, "type": field_type, "value": value})
            )
        return values

    def _render_own(
        self, codec: CustomFieldCodec, field_id: int, field_type: str | None, value: Any, kind: str, path: str
    ) -> Any:
        def own_id(ref: Ref, ref_kind: str, where: str) -> int:
            return ref_int_id(ref, record_kind=kind, path=where)

        return codec.render(field_id, field_type, value, own_id, path)

    # == writing ===========================================================================

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        """The create body of ``record`` (no read-only fields; required fields checked)."""
        kind = record.KIND
        self.check_kind(kind)
        body = self._body(record, resolve, None)
        self._check_required(record, body)
        if self.owns(record):
            self._emit_extras(record.extras, body)
        return body

    def to_update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
    ) -> dict[str, Any]:
        """The PATCH body: only the wire keys of ``fields`` (None: all); empty tags → null (clear)."""
        kind = record.KIND
        self.check_kind(kind)
        mapping = UPDATE_FIELDS[kind]
        keys: set[str] | None = None
        with_extras = fields is None
        if fields is not None:
            keys = set()
            for name in fields:
                if name == "extras":
                    with_extras = True
                elif name in mapping:
                    keys.update(mapping[name])
                else:
                    raise MappingError(SYSTEM, kind, name, "not a field EstatePrime can update")
        body = self._body(record, resolve, keys)
        if body.get("tags") == []:
            body["tags"] = None
        if with_extras and self.owns(record):
            self._emit_extras(record.extras, body, drop_absent=False)
        return body

    def _body(self, record: Record, resolve: Resolver | None, keys: Collection[str] | None) -> dict[str, Any]:
        body = _Body(keys)
        if isinstance(record, Contact):
            self._contact_body(record, resolve, body)
        elif isinstance(record, Activity):
            self._communication_body(record, resolve, body)
        elif isinstance(record, Event):
            self._event_body(record, resolve, body)
        return body.data

    def _contact_body(self, c: Contact, resolve: Resolver | None, body: _Body) -> None:
        own = self.owns(c)
        body.put("first_name", lambda: c.first_name)
        body.put("last_name", lambda: c.last_name)
        body.put("source_id", lambda: self._lookup_id(c.source, "source", "source", c, resolve))
        body.put("is_lead", lambda: c.is_lead)
        body.put("is_company", lambda: c.is_company)
        body.put("company_name", lambda: c.company_name)
        body.put("phones", lambda: self._list(c, "phones", [self._phone_body(p, own) for p in c.phones]))
        body.put("emails", lambda: self._list(c, "emails", [self._email_body(e, own) for e in c.emails]))
        body.put("notes", lambda: c.notes)
        body.put("custom_fields", lambda: self._custom_fields_body(c, resolve))
        body.put(
            "contact_details",
            lambda: self._list(c, "contact_details", [self._detail_body(p, own) for p in c.related_people]),
        )
        body.put("tags", lambda: self._list(c, "tags", self._lookup_ids(c.tags, "contact_tag", c, resolve)))
        body.put("users", lambda: self._list(c, "users", self._ref_ids(c.owners, "user", "owners", c, resolve)))
        body.put(
            "date_converted_to_client",
            lambda: self._write_instant(c.converted_at, "date_converted_to_client", c, "converted_at"),
        )

    def _office_id(self, a: Activity, resolve: Resolver | None) -> int | None:
        # A communication from a CRM without offices (Activix) goes to the default_office, if set.
        if a.office is None:
            return self.default_office
        return self._ref_id(a.office, "office", "office", a, resolve)

    def _communication_body(self, a: Activity, resolve: Resolver | None, body: _Body) -> None:
        body.put("channel", lambda: self._channel_id(a, resolve))
        body.put("user_id", lambda: self._ref_id(a.user, "user", "user", a, resolve))
        body.put("contact_id", lambda: self._ref_id(a.contact, "contact", "contact", a, resolve))
        body.put("store_id", lambda: self._office_id(a, resolve))
        body.put("type", lambda: a.direction)
        body.put(
            "communication_date", lambda: self._write_instant(a.occurred_at, "communication_date", a, "occurred_at")
        )
        body.put("request_id", lambda: self._ref_id(a.request, "request", "request", a, resolve))
        body.put("comments", lambda: a.notes)
        body.put("tags", lambda: self._list(a, "tags", self._lookup_ids(a.tags, "communication_tag", a, resolve)))
        body.put(
            "listings", lambda: self._list(a, "listings", self._ref_ids(a.listings, "listing", "listings", a, resolve))
        )
        body.put("custom_fields", lambda: self._custom_fields_body(a, resolve))

    def _event_body(self, e: Event, resolve: Resolver | None, body: _Body) -> None:
        body.put("full_day", lambda: e.all_day)
        body.put("date_starting", lambda: self._write_bound(e, e.starts_at, e.start_date, "date_starting", "starts_at"))
        body.put("date_ending", lambda: self._write_bound(e, e.ends_at, e.end_date, "date_ending", "ends_at"))
        body.put("created_by", lambda: self._ref_id(e.created_by, "user", "created_by", e, resolve))
        body.put("status_id", lambda: self._lookup_id(e.status, "event_status", "status", e, resolve))
        body.put("category_id", lambda: self._lookup_id(e.category, "event_category", "category", e, resolve))
        body.put(
            "contacts", lambda: self._list(e, "contacts", self._ref_ids(e.contacts, "contact", "contacts", e, resolve))
        )
        body.put("users", lambda: self._list(e, "users", self._ref_ids(e.users, "user", "users", e, resolve)))
        body.put("title", lambda: e.title)
        body.put("description", lambda: e.description)
        body.put("is_public", lambda: e.is_public)
        body.put("is_online", lambda: e.is_online)
        body.put("tags", lambda: self._list(e, "tags", self._lookup_ids(e.tags, "event_tag", e, resolve)))
        body.put("remote_meeting", lambda: self._meeting_body(e))
        body.put("custom_fields", lambda: self._custom_fields_body(e, resolve))

    # -- value objects -----------------------------------------------------------------------

    @staticmethod
    def _nested(fields: dict[str, Any], extras: Mapping[str, Any], own: bool) -> dict[str, Any]:
        if own:
            _emit_unknown(extras, fields)
            for key in extras.get(ABSENT_KEY) or ():
                if key in fields and fields[key] is None:
                    del fields[key]
        return fields

    def _phone_body(self, phone: Phone, own: bool) -> dict[str, Any]:
        fields = {"type": phone.kind, "number": phone.number, "notes": phone.note}
        return self._nested(fields, phone.extras, own)

    def _email_body(self, email: EmailAddress, own: bool) -> dict[str, Any]:
        fields = {"type": email.kind, "email_address": email.address, "notes": email.note}
        return self._nested(fields, email.extras, own)

    def _detail_body(self, person: Person, own: bool) -> dict[str, Any]:
        fields = {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "mobile": person.phone,
            "email": person.email,
            "notes": person.note,
        }
        return self._nested(fields, person.extras, own)

    def _meeting_body(self, event: Event) -> dict[str, Any] | None:
        meeting = event.remote_meeting
        if meeting is None:
            return None
        fields = {"type": meeting.provider, "meeting_url": meeting.url, "meeting_id": meeting.meeting_id}
        return self._nested(fields, meeting.extras, self.owns(event))

    # -- ids, lookups and lists ----------------------------------------------------------------

    def _ref_id(self, ref: Ref | None, kind: str, path: str, record: Record, resolve: Resolver | None) -> int | None:
        if ref is None:
            return None
        own = _own_id(ref, kind)
        if own is not None:
            return own
        local = self.local_ref(ref, path=path, record_kind=record.KIND, resolve=resolve)
        if local.kind != kind:
            raise MappingError(SYSTEM, record.KIND, path, f"expected a {kind} reference, got a {local.kind} reference")
        return ref_int_id(local, record_kind=record.KIND, path=path)

    def _ref_ids(self, refs: list[Ref], kind: str, path: str, record: Record, resolve: Resolver | None) -> list[int]:
        ids = []
        for i, ref in enumerate(refs):
            own = _own_id(ref, kind)
            ids.append(self._id(self._ref_id(ref, kind, f"{path}[{i}]", record, resolve)) if own is None else own)
        return ids

    def _lookup_id(
        self, lookup: Lookup | None, kind: str, path: str, record: Record, resolve: Resolver | None
    ) -> int | None:
        if lookup is None:
            return None
        if lookup.ref is not None and lookup.ref.system == SYSTEM:
            return self._ref_id(lookup.ref, kind, path, record, resolve)
        if lookup.ref is not None and resolve is not None:
            resolved = resolve(lookup.ref, SYSTEM)
            if resolved is not None and resolved.system == SYSTEM:
                return self._ref_id(resolved, kind, path, record, resolve)
        # A tag or source EstatePrime does not know is not written: unsupported() reports it as lost.
        return self._ids_by_name[kind].get(lookup.name or "")

    def _lookup_ids(self, lookups: list[Lookup], kind: str, record: Record, resolve: Resolver | None) -> list[int]:
        found = (self._lookup_id(lk, kind, f"tags[{i}]", record, resolve) for i, lk in enumerate(lookups))
        return [ident for ident in found if ident is not None]

    @staticmethod
    def _id(value: int | None) -> int:
        assert value is not None  # only called for a present ref
        return value

    def _channel_id(self, activity: Activity, resolve: Resolver | None) -> int | None:
        if activity.channel_lookup is not None:
            return self._lookup_id(activity.channel_lookup, "channel", "channel_lookup", activity, resolve)
        if activity.channel is not None:
            return self._channel_by_type.get(activity.channel)
        return None

    def _list(self, record: Record, key: str, items: list[Any]) -> list[Any] | None:
        # A list EstatePrime sent as null reads as []: write null back while it is still empty.
        if not items and self.owns(record) and _memo(record.extras, key) is None:
            return None
        return items

    # -- times ----------------------------------------------------------------------------------

    def _local(self, value: datetime, record: Record, field: str) -> datetime:
        """The account's local time of ``value``, or MappingError naming ``field`` when it has none."""
        try:
            return self._clock.to_local(value)
        except OverflowError:  # 0001-01-01 UTC west of UTC, 9999-12-31 UTC east of it
            raise MappingError(
                SYSTEM, record.KIND, field, f"no local time in {self._clock.zone.key} between years 1 and 9999"
            ) from None

    def _write_instant(self, value: datetime | None, key: str, record: Record, field: str) -> str | None:
        if value is None:
            return None
        original = _memo(record.extras, key) if self.owns(record) else ...
        if isinstance(original, str) and self._memo_instant(original) == value:
            return original
        return format_datetime(self._local(value, record, field))

    def _memo_instant(self, text: str) -> datetime | None:
        try:
            parsed = parse_date_or_datetime(text)
        except ValueError:
            return None  # an edited memo is ignored
        if not isinstance(parsed, datetime):
            parsed = datetime(parsed.year, parsed.month, parsed.day)
        try:
            return self._clock.to_utc(parsed)[0]
        except OverflowError:
            return None  # a memo with no UTC instant here (kept under another zone): ignored

    def _write_bound(
        self, event: Event, instant: datetime | None, day: date | None, key: str, field: str
    ) -> str | None:
        if event.all_day is True:
            if day is None and instant is not None:
                day = self._local(instant, event, field).date()
            if day is None:
                return None
            original = _memo(event.extras, key) if self.owns(event) else ...
            if isinstance(original, str) and _memo_day(original) == day:
                return original
            return format_date(day)
        if instant is not None:
            return self._write_instant(instant, key, event, field)
        return None if day is None else format_date(day)

    # -- custom fields ------------------------------------------------------------------------

    def _custom_fields_body(self, record: Contact | Activity | Event, resolve: Resolver | None) -> list[Any] | None:
        kind = record.KIND
        codec = self._fields[kind]
        own = self.owns(record)
        entries_extras = record.extras.get(CUSTOM_FIELD_ENTRIES_KEY) if own else None
        entries: list[dict[str, Any]] = []

        def int_id(ref: Ref, ref_kind: str, where: str) -> int:
            return self._id(self._ref_id(ref, ref_kind, where, record, resolve))

        for index, cf in enumerate(record.custom_fields):
            field_id = int_id(cf.field, codec.field_kind, f"custom_fields[{index}].field")
            path = f"custom_fields[{index}].value"
            try:
                value = codec.render(field_id, cf.type, cf.value, int_id, path)
            except InvalidValue as error:
                raise MappingError(SYSTEM, kind, path, str(error)) from None
            original = _memo(record.extras, path) if own else ...
            if original is not ... and self._same_custom_value(codec, field_id, cf, original, kind, path):
                value = original
            entry: dict[str, Any] = {"custom_field_id": field_id, "value": value}
            unknown = entries_extras.get(f"{index}:{field_id}") if isinstance(entries_extras, dict) else None
            if isinstance(unknown, dict):
                _emit_unknown(unknown, entry)
            entries.append(entry)
        if not entries and "custom_fields" in _UNDOCUMENTED.get(kind, ()):
            kept = _memo(record.extras, "custom_fields") if own else ...
            result: list[Any] | None = _OMIT if kept is ... else kept
            return result
        return self._list(record, "custom_fields", entries)

    def _same_custom_value(
        self, codec: CustomFieldCodec, field_id: int, cf: CustomFieldValue, original: Any, kind: str, path: str
    ) -> bool:
        try:
            was = codec.read(field_id, cf.type, original)
            return bool(
                same_json(
                    self._render_own(codec, field_id, cf.type, was, kind, path),
                    self._render_own(codec, field_id, cf.type, cf.value, kind, path),
                )
            )
        except (InvalidValue, MappingError):
            return False  # an edited memo, or a value that is no longer ours: the memo is stale

    # -- create checks and extras -------------------------------------------------------------

    def _check_required(self, record: Record, body: Mapping[str, Any]) -> None:
        required: dict[str, str] = {}
        if isinstance(record, Activity):
            required = {
                "channel": "channel_lookup",
                "user_id": "user",
                "contact_id": "contact",
                "store_id": "office",
                "type": "direction",
                "communication_date": "occurred_at",
            }
        elif isinstance(record, Event):
            required = {"date_starting": "starts_at", "date_ending": "ends_at"}
        for key, field in required.items():
            if body.get(key) is None:
                raise MappingError(SYSTEM, record.KIND, field, f"EstatePrime requires a value for {key}")

    @staticmethod
    def _emit_extras(extras: Mapping[str, Any], body: dict[str, Any], *, drop_absent: bool = True) -> None:
        _emit_unknown(extras, body)
        if drop_absent:
            for key in extras.get(ABSENT_KEY) or ():
                if key in body and body[key] in (None, []):
                    del body[key]

    # == unsupported ===========================================================================

    def unsupported(self, record: Record) -> list[str]:
        """Canonical paths of ``record`` holding a value EstatePrime cannot store (see the docs)."""
        self.check_kind(record.KIND)
        paths = list(self.foreign_extras(record))
        own = self.owns(record)
        if isinstance(record, Contact):
            paths += self._unsupported_contact(record, own)
        elif isinstance(record, Activity):
            paths += self._unsupported_activity(record, own)
        elif isinstance(record, Event):
            paths += self._unsupported_event(record, own)
        if isinstance(record, Contact | Activity | Event):
            paths += self._unsupported_custom_fields(record)
        return paths

    def _unsupported_contact(self, c: Contact, own: bool) -> list[str]:
        paths = _set_fields(
            c,
            ("title", "middle_name", "nickname", "display_name", "job_title", "addresses", "birthday", "websites"),
        )
        paths += _set_fields(c, ("updated_by", "deleted_at"))
        if not own:
            paths += _set_fields(c, ("created_at", "updated_at", "created_by"))
        for i, phone in enumerate(c.phones):
            paths += [f"phones[{i}].{name}" for name in _set_fields(phone, ("extension",))]
            paths += [f"phones[{i}].is_primary"] if phone.is_primary else []
            paths += _foreign_nested(f"phones[{i}]", phone.extras, own)
        for i, email in enumerate(c.emails):
            paths += [f"emails[{i}].is_primary"] if email.is_primary else []
            paths += _foreign_nested(f"emails[{i}]", email.extras, own)
        for i, person in enumerate(c.related_people):
            paths += [f"related_people[{i}].relation"] if person.relation is not None else []
            paths += _foreign_nested(f"related_people[{i}]", person.extras, own)
        paths += self._unknown_lookups(c.tags, "contact_tag", "tags")
        paths += self._unknown_lookups([c.source] if c.source else [], "source", "source", single=True)
        return paths

    def _unsupported_activity(self, a: Activity, own: bool) -> list[str]:
        paths = _set_fields(a, ("call", "email", "video", "updated_at"))
        if not own:
            paths += _set_fields(a, ("created_at",))
        if a.channel_lookup is None and a.channel is not None and a.channel not in self._channel_by_type:
            paths.append("channel")
        paths += self._unknown_lookups(
            [a.channel_lookup] if a.channel_lookup else [], "channel", "channel_lookup", True
        )
        paths += self._unknown_lookups(a.tags, "communication_tag", "tags")
        return paths

    def _unsupported_event(self, e: Event, own: bool) -> list[str]:
        paths = _set_fields(e, ("updated_at",))
        if not own:
            paths += _set_fields(e, ("created_at",))
        # One wire field holds each bound: when both canonical forms are set, one is not written.
        for at, day in (("starts_at", "start_date"), ("ends_at", "end_date")):
            if getattr(e, at) is not None and getattr(e, day) is not None:
                paths.append(at if e.all_day is True else day)
        if e.remote_meeting is not None:
            paths += _foreign_nested("remote_meeting", e.remote_meeting.extras, own)
        for name, lookup, kind in (("status", e.status, "event_status"), ("category", e.category, "event_category")):
            paths += self._unknown_lookups([lookup] if lookup else [], kind, name, single=True)
        paths += self._unknown_lookups(e.tags, "event_tag", "tags")
        return paths

    def _unknown_lookups(self, lookups: list[Lookup], kind: str, path: str, single: bool = False) -> list[str]:
        names = self._ids_by_name[kind]
        return [
            path if single else f"{path}[{i}]"
            for i, lk in enumerate(lookups)
            if (lk.ref is None or lk.ref.system != SYSTEM) and (lk.name or "") not in names
        ]

    def _unsupported_custom_fields(self, record: Contact | Activity | Event) -> list[str]:
        codec = self._fields[record.KIND]
        paths: list[str] = []
        for i, cf in enumerate(record.custom_fields):
            field_id = _own_int(cf.field)
            if cf.type == "select" and isinstance(cf.value, Lookup) and field_id is not None:
                if not codec.option_known(field_id, cf.value):
                    paths.append(f"custom_fields[{i}].value")
            elif cf.type == "select_multi" and isinstance(cf.value, list) and field_id is not None:
                paths += [
                    f"custom_fields[{i}].value[{j}]"
                    for j, option in enumerate(cf.value)
                    if not codec.option_known(field_id, option)
                ]
        return paths


def _ref(kind: str, ident: int) -> Ref:
    """A cached EstatePrime Ref (pages repeat the same tag, user and field ids)."""
    return int_id_ref(SYSTEM, kind, ident)


@lru_cache(maxsize=16384)
def _digits(text: str) -> int | None:
    # What ref_int_id accepts, cached: records being written repeat the same user and tag ids.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 and text.strip("0") else None


def _own_id(ref: Ref, kind: str) -> int | None:
    """The integer id of an EstatePrime Ref of ``kind`` (no resolving needed), else None."""
    return _digits(ref.id) if ref.system == SYSTEM and ref.kind == kind else None


def _own_int(ref: Ref) -> int | None:
    return int(ref.id) if ref.system == SYSTEM and ref.id.isascii() and ref.id.isdigit() else None


def _memo_day(text: str) -> date | None:
    try:
        parsed = parse_date_or_datetime(text)
    except ValueError:
        return None
    return parsed.date() if isinstance(parsed, datetime) else parsed


def _emit_unknown(extras: Mapping[str, Any], body: dict[str, Any]) -> None:
    # Known keys win: an extras key can only shadow one if somebody put it there by hand.
    for key, value in extras.items():
        if key not in _RESERVED and key not in body:
            body[key] = value


def _set_fields(model: Any, names: tuple[str, ...]) -> list[str]:
    """The names among ``names`` whose value on ``model`` is not None / empty."""
    return [name for name in names if getattr(model, name) not in (None, [], {})]


def _foreign_nested(path: str, extras: Mapping[str, Any], own: bool) -> list[str]:
    return [] if own else [f"{path}.extras.{key}" for key in extras]


def _all_finite(value: Any) -> bool:
    """True when :func:`_check_finite` has nothing to say (checked without building paths)."""
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, list):
        for item in value:
            if not _all_finite(item):
                return False
    elif isinstance(value, dict):
        for item in value.values():
            if not _all_finite(item):
                return False
    return True


def _check_finite(value: Any, kind: str, path: str) -> None:
    # json.loads accepts NaN and Infinity, which are not JSON and never round-trip (NaN != NaN).
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        raise MappingError(SYSTEM, kind, path, "expected a finite number, got a non-finite float")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, kind, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, kind, f"{path}.{key}")
