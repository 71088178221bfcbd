"""Activix behind ``crmbridge.connect("activix", ...)``: the adapter wired to :class:`ActivixClient`.

Options: the client's (``base_url``, ``token``, ``timeout``, ``retry``, ``rate_limit`` (200/60
requests per second unless given), ``transport``, ``verify``), the backend's ``page_size`` (leads
per request when listing, 1..100, default 100 so a scan spends few of the 200 requests a minute),
and the adapter's (``default_region``, ``default_lead_type``); anything else is a TypeError.

What each kind reads and writes:

- ``contact`` (an Activix lead): read with ``include[]=emails&include[]=phones&include[]=advisor``
  so the canonical Contact is complete. Listing is ``GET /leads`` (newest ``created_at`` first)
  with the documented lead filters passed through by name (``name``, ``email``, ``phone``,
  ``postal_code``, ``division``, ``created_at``, ``updated_at``, ``sale_date``, see
  :class:`~crmbridge.adapters.activix.client.LeadFilters`). ``updated_since`` and
  ``created_since`` (aware datetimes) become ``filter[updated_at][gte]`` /
  ``filter[created_at][gte]`` with the UTC *date* of the instant: Activix filters by day, so the
  backend also drops, client-side, every lead whose ``updated_at`` / ``created_at`` is before the
  instant (no older record leaks through; compared to the whole second, as Activix stamps them).
  Creating is ``POST /leads``, updating the partial ``PUT /leads/{id}`` (emails and phones in it
  are appended by Activix).
- ``activity`` (an Activix communication): Activix has no endpoint that reads communications,
  so listing reads leads with ``include[]=communications`` and yields each lead's
  communications. The lead filters apply to the leads; ``updated_since`` / ``created_since``
  filter the leads by their ``updated_at`` / ``created_at`` date and then the communications by
  their own ``updated_at`` / ``created_at`` instant. **Limitation**: a communication added to or
  changed on a lead whose own ``updated_at`` did not move is missed by ``updated_since`` (Activix
  does not document that a communication touches its lead); pass ``scan_all_leads=True`` to
  read every lead and filter only the communications (exact, but it reads the whole account).
  ``get`` of an activity raises :class:`UnsupportedOperation` (nothing reads one communication,
  and finding it would mean scanning every lead). Creating is ``POST /communications``, updating
  ``PUT /communications/{id}`` (``lead_id``, ``method`` and ``type`` always sent, by the adapter).

Activix documents no delete at all: ``delete`` raises :class:`UnsupportedOperation`. A filter the
kind does not take raises :class:`UnsupportedOperation`. ``lookups()`` returns
``{"account": [...]}``: ``GET /account`` with its ``users``, ``custom_fields`` and ``sources``.
Refs are the adapter's: ``Ref("activix", "lead", id)`` and ``Ref("activix", "communication", id)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from crmbridge.adapters._base import Adapter
from crmbridge.adapters.activix import make_adapter
from crmbridge.adapters.activix.client import (
    MAX_PER_PAGE,
    ActivixClient,
    AsyncActivixClient,
    LeadFilters,
    create_communication,
    create_lead,
    get_account,
    get_lead,
    list_leads,
    positive_id,
    raw_endpoint,
    update_communication,
    update_lead,
)
from crmbridge.adapters.activix.wire import parse_datetime
from crmbridge.canonical import Ref
from crmbridge.errors import MappingError, UnsupportedOperation
from crmbridge.http import Endpoint, PagedList, RequestSpec

__all__ = [
    "ACCOUNT_LOOKUPS",
    "ACTIVITY_INCLUDES",
    "CONTACT_INCLUDES",
    "ActivixBackend",
    "AsyncActivixBackend",
    "ListPlan",
    "list_plan",
    "make_async_backend",
    "make_backend",
]

SYSTEM: Final = "activix"
CONTACT_INCLUDES: Final = ("emails", "phones", "advisor", "custom_fields")
"""What a lead is read with, so that its canonical Contact is complete."""
ACTIVITY_INCLUDES: Final = ("communications",)
"""What a lead is read with to list its communications (the only way Activix returns them)."""
ACCOUNT_LOOKUPS: Final = ("users", "custom_fields", "sources")

_CLIENT_OPTIONS: Final = frozenset({"base_url", "token", "timeout", "retry", "rate_limit", "transport", "verify"})
_PAGE_SIZE: Final = MAX_PER_PAGE
_LEAD_FILTERS: Final = LeadFilters.__optional_keys__
_SINCE: Final = {"updated_since": "updated_at", "created_since": "created_at"}
_WIRE_KINDS: Final = {"lead": "contact", "contact": "contact", "communication": "activity", "activity": "activity"}

Json = dict[str, Any]
Keep = Callable[[Any], bool]


# -- options -----------------------------------------------------------------------------------


def _split(options: Mapping[str, Any]) -> tuple[Json, int, Json]:
    """Client options, the page size, and the adapter's options."""
    client = {k: v for k, v in options.items() if k in _CLIENT_OPTIONS}
    page_size = options.get("page_size", _PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or not 1 <= page_size <= MAX_PER_PAGE:
        raise ValueError(f"page_size must be an integer between 1 and {MAX_PER_PAGE}")
    adapter = {k: v for k, v in options.items() if k not in _CLIENT_OPTIONS and k != "page_size"}
    return client, page_size, adapter


# -- listing -----------------------------------------------------------------------------------


def _keep_all(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class ListPlan:
    """How to list a kind: the (raw JSON) lead list, which leads and items to keep, and how to unpack.

    ``items(lead)`` gives the payloads a lead stands for: itself for contacts, its embedded
    communications for activities. ``keep_lead`` and ``keep_item`` skip (never stop: leads come
    newest *created* first, not by update) what the day-granular server filter let through.

    Listed leads and communications are normally JSON objects; one that is not is kept (by the
    list, ``items`` and the ``keep`` checks), so that ``Connection.list`` reports it as a failed
    record and reads on.
    """

    leads: PagedList[Any]
    items: Callable[[Any], list[Any]]
    keep_lead: Keep = _keep_all
    keep_item: Keep = _keep_all


def _instant(name: str, value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise TypeError(f"{name} must be a timezone-aware datetime")
    # Activix stamps whole seconds: a record of the same second must not be lost to the fraction.
    return value.astimezone(dt.UTC).replace(microsecond=0)


def _at_or_after(field: str, since: dt.datetime) -> Keep:
    def keep(payload: Any) -> bool:
        if not isinstance(payload, Mapping):
            return True  # not an object: kept, so translating it reports it
        stamp = payload.get(field)
        try:
            return parse_datetime(stamp) >= since
        except (TypeError, ValueError):
            return True  # kept: translating it reports the bad field with its path

    return keep


def _all_of(checks: list[Keep]) -> Keep:
    if not checks:
        return _keep_all
    return lambda payload: all(check(payload) for check in checks)


def _lead_itself(lead: Any) -> list[Any]:
    return [lead]


def _communications(lead: Any) -> list[Any]:
    if not isinstance(lead, Mapping):
        # A listed lead that is not an object holds no readable communications: it is passed on
        # in their place, so that translating it reports it (and the listing goes on).
        return [lead]
    embedded = lead.get("communications")
    if embedded is None:
        return []
    if not isinstance(embedded, list):
        # Reported in place of that lead's communications (Connection.list reads on).
        found = type(embedded).__name__
        return [
            MappingError(SYSTEM, "activity", "communications", f"lead {lead.get('id')!r}: expected a list, got {found}")
        ]
    # A non-object item is passed on as it is: translating it reports it with its position.
    return list(embedded)


def list_plan(kind: str, filters: Mapping[str, Any], page_size: int) -> ListPlan:
    """How to list ``kind`` with ``filters`` (see the module docstring)."""
    wanted = dict(filters)
    activities = kind == "activity"
    scan_all = bool(wanted.pop("scan_all_leads", False)) if activities else False
    checks: list[Keep] = []
    for name, field in _SINCE.items():
        value = wanted.pop(name, None)
        if value is None:
            continue
        since = _instant(name, value)
        if field in wanted:
            raise ValueError(f"give {name} or the {field} filter, not both")
        if not scan_all:
            # Activix filters by UTC day: the day of the instant lets through a superset.
            wanted[field] = {"gte": since.date()}
        checks.append(_at_or_after(field, since))
    unknown = sorted(set(wanted) - _LEAD_FILTERS)
    if unknown:
        raise UnsupportedOperation(SYSTEM, f"filter {kind}s by {', '.join(unknown)}")
    include = ACTIVITY_INCLUDES if activities else CONTACT_INCLUDES
    leads = list_leads(per_page=page_size, include=include, **wanted).raw()
    if activities:
        # Lead dates say nothing exact about its communications: only theirs are checked.
        return ListPlan(leads, _communications, keep_item=_all_of(checks))
    return ListPlan(leads, _lead_itself, keep_lead=_all_of(checks))


def _unpack(plan: ListPlan, lead: Any) -> Iterator[Any]:
    if not plan.keep_lead(lead):
        return
    for item in plan.items(lead):
        if plan.keep_item(item):
            yield item


# -- single records ----------------------------------------------------------------------------


def _get_endpoint(kind: str, ident: str) -> Endpoint[Json]:
    if kind == "activity":
        positive_id(ident, "communication")
        raise UnsupportedOperation(SYSTEM, "read one communication (list activities: leads include them)")
    return raw_endpoint(get_lead(ident, include=CONTACT_INCLUDES), "lead")


def _create_endpoint(kind: str, body: Json) -> tuple[Endpoint[Json], str]:
    """The create request of ``kind`` (raw answer) and the Activix kind of its Ref."""
    if kind == "activity":
        return raw_endpoint(create_communication(body), "communication"), "communication"
    return raw_endpoint(create_lead(body), "lead"), "lead"


def _new_ref(answer: Json, wire_kind: str) -> Ref:
    ident = answer.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int):
        raise MappingError(SYSTEM, _WIRE_KINDS[wire_kind], "data.id", "expected an integer id")
    return Ref(SYSTEM, wire_kind, str(ident))


def _checked(ref: Ref) -> str:
    """The canonical kind of an Activix Ref, or ValueError."""
    if ref.system != SYSTEM or ref.kind not in _WIRE_KINDS:
        raise ValueError(f"expected an Activix lead or communication Ref, got {ref}")
    return _WIRE_KINDS[ref.kind]


def _update_spec(ref: Ref, body: Json) -> RequestSpec:
    if _checked(ref) == "activity":
        return update_communication(ref.id, body).spec
    return update_lead(ref.id, body).spec


def _delete(ref: Ref) -> None:
    kind = _checked(ref)
    positive_id(ref.id, "communication" if kind == "activity" else "lead")
    raise UnsupportedOperation(SYSTEM, f"delete {'a communication' if kind == 'activity' else 'a lead'}")


_LOOKUPS: Final = get_account(include=ACCOUNT_LOOKUPS)


# -- the backends ------------------------------------------------------------------------------


class ActivixBackend:
    """The :class:`~crmbridge.Backend` of Activix: raw Activix JSON in and out, over an ActivixClient."""

    def __init__(self, client: ActivixClient, adapter: Adapter, *, page_size: int = _PAGE_SIZE) -> None:
        self.client = client
        self.adapter = adapter
        self.page_size = page_size

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Any]:
        """Every lead (``contact``) or communication (``activity``) matching ``filters`` (non-objects passed on)."""
        plan = list_plan(kind, filters, self.page_size)
        for lead in self.client.pager(plan.leads.spec()):
            yield from _unpack(plan, lead)

    def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """The lead ``ident`` with its emails, phones and advisor (activities cannot be read alone)."""
        return self.client.call(_get_endpoint(kind, ident))

    def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        """Create a lead or a communication from ``body``; its Ref."""
        endpoint, wire_kind = _create_endpoint(kind, body)
        return _new_ref(self.client.call(endpoint), wire_kind)

    def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        """PUT a lead (partial) or a communication."""
        self.client.send(_update_spec(ref, body))

    def delete_payload(self, ref: Ref) -> None:
        """Always :class:`UnsupportedOperation`: Activix documents no delete."""
        _delete(ref)

    def lookups(self) -> dict[str, Any]:
        """The account with its users, custom fields and sources."""
        return {"account": self.client.call(_LOOKUPS)}

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


class AsyncActivixBackend:
    """The async twin of :class:`ActivixBackend`."""

    def __init__(self, client: AsyncActivixClient, adapter: Adapter, *, page_size: int = _PAGE_SIZE) -> None:
        self.client = client
        self.adapter = adapter
        self.page_size = page_size

    async def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> AsyncIterator[Any]:
        """Every lead (``contact``) or communication (``activity``) matching ``filters`` (non-objects passed on)."""
        plan = list_plan(kind, filters, self.page_size)
        async for lead in self.client.pager(plan.leads.spec()):
            for item in _unpack(plan, lead):
                yield item

    async def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """The lead ``ident`` with its emails, phones and advisor (activities cannot be read alone)."""
        return await self.client.call(_get_endpoint(kind, ident))

    async def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        """Create a lead or a communication from ``body``; its Ref."""
        endpoint, wire_kind = _create_endpoint(kind, body)
        return _new_ref(await self.client.call(endpoint), wire_kind)

    async def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        """PUT a lead (partial) or a communication."""
        await self.client.send(_update_spec(ref, body))

    async def delete_payload(self, ref: Ref) -> None:
        """Always :class:`UnsupportedOperation`: Activix documents no delete."""
        _delete(ref)

    async def lookups(self) -> dict[str, Any]:
        """The account with its users, custom fields and sources."""
        return {"account": await self.client.call(_LOOKUPS)}

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


def make_backend(**options: Any) -> ActivixBackend:
    """The backend :func:`crmbridge.connect` uses for ``"activix"``."""
    client_options, page_size, adapter_options = _split(options)
    adapter = make_adapter(**adapter_options)
    return ActivixBackend(ActivixClient(**client_options), adapter, page_size=page_size)


def make_async_backend(**options: Any) -> AsyncActivixBackend:
    """The backend :func:`crmbridge.connect_async` uses for ``"activix"``."""
    client_options, page_size, adapter_options = _split(options)
    adapter = make_adapter(**adapter_options)
    return AsyncActivixBackend(AsyncActivixClient(**client_options), adapter, page_size=page_size)
