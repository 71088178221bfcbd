"""The state and the helpers the EstatePrime mappings of every kind share (see ``mapping.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeVar

import cattrs
from pydantic import ValidationError

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._support import int_id_ref, ref_int_id, structure, unknown_fields
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._common import (
    ABSENT_KEY,
    CHANNELS_ENDPOINT,
    CUSTOM_FIELD_ENDPOINTS,
    CUSTOM_FIELD_ENTRIES_KEY,
    FIELD_KINDS,
    LIST_KEYS,
    LOOKUP_ENDPOINTS,
    OMIT,
    SYSTEM,
    UNDOCUMENTED,
    WIRE_KEY,
    NoInstantError,
    all_finite,
    cached_ref,
    check_finite,
    emit_unknown,
    own_int,
    own_ref_id,
    wire_memo,
)
from crmbridge.adapters.estateprime._custom_fields import CustomFieldCodec, InvalidValue, same_json
from crmbridge.adapters.estateprime._time import LocalClock, format_date, format_datetime, parse_date_or_datetime
from crmbridge.canonical import Activity, Contact, CustomFieldValue, Event, Lookup, Record, Ref
from crmbridge.canonical._construct import construct
from crmbridge.canonical._custom_fields import normalise_custom_value
from crmbridge.errors import MappingError

__all__ = ["EstatePrimeMapping"]

W = TypeVar("W")


class EstatePrimeMapping(Adapter):
    """The account's settings (zone, lookups, custom field definitions) and what every kind's mapping
    uses: times, lookups, refs, custom fields, lists.

    The kinds' mappings (``_contact``, ``_activity``, ``_event``) extend it; :class:`EstatePrimeAdapter`
    combines them.

    Reading: the wire reader validates the whole payload once (one native validator;
    see :mod:`crmbridge.adapters._fastwire`) and hands over a dict of valid wire values.
    Everything built from them is valid by construction (cached Refs and Lookups, aware UTC
    datetimes of the clock, strings and booleans the reader checked), so the kinds build their
    canonical models with ``construct``, which checks only the ``extras`` taken from the payload.
    """

    def __init__(
        self, *, timezone: str = "UTC", lookups: Mapping[str, Any] | None = None, default_office: int | None = None
    ) -> None:
        self.default_office = default_office
        self._converter: cattrs.Converter = wire.make_converter()
        self.timezone = timezone
        """The account's IANA zone (its naive times are local times of it)."""
        self._clock = LocalClock(timezone)
        self._names: dict[str, dict[int, str]] = {kind: {} for kind in LOOKUP_ENDPOINTS.values()}
        self._channels: dict[int, wire.Channel] = {}
        definitions: dict[str, list[wire.CustomFieldDefinition]] = {kind: [] for kind in CUSTOM_FIELD_ENDPOINTS}
        self._load_lookups(lookups or {}, definitions)
        self._names["channel"] = {c.id: c.name for c in self._channels.values()}
        self._ids_by_name = {kind: {name: i for i, name in names.items()} for kind, names in self._names.items()}
        self._channel_by_type: dict[str, int] = {}
        for channel in self._channels.values():
            if channel.type is not None:
                self._channel_by_type.setdefault(channel.type, channel.id)
        self._fields = {
            kind: CustomFieldCodec(FIELD_KINDS[kind], definitions[kind], self._clock) for kind in FIELD_KINDS
        }
        # Lookups are immutable and their names are fixed once the adapter is built: a page
        # repeats the same tags, sources and channels, so each is built (and validated) once.
        self._cached_lookup = lru_cache(maxsize=4096)(self._new_lookup)

    def _load_lookups(
        self, lookups: Mapping[str, Any], definitions: dict[str, list[wire.CustomFieldDefinition]]
    ) -> None:
        endpoint_of_fields = {endpoint: kind for kind, endpoint in CUSTOM_FIELD_ENDPOINTS.items()}
        for endpoint, items in lookups.items():
            if endpoint in LOOKUP_ENDPOINTS:
                named = self._structure_lookup(endpoint, items, wire.NamedItem)
                self._names[LOOKUP_ENDPOINTS[endpoint]] = {item.id: item.name for item in named}
            elif endpoint == CHANNELS_ENDPOINT:
                channels = self._structure_lookup(endpoint, items, wire.Channel)
                self._channels = {c.id: c for c in channels}
            elif endpoint in endpoint_of_fields:
                found = self._structure_lookup(endpoint, items, wire.CustomFieldDefinition)
                definitions[endpoint_of_fields[endpoint]] = found
            else:
                known = sorted([*LOOKUP_ENDPOINTS, CHANNELS_ENDPOINT, *endpoint_of_fields])
                raise ValueError(f"unknown EstatePrime lookup {endpoint!r}; known: {', '.join(known)}")

    def _structure_lookup(self, endpoint: str, items: Any, cls: type[W]) -> list[W]:
        if not isinstance(items, list):
            raise MappingError(SYSTEM, "lookup", endpoint, f"expected the data list, got {type(items).__name__}")
        return [
            structure(self._converter, item, cls, system=SYSTEM, kind="lookup", path=f"{endpoint}[{i}]")
            for i, item in enumerate(items)
        ]

    # -- reading: times, lookups, refs ----------------------------------------------------------

    def _read_instant(self, value: datetime | date | None, key: str, memo: dict[str, Any]) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            memo[key] = format_date(value)  # a date where a date-time was expected: keep its form
            value = datetime(value.year, value.month, value.day)
        try:
            instant, exact = self._clock.to_utc(value)
        except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it: no UTC instant
            raise NoInstantError(key) from None
        if not exact:
            memo[key] = format_datetime(value)  # spring gap: see the module doc
        return instant

    @staticmethod
    def _null_lists(payload: Mapping[str, Any], kind: str) -> dict[str, Any]:
        memo: dict[str, Any] = {key: None for key in LIST_KEYS[kind] if key in payload and payload[key] is None}
        for key in UNDOCUMENTED.get(kind, ()):
            if payload.get(key) == []:
                memo[key] = []  # an empty list the objects do not usually show: keep the key
        return memo

    @staticmethod
    def _with_memo(extras: dict[str, Any], memo: dict[str, Any]) -> dict[str, Any]:
        if memo:
            extras[WIRE_KEY] = memo
        return extras

    def _new_lookup(self, kind: str, item_id: int) -> Lookup:
        return Lookup(ref=cached_ref(kind, item_id), name=self._names[kind].get(item_id))

    def _lookup(self, kind: str, item_id: int | None) -> Lookup | None:
        return None if item_id is None else self._cached_lookup(kind, item_id)

    def _lookups(self, kind: str, ids: list[int] | None) -> list[Lookup]:
        lookup = self._cached_lookup
        return [lookup(kind, i) for i in ids] if ids else []

    @staticmethod
    def _refs(kind: str, ids: list[int] | None) -> list[Ref]:
        return [int_id_ref(SYSTEM, kind, i) for i in ids] if ids else []

    # -- custom fields, read and written --------------------------------------------------------

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
                if not all_finite(wire_value):
                    check_finite(wire_value, kind, f"custom_fields[{index}].value")
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
            field = cached_ref(codec.field_kind, field_id)
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

    def _custom_fields_body(self, record: Contact | Activity | Event, resolve: Resolver | None) -> list[Any] | None:
        kind = record.KIND
        codec = self._fields[kind]
        own = self.owns(record)
        entries_extras = record.extras.get(CUSTOM_FIELD_ENTRIES_KEY) if own else None
        entries: list[dict[str, Any]] = []

        def int_id(ref: Ref, ref_kind: str, where: str) -> int:
            return self._id(self._ref_id(ref, ref_kind, where, record, resolve))

        for index, cf in enumerate(record.custom_fields):
            if cf.field.system != SYSTEM and (resolve is None or resolve(cf.field, SYSTEM) is None):
                # Another CRM's custom field with no counterpart here (a field mapping moves values
                # into our fields first): left out, and named by unsupported() as a loss.
                continue
            field_id = int_id(cf.field, codec.field_kind, f"custom_fields[{index}].field")
            path = f"custom_fields[{index}].value"
            try:
                value = codec.render(field_id, cf.type, cf.value, int_id, path)
            except InvalidValue as error:
                raise MappingError(SYSTEM, kind, path, str(error)) from None
            original = wire_memo(record.extras, path) if own else ...
            if original is not ... and self._same_custom_value(codec, field_id, cf, original, kind, path):
                value = original
            entry: dict[str, Any] = {"custom_field_id": field_id, "value": value}
            unknown = entries_extras.get(f"{index}:{field_id}") if isinstance(entries_extras, dict) else None
            if isinstance(unknown, dict):
                emit_unknown(unknown, entry)
            entries.append(entry)
        if not entries and "custom_fields" in UNDOCUMENTED.get(kind, ()):
            kept = wire_memo(record.extras, "custom_fields") if own else ...
            result: list[Any] | None = OMIT if kept is ... else kept
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

    def _unsupported_custom_fields(self, record: Contact | Activity | Event) -> list[str]:
        codec = self._fields[record.KIND]
        paths: list[str] = []
        for i, cf in enumerate(record.custom_fields):
            if cf.field.system != SYSTEM:
                paths.append(f"custom_fields[{i}]")  # unless the crosswalk has its counterpart
                continue
            field_id = own_int(cf.field)
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

    # -- writing: value objects, ids, lookups and lists ----------------------------------------

    @staticmethod
    def _nested(fields: dict[str, Any], extras: Mapping[str, Any], own: bool) -> dict[str, Any]:
        if own:
            emit_unknown(extras, fields)
            for key in extras.get(ABSENT_KEY) or ():
                if key in fields and fields[key] is None:
                    del fields[key]
        return fields

    def _ref_id(self, ref: Ref | None, kind: str, path: str, record: Record, resolve: Resolver | None) -> int | None:
        if ref is None:
            return None
        own = own_ref_id(ref, kind)
        if own is not None:
            return own
        local = self.local_ref(ref, path=path, record_kind=record.KIND, resolve=resolve)
        if local.kind != kind:
            raise MappingError(SYSTEM, record.KIND, path, f"expected a {kind} reference, got a {local.kind} reference")
        return ref_int_id(local, record_kind=record.KIND, path=path)

    def _ref_ids(self, refs: list[Ref], kind: str, path: str, record: Record, resolve: Resolver | None) -> list[int]:
        ids = []
        for i, ref in enumerate(refs):
            own = own_ref_id(ref, kind)
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

    def _list(self, record: Record, key: str, items: list[Any]) -> list[Any] | None:
        # A list EstatePrime sent as null reads as []: write null back while it is still empty.
        if not items and self.owns(record) and wire_memo(record.extras, key) is None:
            return None
        return items

    def _unknown_lookups(self, lookups: list[Lookup], kind: str, path: str, single: bool = False) -> list[str]:
        names = self._ids_by_name[kind]
        return [
            path if single else f"{path}[{i}]"
            for i, lk in enumerate(lookups)
            if (lk.ref is None or lk.ref.system != SYSTEM) and (lk.name or "") not in names
        ]

    # -- writing: times ---------------------------------------------------------------------------

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
        original = wire_memo(record.extras, key) if self.owns(record) else ...
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
