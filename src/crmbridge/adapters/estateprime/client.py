"""The EstatePrime HTTP clients: :class:`EstatePrimeClient` and its async twin :class:`AsyncEstatePrimeClient`.

``client.contacts``, ``client.communications`` and ``client.calendar`` have one method per
operation of ``adapters/estateprime/openapi.yaml`` (23 in all): ``list`` / ``list_page`` / ``get`` /
``create`` / ``delete`` on each, ``update`` (PATCH) on the calendar, and the lookup lists
(``sources``, ``tags``, ``custom_fields``, ``channels``, ``categories``, ``statuses``).

Base URL and auth
    EstatePrime documents no public host (each account has its own), so ``base_url`` is
    required; operations are ``api/...`` below it (``https://crm.example`` →
    ``https://crm.example/api/contacts``), which is also how the sandbox's ``BASE_URL`` works.
    The authentication scheme is not documented either ("include authentication headers as
    described in the Authentication section", a section the documents lack): the clients send
    ``Authorization: Bearer <token>``, as the sandbox and the OpenAPI description assume.

List filters
    EstatePrime takes them as a **JSON body on GET**: ``page``, date ranges ``{min, max}``
    (``YYYY-MM-DD HH:MM:SS`` in the account's timezone, inclusive, ``None`` = open), and for
    communications ``type``, ``channel``, ``contact_id`` and ``user_id``. A range is given as a
    ``(min, max)`` pair or a ``{"min": ..., "max": ...}`` mapping whose bounds are ``None``, a
    string of that shape, a naive datetime (a local wall time, sent as it is) or an aware
    datetime (converted to the client's ``timezone``). An unknown filter is a ``TypeError``.

Paging
    Pages of 50 by page number, ``total_pages`` in each answer. ``list(...)`` returns an
    auto-paging pager (``.pages()`` for page-level access, ``list_page(page=N)`` for one page).
    The async pager fetches page 1, then pages 2..N concurrently, at most ``concurrency`` at
    once (the constructor's, default 4, or the method's), yielding records in page order.

Objects
    Methods take and return the attrs classes of :mod:`crmbridge.adapters.estateprime.wire`
    (structured with its converter; an answer that does not fit raises :class:`MappingError`).
    A create takes a wire object (its ``None`` fields are left out) or a mapping sent as it is;
    a calendar update takes a mapping (``{"tags": None}`` clears the tags) or a wire event.
    Ids are positive integers (an ``int`` or its decimal string), refused with
    :class:`InvalidIdError` before any request.

How the twins stay thin: module-level builders (:func:`list_spec`, :func:`get_endpoint`, ...)
check the arguments and return the HTTP core's :class:`~crmbridge.http.Endpoint` or
:class:`~crmbridge.http.PagedSpec` (request plus the shared reader of its answer); the two
classes only send them with the core's ``call``/``page``/``pager``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Generic, TypeVar

import attrs
import httpx

from crmbridge.adapters._fastwire import WireReader
from crmbridge.adapters._support import ItemReader, listed_item, raw_item_reader, structure
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._time import DATETIME_LAYOUT, DATETIME_SHAPE, LocalClock, format_datetime
from crmbridge.errors import InvalidIdError, MappingError
from crmbridge.http import (
    AsyncAPIClient,
    AsyncPager,
    Endpoint,
    Page,
    PagedSpec,
    RequestSpec,
    RetryPolicy,
    SyncAPIClient,
    SyncPager,
    fetch_numbered_pages,
)

__all__ = [
    "CALENDAR",
    "COMMUNICATIONS",
    "COMMUNICATION_CHANNELS",
    "COMMUNICATION_CUSTOM_FIELDS",
    "COMMUNICATION_TAGS",
    "CONTACTS",
    "CONTACT_CUSTOM_FIELDS",
    "CONTACT_SOURCES",
    "CONTACT_TAGS",
    "DEFAULT_CONCURRENCY",
    "EVENT_CATEGORIES",
    "EVENT_CUSTOM_FIELDS",
    "EVENT_STATUSES",
    "EVENT_TAGS",
    "LOOKUPS",
    "SYSTEM",
    "AsyncEstatePrimeClient",
    "Collection",
    "EstatePrimeClient",
    "Lookup",
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "list_spec",
    "filter_body",
    "lookup_endpoint",
    "positive_id",
    "raw_data",
    "raw_item",
    "raw_list_spec",
    "raw_lookup_endpoint",
    "read_page",
    "total_pages",
    "update_endpoint",
]

SYSTEM: Final = "estateprime"
DEFAULT_CONCURRENCY: Final = 4
"""Pages the async lister fetches at once by default."""

T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W")
Json = dict[str, Any]
"""Reads one JSON item (at ``path`` in the answer) into ``T``, or raises :class:`MappingError`."""

_CONVERTER: Final = wire.make_converter()
_DIGITS: Final = re.compile(r"[0-9]+", re.ASCII)
_RANGE_KEYS: Final = frozenset({"min", "max"})


# -- what the API has ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection(Generic[W]):
    """One record collection: its path, wire class, and the list filters it documents."""

    path: str
    kind: str
    cls: type[W]
    id_filters: frozenset[str] = frozenset()
    text_filters: frozenset[str] = frozenset()
    range_filters: frozenset[str] = frozenset()

    @property
    def filters(self) -> frozenset[str]:
        """Every documented filter key (``page`` aside)."""
        return self.id_filters | self.text_filters | self.range_filters


CONTACTS: Final = Collection("api/contacts", "contact", wire.Contact, range_filters=frozenset({"date_created"}))
COMMUNICATIONS: Final = Collection(
    "api/communication",
    "communication",
    wire.Communication,
    id_filters=frozenset({"channel", "contact_id", "user_id"}),
    text_filters=frozenset({"type"}),
    range_filters=frozenset({"date_created", "communication_date"}),
)
CALENDAR: Final = Collection("api/calendar", "event", wire.Event, range_filters=frozenset({"date_starting"}))


@dataclass(frozen=True)
class Lookup(Generic[W]):
    """A lookup list endpoint (path below ``/api/``) and the wire class of its items."""

    name: str
    cls: type[W]


CONTACT_SOURCES: Final = Lookup("contacts/sources", wire.NamedItem)
CONTACT_TAGS: Final = Lookup("contacts/tags", wire.NamedItem)
CONTACT_CUSTOM_FIELDS: Final = Lookup("contacts/custom-fields", wire.CustomFieldDefinition)
COMMUNICATION_CHANNELS: Final = Lookup("communication/channels", wire.Channel)
COMMUNICATION_TAGS: Final = Lookup("communication/tags", wire.NamedItem)
COMMUNICATION_CUSTOM_FIELDS: Final = Lookup("communication/custom-fields", wire.CustomFieldDefinition)
EVENT_CATEGORIES: Final = Lookup("calendar/categories", wire.NamedItem)
EVENT_STATUSES: Final = Lookup("calendar/statuses", wire.NamedItem)
EVENT_TAGS: Final = Lookup("calendar/tags", wire.NamedItem)
EVENT_CUSTOM_FIELDS: Final = Lookup("calendar/custom-fields", wire.CustomFieldDefinition)
LOOKUPS: Final[tuple[Lookup[Any], ...]] = (
    CONTACT_SOURCES,
    CONTACT_TAGS,
    CONTACT_CUSTOM_FIELDS,
    COMMUNICATION_CHANNELS,
    COMMUNICATION_TAGS,
    COMMUNICATION_CUSTOM_FIELDS,
    EVENT_CATEGORIES,
    EVENT_STATUSES,
    EVENT_TAGS,
    EVENT_CUSTOM_FIELDS,
)
"""The ten lookup endpoints; their names are the keys the adapter's ``lookups`` option expects."""


# -- arguments -----------------------------------------------------------------------------------


def positive_id(value: Any, kind: str) -> int:
    """``value`` as a positive integer id, or :class:`InvalidIdError` (raised before any request)."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        raise InvalidIdError(SYSTEM, kind, "a positive integer")
    if number < 1:
        raise InvalidIdError(SYSTEM, kind, "a positive integer")
    return number


def _bound(value: Any, clock: LocalClock, key: str, *, lower: bool) -> str | None:
    """One range bound as the wire's local ``YYYY-MM-DD HH:MM:SS`` (None = open)."""
    if value is None:
        return None
    if isinstance(value, str):
        # Shape only: whether the date exists is the server's call (it answers 400).
        if not DATETIME_SHAPE.fullmatch(value):
            raise ValueError(f"{key}: expected {DATETIME_LAYOUT}")
        return value
    if not isinstance(value, datetime):
        raise TypeError(f"{key}: expected None, a string or a datetime, got {type(value).__name__}")
    try:
        local = clock.to_local(value) if value.tzinfo is not None else value
        if lower and local.microsecond:
            # The wire has whole seconds and ranges are inclusive: round a lower bound up, so a
            # record from before it is not included.
            local += timedelta(microseconds=1_000_000 - local.microsecond)
    except OverflowError:  # 0001-01-01 UTC west of UTC, 9999-12-31 UTC east of it
        raise ValueError(f"{key}: no local time in the account's timezone (out of range)") from None
    return format_datetime(local)


def _date_range(value: Any, clock: LocalClock, key: str) -> Json:
    if isinstance(value, Mapping):
        if set(value) != _RANGE_KEYS:
            raise ValueError(f"{key}: a range mapping has exactly the keys min and max")
        low, high = value["min"], value["max"]
    elif isinstance(value, tuple | list) and len(value) == 2:
        low, high = value
    else:
        raise TypeError(f"{key}: expected a (min, max) pair or a {{min, max}} mapping")
    return {"min": _bound(low, clock, f"{key}.min", lower=True), "max": _bound(high, clock, f"{key}.max", lower=False)}


def _filter_value(collection: Collection[Any], key: str, value: Any, clock: LocalClock) -> Any:
    if key in collection.range_filters:
        return _date_range(value, clock, key)
    if key in collection.id_filters:
        return positive_id(value, key)
    if not isinstance(value, str):
        raise TypeError(f"{key}: expected a string")
    return value


def filter_body(collection: Collection[Any], filters: Mapping[str, Any], clock: LocalClock) -> Json:
    """The list body of ``filters`` (``None`` values left out); unknown keys are a TypeError."""
    unknown = sorted(set(filters) - collection.filters)
    if unknown:
        documented = ", ".join(sorted(collection.filters))
        raise TypeError(f"EstatePrime {collection.kind} lists take no filter {', '.join(unknown)} (only: {documented})")
    return {key: _filter_value(collection, key, value, clock) for key, value in filters.items() if value is not None}


def _body(value: Any, cls: type) -> Json:
    """A JSON object body from a wire object (unstructured, ``None`` keys left out) or a mapping."""
    if isinstance(value, cls):
        unstructured: Json = _CONVERTER.unstructure(value)
        return {key: item for key, item in unstructured.items() if item is not None}
    if isinstance(value, Mapping):
        return dict(value)
    if attrs.has(type(value)):
        raise TypeError(f"expected a wire.{cls.__name__}, got a wire.{type(value).__name__}")
    raise TypeError(f"expected a wire.{cls.__name__} or a mapping, got {type(value).__name__}")


# -- readers -------------------------------------------------------------------------------------


_READERS: dict[tuple[type, str], WireReader[Any]] = {}


def _structured(cls: type[T], kind: str) -> ItemReader[T]:
    # Compiled once per class into one native validator (see crmbridge.adapters._fastwire).
    reader = _READERS.get((cls, kind))
    if reader is None:
        reader = _READERS[cls, kind] = WireReader(
            cls, schemas=wire.WIRE_SCHEMAS, system=SYSTEM, kind=kind, output="attrs"
        )
    read: ItemReader[T] = reader
    return read


def raw_item(kind: str) -> ItemReader[Json]:
    """An item reader that keeps JSON objects as they are (only their type is checked)."""
    return raw_item_reader(SYSTEM, kind)


def _array(value: Any, kind: str) -> list[Any]:
    if not isinstance(value, list):
        raise MappingError(SYSTEM, kind, "data", f"expected a JSON array, got {type(value).__name__}")
    return value


def read_page(answer: Any, item: ItemReader[T], *, kind: str, page: int) -> Page[T]:
    """One page of a list answer; ``next_cursor`` is ``page + 1`` until ``total_pages``."""
    envelope = structure(_CONVERTER, answer, wire.ListPage[Any], system=SYSTEM, kind=kind)
    items = [item(raw, f"data[{index}]") for index, raw in enumerate(envelope.data)]
    more = page < envelope.total_pages
    return Page(items, next_cursor=page + 1 if more else None, total=envelope.total_results, raw=answer)


def _paged(path: str, body: Json, item: ItemReader[T], kind: str) -> PagedSpec[T]:
    """A list by page number: filters and ``page`` travel together in the GET's JSON body."""

    def build(page: int) -> RequestSpec:
        if isinstance(page, bool) or not isinstance(page, int) or page < 1:
            raise ValueError("page must be a positive integer")
        return RequestSpec("GET", path, body={**body, "page": page})

    def read(answer: Any, page: int) -> Page[T]:
        return read_page(answer, item, kind=kind, page=page)

    return PagedSpec(build, read, 1)


def total_pages(page: Page[Any]) -> int:
    """``total_pages`` of a page read by :func:`read_page` (the answer was checked then)."""
    count: int = page.raw["total_pages"]
    return count


def _single(answer: Any, kind: str) -> Any:
    return structure(_CONVERTER, answer, wire.Single[Any], system=SYSTEM, kind=kind).data


def raw_data(answer: Any, kind: str) -> Json:
    """The raw ``data`` object of a single-record answer."""
    return raw_item(kind)(_single(answer, kind), "data")


def _one_reader(cls: type[T], kind: str) -> Callable[[Any], T]:
    read_item = _structured(cls, kind)
    return lambda answer: read_item(_single(answer, kind), "data")


def _list_reader(item: ItemReader[T], kind: str) -> Callable[[Any], list[T]]:
    def read(answer: Any) -> list[T]:
        data = _array(_single(answer, kind), kind)
        return [item(raw, f"data[{index}]") for index, raw in enumerate(data)]

    return read


def _created(answer: Any) -> wire.Created:
    return structure(_CONVERTER, answer, wire.Created, system=SYSTEM, kind="created")


def _deleted(answer: Any) -> wire.Deleted:
    return structure(_CONVERTER, answer, wire.Deleted, system=SYSTEM, kind="deleted")


# -- endpoint builders (shared by the twins) ------------------------------------------------------


def list_spec(collection: Collection[W], filters: Mapping[str, Any], clock: LocalClock) -> PagedSpec[W]:
    """``GET /api/<collection>`` with ``filters`` (see the module docstring) as the JSON body."""
    body = filter_body(collection, filters, clock)
    return _paged(collection.path, body, _structured(collection.cls, collection.kind), collection.kind)


def raw_list_spec(collection: Collection[Any], filters: Mapping[str, Any], clock: LocalClock) -> PagedSpec[Any]:
    """:func:`list_spec` with items kept as the raw JSON sent (what the connection backend needs).

    Items are normally JSON objects; one that is not is kept as it is, so that translating it
    fails for that item alone and the rest of its page is still read (see
    :func:`~crmbridge.adapters._support.listed_item`).
    """
    body = filter_body(collection, filters, clock)
    return _paged(collection.path, body, listed_item, collection.kind)


def _record_path(collection: Collection[Any], ident: Any) -> str:
    return f"{collection.path}/{positive_id(ident, collection.kind)}"


def get_endpoint(collection: Collection[W], ident: Any) -> Endpoint[W]:
    """``GET /api/<collection>/{id}``."""
    return Endpoint(RequestSpec("GET", _record_path(collection, ident)), _one_reader(collection.cls, collection.kind))


def create_endpoint(collection: Collection[Any], record: Any) -> Endpoint[wire.Created]:
    """``POST /api/<collection>``: never resent after an ambiguous failure (it could duplicate)."""
    return Endpoint(RequestSpec("POST", collection.path, body=_body(record, collection.cls)), _created)


def update_endpoint(collection: Collection[W], ident: Any, changes: Any) -> Endpoint[W]:
    """``PATCH /api/<collection>/{id}`` (documented for the calendar only): the updated record.

    Resending the same partial update gives the same result, so it is retried like a PUT.
    """
    spec = RequestSpec("PATCH", _record_path(collection, ident), body=_body(changes, collection.cls), idempotent=True)
    return Endpoint(spec, _one_reader(collection.cls, collection.kind))


def delete_endpoint(collection: Collection[Any], ident: Any) -> Endpoint[wire.Deleted]:
    """``DELETE /api/<collection>/{id}``.

    No answer to read means the HTTP core found the delete already done (a retry after a lost
    answer was answered 404, see :meth:`~crmbridge.http.SyncAPIClient.request`): it reads as the
    ``Deleted`` the lost answer would have been (``status`` 200 and the id).
    """
    number = positive_id(ident, collection.kind)

    def read(answer: Any) -> wire.Deleted:
        return wire.Deleted(status=200, deleted_id=number) if answer is None else _deleted(answer)

    return Endpoint(RequestSpec("DELETE", f"{collection.path}/{number}"), read)


def lookup_endpoint(lookup: Lookup[W]) -> Endpoint[list[W]]:
    """``GET /api/<name>`` of a lookup list, items read as its wire class."""
    return Endpoint(RequestSpec("GET", f"api/{lookup.name}"), _list_reader(_structured(lookup.cls, "lookup"), "lookup"))


def raw_lookup_endpoint(lookup: Lookup[Any]) -> Endpoint[list[Json]]:
    """``GET /api/<name>`` of a lookup list, items kept as raw JSON (what the adapter reads)."""
    return Endpoint(RequestSpec("GET", f"api/{lookup.name}"), _list_reader(raw_item("lookup"), "lookup"))


# -- the clients ---------------------------------------------------------------------------------


def _concurrency(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("concurrency must be a positive integer")
    return value


class EstatePrimeClient(SyncAPIClient):
    """A blocking EstatePrime client: ``client.contacts``, ``client.communications``, ``client.calendar``.

    ``base_url`` is the account's host (required: no public default is documented); ``token``
    is sent as a bearer token (the documents do not describe the scheme; see the module
    docstring). ``timezone`` (IANA) is the account's: aware datetimes in list filters are
    converted to it.
    """

    system = SYSTEM

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timezone: str = "UTC",
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            transport=transport,
            verify=verify,
        )
        self.timezone = timezone
        self.clock = LocalClock(timezone)
        self.contacts = Contacts(self)
        self.communications = Communications(self)
        self.calendar = Calendar(self)


class AsyncEstatePrimeClient(AsyncAPIClient):
    """The async twin of :class:`EstatePrimeClient`; ``concurrency`` is the lister's page concurrency."""

    system = SYSTEM

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timezone: str = "UTC",
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            transport=transport,
            verify=verify,
        )
        self.timezone = timezone
        self.clock = LocalClock(timezone)
        self.concurrency = _concurrency(concurrency)
        self.contacts = AsyncContacts(self)
        self.communications = AsyncCommunications(self)
        self.calendar = AsyncCalendar(self)

    def pager(self, paged: PagedSpec[T], *, concurrency: int | None = None) -> AsyncPager[T]:
        """Every item of a list, in order: page 1, then the rest ``concurrency`` at a time."""
        limit = self.concurrency if concurrency is None else _concurrency(concurrency)

        def fetch(number: int) -> Awaitable[Page[T]]:
            return self.page(paged, number)

        def pages() -> AsyncIterator[Page[T]]:
            return fetch_numbered_pages(fetch, total_pages=total_pages, concurrency=limit)

        return AsyncPager(fetch, first_cursor=1, pages=pages)


# -- sync namespaces -----------------------------------------------------------------------------


class _Records(Generic[W]):
    """list / list_page / get / create / delete of one collection (blocking)."""

    collection: Collection[W]

    def __init__(self, client: EstatePrimeClient) -> None:
        self._c = client

    def list(self, **filters: Any) -> SyncPager[W]:
        """Every record matching ``filters``, auto-paging (``.pages()`` for page-level access)."""
        return self._c.pager(list_spec(self.collection, filters, self._c.clock))

    def list_page(self, page: int = 1, **filters: Any) -> Page[W]:
        """Page ``page`` of the list matching ``filters``."""
        return self._c.page(list_spec(self.collection, filters, self._c.clock), page)

    def get(self, ident: int | str) -> W:
        """One record by id."""
        return self._c.call(get_endpoint(self.collection, ident))

    def create(self, record: W | Mapping[str, Any]) -> wire.Created:
        """Create a record; ``created_id`` is its id."""
        return self._c.call(create_endpoint(self.collection, record))

    def delete(self, ident: int | str) -> wire.Deleted:
        """Delete a record for good."""
        return self._c.call(delete_endpoint(self.collection, ident))


NamedItems = list[wire.NamedItem]
Definitions = list[wire.CustomFieldDefinition]
Channels = list[wire.Channel]


class Contacts(_Records[wire.Contact]):
    """``client.contacts``: ``/api/contacts`` (filter: ``date_created``)."""

    collection = CONTACTS

    def sources(self) -> NamedItems:
        """``GET /api/contacts/sources``."""
        return self._c.call(lookup_endpoint(CONTACT_SOURCES))

    def tags(self) -> NamedItems:
        """``GET /api/contacts/tags``."""
        return self._c.call(lookup_endpoint(CONTACT_TAGS))

    def custom_fields(self) -> Definitions:
        """``GET /api/contacts/custom-fields``."""
        return self._c.call(lookup_endpoint(CONTACT_CUSTOM_FIELDS))


class Communications(_Records[wire.Communication]):
    """``client.communications``: ``/api/communication`` (filters: ``type``, ``channel``,
    ``contact_id``, ``user_id``, ``date_created``, ``communication_date``)."""

    collection = COMMUNICATIONS

    def channels(self) -> Channels:
        """``GET /api/communication/channels``."""
        return self._c.call(lookup_endpoint(COMMUNICATION_CHANNELS))

    def tags(self) -> NamedItems:
        """``GET /api/communication/tags``."""
        return self._c.call(lookup_endpoint(COMMUNICATION_TAGS))

    def custom_fields(self) -> Definitions:
        """``GET /api/communication/custom-fields``."""
        return self._c.call(lookup_endpoint(COMMUNICATION_CUSTOM_FIELDS))


class Calendar(_Records[wire.Event]):
    """``client.calendar``: ``/api/calendar`` (filter: ``date_starting``), with PATCH updates."""

    collection = CALENDAR

    def update(self, ident: int | str, changes: wire.Event | Mapping[str, Any]) -> wire.Event:
        """``PATCH /api/calendar/{id}``: only the keys sent change; the updated event."""
        return self._c.call(update_endpoint(self.collection, ident, changes))

    def categories(self) -> NamedItems:
        """``GET /api/calendar/categories``."""
        return self._c.call(lookup_endpoint(EVENT_CATEGORIES))

    def statuses(self) -> NamedItems:
        """``GET /api/calendar/statuses``."""
        return self._c.call(lookup_endpoint(EVENT_STATUSES))

    def tags(self) -> NamedItems:
        """``GET /api/calendar/tags``."""
        return self._c.call(lookup_endpoint(EVENT_TAGS))

    def custom_fields(self) -> Definitions:
        """``GET /api/calendar/custom-fields``."""
        return self._c.call(lookup_endpoint(EVENT_CUSTOM_FIELDS))


# -- async namespaces (the same methods, awaited) ------------------------------------------------


class _AsyncRecords(Generic[W]):
    """The async twin of :class:`_Records`."""

    collection: Collection[W]

    def __init__(self, client: AsyncEstatePrimeClient) -> None:
        self._c = client

    def list(self, *, concurrency: int | None = None, **filters: Any) -> AsyncPager[W]:
        """Every record matching ``filters`` (``async for``): page 1, then the rest concurrently."""
        return self._c.pager(list_spec(self.collection, filters, self._c.clock), concurrency=concurrency)

    async def list_page(self, page: int = 1, **filters: Any) -> Page[W]:
        """Page ``page`` of the list matching ``filters``."""
        return await self._c.page(list_spec(self.collection, filters, self._c.clock), page)

    async def get(self, ident: int | str) -> W:
        """One record by id."""
        return await self._c.call(get_endpoint(self.collection, ident))

    async def create(self, record: W | Mapping[str, Any]) -> wire.Created:
        """Create a record; ``created_id`` is its id."""
        return await self._c.call(create_endpoint(self.collection, record))

    async def delete(self, ident: int | str) -> wire.Deleted:
        """Delete a record for good."""
        return await self._c.call(delete_endpoint(self.collection, ident))


class AsyncContacts(_AsyncRecords[wire.Contact]):
    """``client.contacts`` of :class:`AsyncEstatePrimeClient`."""

    collection = CONTACTS

    async def sources(self) -> NamedItems:
        """``GET /api/contacts/sources``."""
        return await self._c.call(lookup_endpoint(CONTACT_SOURCES))

    async def tags(self) -> NamedItems:
        """``GET /api/contacts/tags``."""
        return await self._c.call(lookup_endpoint(CONTACT_TAGS))

    async def custom_fields(self) -> Definitions:
        """``GET /api/contacts/custom-fields``."""
        return await self._c.call(lookup_endpoint(CONTACT_CUSTOM_FIELDS))


class AsyncCommunications(_AsyncRecords[wire.Communication]):
    """``client.communications`` of :class:`AsyncEstatePrimeClient`."""

    collection = COMMUNICATIONS

    async def channels(self) -> Channels:
        """``GET /api/communication/channels``."""
        return await self._c.call(lookup_endpoint(COMMUNICATION_CHANNELS))

    async def tags(self) -> NamedItems:
        """``GET /api/communication/tags``."""
        return await self._c.call(lookup_endpoint(COMMUNICATION_TAGS))

    async def custom_fields(self) -> Definitions:
        """``GET /api/communication/custom-fields``."""
        return await self._c.call(lookup_endpoint(COMMUNICATION_CUSTOM_FIELDS))


class AsyncCalendar(_AsyncRecords[wire.Event]):
    """``client.calendar`` of :class:`AsyncEstatePrimeClient`."""

    collection = CALENDAR

    async def update(self, ident: int | str, changes: wire.Event | Mapping[str, Any]) -> wire.Event:
        """``PATCH /api/calendar/{id}``: only the keys sent change; the updated event."""
        return await self._c.call(update_endpoint(self.collection, ident, changes))

    async def categories(self) -> NamedItems:
        """``GET /api/calendar/categories``."""
        return await self._c.call(lookup_endpoint(EVENT_CATEGORIES))

    async def statuses(self) -> NamedItems:
        """``GET /api/calendar/statuses``."""
        return await self._c.call(lookup_endpoint(EVENT_STATUSES))

    async def tags(self) -> NamedItems:
        """``GET /api/calendar/tags``."""
        return await self._c.call(lookup_endpoint(EVENT_TAGS))

    async def custom_fields(self) -> Definitions:
        """``GET /api/calendar/custom-fields``."""
        return await self._c.call(lookup_endpoint(EVENT_CUSTOM_FIELDS))
