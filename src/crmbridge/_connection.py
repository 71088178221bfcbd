"""One connection API for every CRM: canonical records in and out, the HTTP client underneath.

A connection wires a CRM's adapter (translation) to its client (HTTP) through a *backend*,
built by the ``backend`` / ``async_backend`` factories of the system's descriptor
(:class:`crmbridge.System`; the built-in CRMs' live in ``crmbridge.adapters.<system>.connection``).
Integrations written against :class:`Connection` work for every CRM; what a CRM cannot do raises
:class:`~crmbridge.errors.UnsupportedOperation`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import AsyncIterator, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from crmbridge._systems import get_system
from crmbridge.adapters import Adapter, Resolver
from crmbridge.canonical import CustomFieldDef, Record, Ref
from crmbridge.errors import MappingError, UnsupportedOperation
from crmbridge.http._body import encode_json_body, problems

__all__ = [
    "AsyncBackend",
    "AsyncConnection",
    "Backend",
    "Connection",
    "ListFailure",
    "connect",
    "connect_async",
]

OnError = Literal["raise", "skip"]


class Backend(Protocol):
    """What a CRM folder provides to a :class:`Connection` (payloads are the CRM's own JSON)."""

    adapter: Adapter

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Any]:
        """Every object of ``kind`` matching ``filters``, paging on its own.

        An item of a page that is not a JSON object is yielded as it is: translating it raises
        the adapter's :class:`MappingError` for that item alone, so ``list(on_error="skip")``
        reports it at its position and reads on (refusing it here would end the listing). An
        item the backend cannot even unpack (an embedded list that is not a list) is yielded as
        the :class:`MappingError` saying so, for the same reason.
        """
        ...

    def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """The object ``ident`` of ``kind``."""
        ...

    def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        """Create an object from ``body``; the Ref of the new record."""
        ...

    def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        """Update the record ``ref`` with ``body``."""
        ...

    def delete_payload(self, ref: Ref) -> None:
        """Delete the record ``ref``."""
        ...

    def lookups(self) -> dict[str, Any]:
        """The CRM's lookup lists (tags, sources, channels, ...), keyed by their endpoint."""
        ...

    def close(self) -> None:
        """Release the HTTP client."""
        ...


class AsyncBackend(Protocol):
    """The async twin of :class:`Backend`."""

    adapter: Adapter

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> AsyncIterator[Any]: ...

    async def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]: ...

    async def create_payload(self, kind: str, body: dict[str, Any]) -> Ref: ...

    async def update_payload(self, ref: Ref, body: dict[str, Any]) -> None: ...

    async def delete_payload(self, ref: Ref) -> None: ...

    async def lookups(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


async def _prepare(backend: AsyncBackend) -> None:
    # A backend may need I/O before its adapter can translate (EstatePrime loads its lookup
    # lists); the sync twin does that inside the adapter, the async one cannot, so it is awaited here.
    prepare = getattr(backend, "prepare", None)
    if prepare is not None:
        await prepare()


def _translated(adapter: Adapter, kind: str, payload: Any) -> Record:
    """The canonical record of a listed payload (a backend yields a MappingError for an item it could not unpack)."""
    if isinstance(payload, MappingError):
        raise payload
    return adapter.to_canonical(kind, payload)


def _check_update(backend: Backend | AsyncBackend, ref: Ref) -> None:
    # A backend may refuse an update's Ref before the record is translated: translating can take
    # requests (EstatePrime loads its lookup lists first), and a malformed id is refused before any.
    check = getattr(backend, "check_update", None)
    if check is not None:
        check(ref)


@dataclass(frozen=True)
class ListFailure:
    """A listed object that could not be translated (``list(..., on_error="skip")``).

    ``ref`` names it when the object carries an id (see :meth:`Adapter.payload_ref`).
    """

    kind: str
    position: int
    error: MappingError
    ref: Ref | None = None


def _sendable(system: str, record: Record, body: dict[str, Any]) -> dict[str, Any]:
    """``body``, or :class:`MappingError` when it cannot be sent as UTF-8 JSON (before any request).

    A lone surrogate in a string (lossless reads keep them) or NaN (a record built without
    validation) cannot go out: the error names the record's kind and the canonical field holding
    the value when it is found there (``first_name``), else its key in the body.
    """
    try:
        encode_json_body(body, system=system, kind=record.KIND)
    except MappingError as error:
        raise MappingError(system, record.KIND, _canonical_path(record, body) or error.path, error.message) from None
    return body


def _canonical_path(record: Record, body: dict[str, Any]) -> str | None:
    sent = next(problems(body), None)
    if sent is None:
        return None
    for found in problems(record):
        if isinstance(sent.value, float) and isinstance(found.value, float):
            if found.value == sent.value or (math.isnan(found.value) and math.isnan(sent.value)):
                return found.path
        elif isinstance(sent.value, str) and isinstance(found.value, str) and found.value in sent.value:
            return found.path
    return None


def _ident(ref_or_id: Ref | str | int) -> str:
    return ref_or_id.id if isinstance(ref_or_id, Ref) else str(ref_or_id)


def _target_ref(record: Record, system: str, ref: Ref | None) -> Ref:
    target = ref if ref is not None else record.ref
    if target is None or target.system != system:
        raise ValueError(f"update needs a {system} Ref (the record's own, or ref=), got {target}")
    return target


class Connection:
    """Canonical records from and to one CRM: ``list``, ``get``, ``create``, ``update``, ``delete``.

    Translation failures while listing either raise (``on_error="raise"``, the default) or are
    skipped and kept in :attr:`failures` (``on_error="skip"``), so a long scan goes on; a listed
    item that is not even a JSON object is one of them (path ``""``, at its position).

    ``create`` and ``update`` refuse a record whose body cannot be sent as UTF-8 JSON (a lone
    surrogate in a string, NaN or an infinity) with a :class:`MappingError` naming the canonical
    field, before any request.
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.adapter = backend.adapter
        self.system = backend.adapter.system
        self.failures: list[ListFailure] = []

    def __repr__(self) -> str:
        return f"Connection({self.system!r})"

    def list(self, kind: str, *, on_error: OnError = "raise", **filters: Any) -> Iterator[Record]:
        """Every record of ``kind`` matching ``filters`` (e.g. ``updated_since=``), paging on its own."""
        self.adapter.check_kind(kind)
        for position, payload in enumerate(self.backend.list_payloads(kind, filters)):
            try:
                yield _translated(self.adapter, kind, payload)
            except MappingError as error:
                if on_error == "raise":
                    raise
                self.failures.append(ListFailure(kind, position, error, self.adapter.payload_ref(kind, payload)))

    def get(self, kind: str, ref_or_id: Ref | str | int) -> Record:
        """The record ``ref_or_id`` of ``kind``."""
        self.adapter.check_kind(kind)
        return self.adapter.to_canonical(kind, self.backend.get_payload(kind, _ident(ref_or_id)))

    def create(self, record: Record, *, resolve: Resolver | None = None) -> Ref:
        """Create ``record`` in the CRM (foreign Refs go through ``resolve``); the new Ref."""
        body = _sendable(self.system, record, self.adapter.from_canonical(record, resolve=resolve))
        return self.backend.create_payload(record.KIND, body)

    def update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
        ref: Ref | None = None,
    ) -> None:
        """Update the CRM's copy of ``record`` (only ``fields`` when given).

        ``ref`` names the record to update when ``record`` was read from another system (a
        migration updating its earlier copy); by default it is ``record.ref``.
        """
        ref = _target_ref(record, self.system, ref)
        _check_update(self.backend, ref)
        body = _sendable(self.system, record, self.adapter.to_update(record, fields=fields, resolve=resolve))
        self.backend.update_payload(ref, body)

    def delete(self, ref: Ref) -> None:
        """Delete the record ``ref``."""
        self.backend.delete_payload(ref)

    def lookups(self) -> dict[str, Any]:
        """The CRM's lookup lists."""
        return self.backend.lookups()

    def custom_field_defs(self) -> dict[str, builtins.list[CustomFieldDef]]:
        """The CRM's custom field definitions by canonical kind (read from its lookups)."""
        return self.adapter.custom_field_defs(self.backend.lookups())

    def create_custom_field_def(
        self, kind: str, name: str, field_type: str, options: Collection[str] = ()
    ) -> CustomFieldDef:
        """Define a custom field ``name`` of ``field_type`` on ``kind`` records (Rechat attribute defs).

        :class:`~crmbridge.errors.UnsupportedOperation` where the CRM's API cannot define fields
        (EstatePrime's and Activix's are set up in their own apps).
        """
        create = getattr(self.backend, "create_custom_field_def", None)
        if create is None:
            raise UnsupportedOperation(self.system, "define custom fields through its API")
        created: CustomFieldDef = create(kind, name, field_type, tuple(options))
        return created

    def close(self) -> None:
        """Close the HTTP client."""
        self.backend.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncConnection:
    """The async twin of :class:`Connection`: same method names, awaited (``list`` is ``async for``)."""

    def __init__(self, backend: AsyncBackend) -> None:
        self.backend = backend
        self.adapter = backend.adapter
        self.system = backend.adapter.system
        self.failures: list[ListFailure] = []

    def __repr__(self) -> str:
        return f"AsyncConnection({self.system!r})"

    async def list(self, kind: str, *, on_error: OnError = "raise", **filters: Any) -> AsyncIterator[Record]:
        """Every record of ``kind`` matching ``filters``, paging on its own."""
        self.adapter.check_kind(kind)
        await _prepare(self.backend)
        position = 0
        async for payload in self.backend.list_payloads(kind, filters):
            try:
                yield _translated(self.adapter, kind, payload)
            except MappingError as error:
                if on_error == "raise":
                    raise
                self.failures.append(ListFailure(kind, position, error, self.adapter.payload_ref(kind, payload)))
            position += 1

    async def get(self, kind: str, ref_or_id: Ref | str | int) -> Record:
        """The record ``ref_or_id`` of ``kind``."""
        self.adapter.check_kind(kind)
        payload = await self.backend.get_payload(kind, _ident(ref_or_id))  # checks the id before any request
        await _prepare(self.backend)
        return self.adapter.to_canonical(kind, payload)

    async def create(self, record: Record, *, resolve: Resolver | None = None) -> Ref:
        """Create ``record`` in the CRM; the new Ref."""
        await _prepare(self.backend)
        body = _sendable(self.system, record, self.adapter.from_canonical(record, resolve=resolve))
        return await self.backend.create_payload(record.KIND, body)

    async def update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
        ref: Ref | None = None,
    ) -> None:
        """Update the CRM's copy of ``record`` (only ``fields`` when given; see :meth:`Connection.update`)."""
        ref = _target_ref(record, self.system, ref)
        _check_update(self.backend, ref)
        await _prepare(self.backend)
        body = _sendable(self.system, record, self.adapter.to_update(record, fields=fields, resolve=resolve))
        await self.backend.update_payload(ref, body)

    async def delete(self, ref: Ref) -> None:
        """Delete the record ``ref``."""
        await self.backend.delete_payload(ref)

    async def lookups(self) -> dict[str, Any]:
        """The CRM's lookup lists."""
        return await self.backend.lookups()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.backend.aclose()

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


def connect(system: str, **options: Any) -> Connection:
    """A :class:`Connection` to ``system``: client options (``base_url``, ``token``, ``transport``,
    ``rate_limit``, ...) and adapter options (``timezone``, ``default_region``, ...) together.

    Against a sandbox: ``crmbridge.connect("estateprime", **sandbox.client_options())``.
    """
    backend: Backend = get_system(system).factory("backend")(**options)
    return Connection(backend)


def connect_async(system: str, **options: Any) -> AsyncConnection:
    """The async twin of :func:`connect`."""
    backend: AsyncBackend = get_system(system).factory("async_backend")(**options)
    return AsyncConnection(backend)
