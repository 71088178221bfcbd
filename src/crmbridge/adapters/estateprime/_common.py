"""What every EstatePrime kind's mapping shares: the extras keys, the Ref kinds and lookup endpoints,
the update fields, the wire readers, and the small helpers of reading and writing bodies."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crmbridge.adapters._fastwire import WireReader
from crmbridge.adapters._support import int_id_ref, pydantic_error_path, wire_field_names
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._time import parse_date_or_datetime
from crmbridge.canonical import Ref
from crmbridge.canonical._construct import construct
from crmbridge.errors import MappingError

__all__ = [
    "ABSENT_KEY",
    "CHANNELS_ENDPOINT",
    "CUSTOM_FIELD_ENDPOINTS",
    "CUSTOM_FIELD_ENTRIES_KEY",
    "FIELD_KINDS",
    "LIST_KEYS",
    "LOOKUP_ENDPOINTS",
    "NOT_TRACKED",
    "OMIT",
    "REF_KINDS",
    "RESERVED_KEYS",
    "SYSTEM",
    "UNDOCUMENTED",
    "UPDATE_FIELDS",
    "WIRE_KEY",
    "BodyBuilder",
    "NoInstantError",
    "all_finite",
    "cached_ref",
    "check_finite",
    "emit_unknown",
    "extras_of",
    "foreign_nested",
    "memo_day",
    "own_int",
    "own_ref_id",
    "set_fields",
    "validation_message",
    "validation_path",
    "value_object",
    "wire_memo",
    "wire_reader",
]

SYSTEM = "estateprime"
WIRE_KEY = "_wire"
ABSENT_KEY = "_absent"
CUSTOM_FIELD_ENTRIES_KEY = "_custom_field_entries"
RESERVED_KEYS = frozenset({WIRE_KEY, ABSENT_KEY, CUSTOM_FIELD_ENTRIES_KEY})

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

CUSTOM_FIELD_ENDPOINTS = {
    "contact": "contacts/custom-fields",
    "activity": "communication/custom-fields",
    "event": "calendar/custom-fields",
}
CHANNELS_ENDPOINT = "communication/channels"
FIELD_KINDS = {
    "contact": "contact_custom_field",
    "activity": "communication_custom_field",
    "event": "event_custom_field",
}

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
NOT_TRACKED = {
    "contact": frozenset({"id", "date_created", "date_updated", "created_by"}),
    "activity": frozenset({"id", "date_created", "custom_fields"}),
    "event": frozenset({"id", "date_created", "custom_fields"}),
}
UNDOCUMENTED = {"activity": frozenset({"custom_fields"}), "event": frozenset({"custom_fields"})}
OMIT: Any = object()
"""A body value meaning "leave the key out"."""

LIST_KEYS = {
    "contact": ("phones", "emails", "custom_fields", "contact_details", "tags", "users"),
    "activity": ("tags", "listings", "custom_fields"),
    "event": ("contacts", "users", "tags", "custom_fields"),
}

_Getter = Callable[[], Any]


class BodyBuilder:
    """A write body being built: keeps only the wanted keys and computes only those."""

    __slots__ = ("data", "keys")

    def __init__(self, keys: Collection[str] | None) -> None:
        self.keys = keys
        self.data: dict[str, Any] = {}

    def put(self, key: str, value: _Getter) -> None:
        if self.keys is None or key in self.keys:
            found = value()
            if found is not OMIT:
                self.data[key] = found


def wire_memo(extras: Mapping[str, Any], key: str) -> Any:
    """The original wire value kept for ``key`` in ``extras["_wire"]``, or ``...`` when none is kept."""
    wire_values = extras.get(WIRE_KEY)
    return wire_values.get(key, ...) if isinstance(wire_values, dict) else ...


_NO_KEYS: frozenset[str] = frozenset()


_KEY_SETS: dict[tuple[type, frozenset[str]], tuple[frozenset[str], frozenset[str]]] = {}


def extras_of(payload: Mapping[str, Any], cls: type, ignore: frozenset[str] = _NO_KEYS) -> dict[str, Any]:
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
def wire_reader(kind: str) -> WireReader[Any]:
    """The reader of one kind's wire objects (as dicts), compiled once for every adapter."""
    return WireReader(_READ_CLASSES[kind], schemas=wire.WIRE_SCHEMAS, system=SYSTEM, kind=kind)


def validation_message(error: ValidationError) -> str:
    """What was wrong, by pydantic's error type only (its text may quote the value: personal data)."""
    errors = error.errors(include_url=False, include_input=False)
    return f"not a valid canonical value ({errors[0]['type']})" if errors else "not a valid canonical value"


def validation_path(error: ValidationError) -> str:
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


def value_object(model: type[V], values: dict[str, Any], kind: str, key: str, index: int | None = None) -> V:
    """``construct(model, values)`` of a value object read from ``payload[key]`` (``[index]``).

    Only its extras (payload keys no model describes) can be refused: the error names them there.
    """
    try:
        return construct(model, values)
    except ValidationError as error:
        where = key if index is None else f"{key}[{index}]"
        raise MappingError(SYSTEM, kind, f"{where}.{validation_path(error)}", validation_message(error)) from None


class NoInstantError(Exception):
    """A local time of the account's zone with no UTC instant; ``key`` is its payload key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def cached_ref(kind: str, ident: int) -> Ref:
    """A cached EstatePrime Ref (pages repeat the same tag, user and field ids)."""
    return int_id_ref(SYSTEM, kind, ident)


@lru_cache(maxsize=16384)
def _digits(text: str) -> int | None:
    # What ref_int_id accepts, cached: records being written repeat the same user and tag ids.
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 and text.strip("0") else None


def own_ref_id(ref: Ref, kind: str) -> int | None:
    """The integer id of an EstatePrime Ref of ``kind`` (no resolving needed), else None."""
    return _digits(ref.id) if ref.system == SYSTEM and ref.kind == kind else None


def own_int(ref: Ref) -> int | None:
    return int(ref.id) if ref.system == SYSTEM and ref.id.isascii() and ref.id.isdigit() else None


def memo_day(text: str) -> date | None:
    try:
        parsed = parse_date_or_datetime(text)
    except ValueError:
        return None
    return parsed.date() if isinstance(parsed, datetime) else parsed


def emit_unknown(extras: Mapping[str, Any], body: dict[str, Any]) -> None:
    # Known keys win: an extras key can only shadow one if somebody put it there by hand.
    for key, value in extras.items():
        if key not in RESERVED_KEYS and key not in body:
            body[key] = value


def set_fields(model: Any, names: tuple[str, ...]) -> list[str]:
    """The names among ``names`` whose value on ``model`` is not None / empty."""
    return [name for name in names if getattr(model, name) not in (None, [], {})]


def foreign_nested(path: str, extras: Mapping[str, Any], own: bool) -> list[str]:
    return [] if own else [f"{path}.extras.{key}" for key in extras]


def all_finite(value: Any) -> bool:
    """True when :func:`check_finite` has nothing to say (checked without building paths)."""
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, list):
        for item in value:
            if not all_finite(item):
                return False
    elif isinstance(value, dict):
        for item in value.values():
            if not all_finite(item):
                return False
    return True


def check_finite(value: Any, kind: str, path: str) -> None:
    # json.loads accepts NaN and Infinity, which are not JSON and never round-trip (NaN != NaN).
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        raise MappingError(SYSTEM, kind, path, "expected a finite number, got a non-finite float")
    if isinstance(value, list):
        for i, item in enumerate(value):
            check_finite(item, kind, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, kind, f"{path}.{key}")
