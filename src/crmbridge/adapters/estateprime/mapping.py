"""EstatePrime ↔ canonical: Contact ↔ Contact, Communication ↔ Activity, Event ↔ Event.

One module per kind (``_contact``, ``_activity``, ``_event``) on a shared base (``_base``,
``_common``); :class:`EstatePrimeAdapter` combines them.

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

from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from pydantic import ValidationError

from crmbridge.adapters._base import Resolver
from crmbridge.adapters.estateprime import _field_defs
from crmbridge.adapters.estateprime._activity import ActivityMapping
from crmbridge.adapters.estateprime._common import (
    ABSENT_KEY,
    CUSTOM_FIELD_ENTRIES_KEY,
    LOOKUP_ENDPOINTS,
    REF_KINDS,
    SYSTEM,
    UPDATE_FIELDS,
    WIRE_KEY,
    BodyBuilder,
    NoInstantError,
    emit_unknown,
    validation_message,
    validation_path,
)
from crmbridge.adapters.estateprime._contact import ContactMapping
from crmbridge.adapters.estateprime._event import EventMapping
from crmbridge.canonical import Activity, Contact, CustomFieldDef, Event, Record
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


class EstatePrimeAdapter(ContactMapping, ActivityMapping, EventMapping):
    """Translates EstatePrime contacts, communications and calendar events (see module doc)."""

    system: ClassVar[str] = SYSTEM
    kinds: ClassVar[frozenset[str]] = frozenset({"contact", "activity", "event"})
    ref_kinds: ClassVar[Mapping[str, str]] = {"activity": "communication"}

    def custom_field_defs(self, lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
        """The custom field definitions in ``lookups`` (see :mod:`crmbridge.adapters.estateprime._field_defs`)."""
        return _field_defs.custom_field_defs(lookups)

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
            raise MappingError(SYSTEM, kind, validation_path(error), validation_message(error)) from None
        except NoInstantError as error:
            raise MappingError(SYSTEM, kind, error.key, "a local time with no UTC instant (out of range)") from None

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
        body = BodyBuilder(keys)
        if isinstance(record, Contact):
            self._contact_body(record, resolve, body)
        elif isinstance(record, Activity):
            self._communication_body(record, resolve, body)
        elif isinstance(record, Event):
            self._event_body(record, resolve, body)
        return body.data

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
        emit_unknown(extras, body)
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
