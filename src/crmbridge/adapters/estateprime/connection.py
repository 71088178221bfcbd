"""EstatePrime behind ``crmbridge.connect("estateprime", ...)``: the adapter wired to :class:`EstatePrimeClient`.

Options: the client's (``base_url``, ``token``, ``timeout``, ``retry``, ``rate_limit``,
``transport``, ``verify``; ``concurrency`` for the async lister, ignored by the blocking one), the
account's ``timezone`` (IANA, default ``"UTC"``: both the client's date filters and the adapter
use it) and the adapter's ``lookups``. Without ``lookups``, the ten lookup lists are loaded from
the API once, on first need, so channel kinds, tag names and typed custom fields work. Anything
else is a ``TypeError``.

Kinds and what they map to:

- ``contact`` → ``/api/contacts``; ``activity`` → ``/api/communication``; ``event`` →
  ``/api/calendar``. Refs are ``estateprime:contact:<id>``, ``estateprime:communication:<id>``
  and ``estateprime:event:<id>``.
- ``list`` filters (datetimes must be timezone-aware; they are sent as the account's local time):
  ``created_since`` / ``created_until`` (contacts, activities: the ``date_created`` range);
  ``occurred_since`` / ``occurred_until`` (activities: ``communication_date``); ``type``,
  ``channel``, ``contact_id``, ``user_id`` (activities, passed through; an EstatePrime Ref is
  taken by its id); ``starts_since`` / ``starts_until`` (events: ``date_starting``). Both ends
  of a range are inclusive.
- ``updated_since``: EstatePrime has no "updated" filter. For contacts, whose objects carry
  ``date_updated``, the whole list is fetched and filtered client-side (a contact without a
  readable ``date_updated`` is kept); communications and events carry no update time, so it
  raises :class:`UnsupportedOperation`, as does any filter the kind does not take.
- ``update``: only the calendar documents one (``PATCH``, the adapter's partial ``to_update``
  body, where empty tags clear them); updating a contact or an activity raises
  :class:`UnsupportedOperation`.

The async backend loads the lookups in ``prepare()``, which :class:`AsyncConnection` awaits
before it translates anything; calling ``connection.adapter`` directly before that raises
``RuntimeError`` (``await connection.lookups()`` first).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters.estateprime import _field_defs, wire
from crmbridge.adapters.estateprime._time import LocalClock, parse_datetime
from crmbridge.adapters.estateprime.client import (
    CALENDAR,
    COMMUNICATIONS,
    CONTACTS,
    LOOKUPS,
    AsyncEstatePrimeClient,
    EstatePrimeClient,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    raw_data,
    raw_list_spec,
    raw_lookup_endpoint,
    update_endpoint,
)
from crmbridge.adapters.estateprime.client import Collection as Records
from crmbridge.adapters.estateprime.mapping import EstatePrimeAdapter
from crmbridge.canonical import CustomFieldDef, Record, Ref
from crmbridge.errors import UnsupportedOperation
from crmbridge.http import PagedSpec, RequestSpec

__all__ = [
    "AsyncEstatePrimeBackend",
    "EstatePrimeBackend",
    "LazyLookupsAdapter",
    "ListPlan",
    "list_plan",
    "make_async_backend",
    "make_backend",
]

SYSTEM: Final = "estateprime"
Json = dict[str, Any]
Payload = Mapping[str, Any]

_CLIENT_OPTIONS: Final = frozenset({"base_url", "token", "timeout", "retry", "rate_limit", "transport", "verify"})
_COLLECTIONS: Final[dict[str, Records[Any]]] = {"contact": CONTACTS, "activity": COMMUNICATIONS, "event": CALENDAR}
_REF_KINDS: Final = {"contact": "contact", "activity": "communication", "event": "event"}
_BY_REF_KIND: Final[dict[str, Records[Any]]] = {
    "contact": CONTACTS,
    "communication": COMMUNICATIONS,
    "activity": COMMUNICATIONS,
    "event": CALENDAR,
}
_RANGES: Final = {
    # canonical filter prefix → (wire range key, kinds that take it)
    "created": ("date_created", frozenset({"contact", "activity"})),
    "occurred": ("communication_date", frozenset({"activity"})),
    "starts": ("date_starting", frozenset({"event"})),
}
_PASSED: Final = {"activity": frozenset({"type", "channel", "contact_id", "user_id"})}


# -- options -------------------------------------------------------------------------------------


_ADAPTER_OPTIONS: Final = frozenset({"default_office"})


@dataclass(frozen=True)
class _Options:
    client: Json
    timezone: str
    lookups: Mapping[str, Any] | None
    concurrency: int | None
    adapter: Json


def _split(options: Mapping[str, Any]) -> _Options:
    unknown = sorted(set(options) - _CLIENT_OPTIONS - _ADAPTER_OPTIONS - {"timezone", "lookups", "concurrency"})
    if unknown:
        raise TypeError(f"unknown EstatePrime connection option(s): {', '.join(unknown)}")
    client = {key: value for key, value in options.items() if key in _CLIENT_OPTIONS}
    adapter = {key: value for key, value in options.items() if key in _ADAPTER_OPTIONS}
    return _Options(client, options.get("timezone", "UTC"), options.get("lookups"), options.get("concurrency"), adapter)


# -- listing -------------------------------------------------------------------------------------


def _keep_all(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class ListPlan:
    """How to list a kind: the raw list request, and ``keep`` which drops payloads client-side.

    Listed items are normally JSON objects; one that is not is kept (by the list and by ``keep``),
    so that ``Connection.list`` reports it as a failed record and reads on.
    """

    paged: PagedSpec[Any]
    keep: Callable[[Any], bool] = _keep_all


def _instant(value: Any, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise TypeError(f"{name} must be a timezone-aware datetime")
    return value


def _plain_id(value: Any) -> Any:
    """An EstatePrime Ref as its id (the client then checks it is a positive integer)."""
    if isinstance(value, Ref):
        if value.system != SYSTEM:
            raise ValueError(f"expected an EstatePrime Ref, got {value}")
        return value.id
    return value


def _updated_since(since: dt.datetime, clock: LocalClock) -> Callable[[Any], bool]:
    try:
        floor = clock.to_local(since)
    except OverflowError:  # 0001-01-01 UTC west of UTC, 9999-12-31 UTC east of it
        raise ValueError("updated_since: no local time in the account's timezone (out of range)") from None

    def keep(payload: Any) -> bool:
        if not isinstance(payload, Mapping):
            return True  # not an object: kept, so translating it reports it
        updated = payload.get("date_updated")
        try:
            return parse_datetime(updated) >= floor if isinstance(updated, str) else True
        except ValueError:
            return True  # unreadable: kept, so translating it reports the bad field

    return keep


def _wire_filters(kind: str, filters: Mapping[str, Any]) -> Json:
    """Canonical filters (``updated_since`` aside) as the client's wire filters."""
    wire: Json = {}
    ranges: dict[str, list[Any]] = {}
    for name, value in filters.items():
        prefix, _, end = name.rpartition("_")
        if end in ("since", "until") and prefix in _RANGES and kind in _RANGES[prefix][1]:
            bounds = ranges.setdefault(_RANGES[prefix][0], [None, None])
            bounds[end == "until"] = None if value is None else _instant(value, name)
        elif name in _PASSED.get(kind, frozenset()):
            wire[name] = _plain_id(value) if name in ("contact_id", "user_id") else value
        else:
            raise UnsupportedOperation(SYSTEM, f"filter {kind}s by {name}")
    wire.update({key: tuple(bounds) for key, bounds in ranges.items()})
    return wire


def list_plan(kind: str, filters: Mapping[str, Any], clock: LocalClock) -> ListPlan:
    """How to list ``kind`` with canonical ``filters`` (see the module docstring)."""
    wanted = dict(filters)
    since = wanted.pop("updated_since", None)
    keep: Callable[[Any], bool] = _keep_all
    if since is not None:
        if kind != "contact":
            raise UnsupportedOperation(SYSTEM, f"filter {kind}s by updated_since (they carry no update time)")
        keep = _updated_since(_instant(since, "updated_since"), clock)
    return ListPlan(raw_list_spec(_COLLECTIONS[kind], _wire_filters(kind, wanted), clock), keep)


# -- single records ------------------------------------------------------------------------------


def _collection_of(ref: Ref) -> Records[Any]:
    if ref.system != SYSTEM or ref.kind not in _BY_REF_KIND:
        raise ValueError(f"expected an EstatePrime contact, communication or event Ref, got {ref}")
    return _BY_REF_KIND[ref.kind]


def _update_spec(ref: Ref, body: Json) -> RequestSpec:
    collection = _collection_of(ref)
    if collection is not CALENDAR:
        raise UnsupportedOperation(SYSTEM, f"update a {collection.kind} (only calendar events have an update)")
    return update_endpoint(collection, ref.id, body).spec


def _created_ref(kind: str, created: wire.Created) -> Ref:
    return Ref(SYSTEM, _REF_KINDS[kind], str(created.created_id))


# -- the adapter, with lookups loaded on first need -----------------------------------------------


class LazyLookupsAdapter(Adapter):
    """An :class:`EstatePrimeAdapter` built from the account's lookup lists the first time it is needed.

    ``load`` returns the lookups (the backend's ``lookups``); without it (the async backend)
    the backend installs them with :meth:`install` in its ``prepare()``.
    """

    system: ClassVar[str] = SYSTEM
    kinds: ClassVar[frozenset[str]] = EstatePrimeAdapter.kinds

    def __init__(
        self, timezone: str, load: Callable[[], Mapping[str, Any]] | None = None, **adapter_options: Any
    ) -> None:
        self.timezone = timezone
        self._adapter_options = adapter_options
        self._load = load
        self._inner: EstatePrimeAdapter | None = None
        LocalClock(timezone)  # an unknown zone fails now, not at the first request

    @property
    def loaded(self) -> bool:
        """Whether the lookups are in."""
        return self._inner is not None

    def install(self, lookups: Mapping[str, Any]) -> None:
        """Build the real adapter from ``lookups`` (once; later calls keep the first)."""
        if self._inner is None:
            self._inner = EstatePrimeAdapter(timezone=self.timezone, lookups=lookups, **self._adapter_options)

    def inner(self) -> EstatePrimeAdapter:
        """The real adapter, loading the lookups if needed."""
        if self._inner is None:
            if self._load is None:
                raise RuntimeError("EstatePrime lookups are not loaded yet: await connection.lookups() first")
            self.install(self._load())
        assert self._inner is not None
        return self._inner

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """See :meth:`EstatePrimeAdapter.to_canonical`."""
        return self.inner().to_canonical(kind, payload)

    def custom_field_defs(self, lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
        """See :meth:`EstatePrimeAdapter.custom_field_defs` (needs no loaded lookups: it is given them)."""
        return _field_defs.custom_field_defs(lookups)

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> Json:
        """See :meth:`EstatePrimeAdapter.from_canonical`."""
        return self.inner().from_canonical(record, resolve=resolve)

    def to_update(
        self, record: Record, *, fields: Collection[str] | None = None, resolve: Resolver | None = None
    ) -> Json:
        """See :meth:`EstatePrimeAdapter.to_update`."""
        return self.inner().to_update(record, fields=fields, resolve=resolve)

    def unsupported(self, record: Record) -> list[str]:
        """See :meth:`EstatePrimeAdapter.unsupported`."""
        return self.inner().unsupported(record)


# -- the backends --------------------------------------------------------------------------------


class EstatePrimeBackend:
    """The :class:`~crmbridge.Backend` of EstatePrime: raw EstatePrime JSON in and out."""

    def __init__(
        self, client: EstatePrimeClient, *, lookups: Mapping[str, Any] | None = None, **adapter_options: Any
    ) -> None:
        self.client = client
        self._lookups: Json | None = None
        self.adapter: Adapter = (
            EstatePrimeAdapter(timezone=client.timezone, lookups=lookups, **adapter_options)
            if lookups is not None
            else LazyLookupsAdapter(client.timezone, self.lookups, **adapter_options)
        )

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Any]:
        """Every ``kind`` object matching ``filters``, paging on its own (non-objects passed on)."""
        plan = list_plan(kind, filters, self.client.clock)
        yield from filter(plan.keep, self.client.pager(plan.paged))

    def get_payload(self, kind: str, ident: str) -> Payload:
        """The object ``ident`` of ``kind``."""
        collection = _COLLECTIONS[kind]
        return raw_data(self.client.send(get_endpoint(collection, ident).spec), collection.kind)

    def create_payload(self, kind: str, body: Json) -> Ref:
        """Create from ``body``; the new record's Ref."""
        return _created_ref(kind, self.client.call(create_endpoint(_COLLECTIONS[kind], body)))

    def check_update(self, ref: Ref) -> None:
        """Refuse a Ref no update can use before the lookups are loaded for translating (see ``Connection``)."""
        _update_spec(ref, {})

    def update_payload(self, ref: Ref, body: Json) -> None:
        """PATCH an event (contacts and communications have no documented update)."""
        self.client.send(_update_spec(ref, body))

    def delete_payload(self, ref: Ref) -> None:
        """Delete the record ``ref``."""
        self.client.send(delete_endpoint(_collection_of(ref), ref.id).spec)

    def lookups(self) -> Json:
        """The ten lookup lists (raw JSON ``data``), keyed by endpoint below ``/api/``; loaded once."""
        if self._lookups is None:
            self._lookups = {lookup.name: self.client.call(raw_lookup_endpoint(lookup)) for lookup in LOOKUPS}
        return dict(self._lookups)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


class AsyncEstatePrimeBackend:
    """The async twin of :class:`EstatePrimeBackend`."""

    def __init__(
        self, client: AsyncEstatePrimeClient, *, lookups: Mapping[str, Any] | None = None, **adapter_options: Any
    ) -> None:
        self.client = client
        self.adapter: Adapter = (
            EstatePrimeAdapter(timezone=client.timezone, lookups=lookups, **adapter_options)
            if lookups is not None
            else LazyLookupsAdapter(client.timezone, **adapter_options)
        )
        self._lookups: Json | None = None
        self._loading = asyncio.Lock()

    async def prepare(self) -> None:
        """Load the lookups into a lazy adapter (AsyncConnection awaits this before translating)."""
        if isinstance(self.adapter, LazyLookupsAdapter) and not self.adapter.loaded:
            self.adapter.install(await self.lookups())

    async def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> AsyncIterator[Any]:
        """Every ``kind`` object matching ``filters``: page 1, then the rest concurrently, in order.

        An item that is not a JSON object is passed on, for translating to report.
        """
        plan = list_plan(kind, filters, self.client.clock)
        await self.prepare()
        async for payload in self.client.pager(plan.paged):
            if plan.keep(payload):
                yield payload

    async def get_payload(self, kind: str, ident: str) -> Payload:
        """The object ``ident`` of ``kind``."""
        collection = _COLLECTIONS[kind]
        spec = get_endpoint(collection, ident).spec
        await self.prepare()
        return raw_data(await self.client.send(spec), collection.kind)

    async def create_payload(self, kind: str, body: Json) -> Ref:
        """Create from ``body``; the new record's Ref."""
        return _created_ref(kind, await self.client.call(create_endpoint(_COLLECTIONS[kind], body)))

    def check_update(self, ref: Ref) -> None:
        """Refuse a Ref no update can use before the lookups are loaded for translating (see ``Connection``)."""
        _update_spec(ref, {})

    async def update_payload(self, ref: Ref, body: Json) -> None:
        """PATCH an event (contacts and communications have no documented update)."""
        await self.client.send(_update_spec(ref, body))

    async def delete_payload(self, ref: Ref) -> None:
        """Delete the record ``ref``."""
        await self.client.send(delete_endpoint(_collection_of(ref), ref.id).spec)

    async def lookups(self) -> Json:
        """The ten lookup lists (raw JSON ``data``), fetched concurrently and once."""
        async with self._loading:
            if self._lookups is None:
                answers = await asyncio.gather(*(self.client.call(raw_lookup_endpoint(lk)) for lk in LOOKUPS))
                self._lookups = {lookup.name: answer for lookup, answer in zip(LOOKUPS, answers, strict=True)}
        return dict(self._lookups)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


def make_backend(**options: Any) -> EstatePrimeBackend:
    """The backend :func:`crmbridge.connect` uses for ``"estateprime"``."""
    split = _split(options)
    # concurrency is the async lister's: accepted so one options dict serves both connects.
    client = EstatePrimeClient(**split.client, timezone=split.timezone)
    return EstatePrimeBackend(client, lookups=split.lookups, **split.adapter)


def make_async_backend(**options: Any) -> AsyncEstatePrimeBackend:
    """The backend :func:`crmbridge.connect_async` uses for ``"estateprime"``."""
    split = _split(options)
    extra: Json = {} if split.concurrency is None else {"concurrency": split.concurrency}
    client = AsyncEstatePrimeClient(**split.client, timezone=split.timezone, **extra)
    return AsyncEstatePrimeBackend(client, lookups=split.lookups, **split.adapter)
