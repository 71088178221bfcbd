"""Rechat behind ``crmbridge.connect("rechat", ...)``: the adapter wired to :class:`RechatClient`.

Options: the client's (``base_url``, ``token``, ``brand``, ``timeout``, ``retry``, ``rate_limit``,
``transport``, ``verify``), the backend's ``page_size`` (items per request when listing), and
anything else goes to the adapter (Rechat's takes none, so an unknown option is a TypeError).

What each kind reads and writes:

- ``task``: read with every expansion in :data:`TASK_EXPANSIONS` (Rechat omits relation keys
  unless asked for them, each by name in ``associations[]=...``), so the canonical Task is
  complete. Listing uses ``GET /crm/tasks``, or ``GET /crm/tasks/search`` when one of its
  filters is given (``q``, ``assignee``, ``contact``, ``deal``, ``listing``, ``due_gte``,
  ``due_lte``, ``status``, ``task_type``; ``order`` works on both, :data:`DEFAULT_ORDER` when
  not given). Rechat has no "updated since" filter for tasks, so ``updated_since`` lists by
  ``-updated_at`` and stops at the first task updated before it. Creating is ``POST
  /crm/tasks``; updating reads the task and sends ``PUT /crm/tasks/{id}`` with the current value
  of every scalar not being changed (Rechat's PUT nulls what it is not sent); deleting is
  ``DELETE /crm/tasks/{id}``.
- ``contact``: read with its attributes and its owner (:data:`CONTACT_EXPANSIONS`). Listing uses
  ``GET /contacts`` with its filters by name (``q``, ``users``, ``ids``, ``excludes``,
  ``crm_tasks``, ``created_gte``, ..., ``parked``, ``alphabet``, ``order``, default
  :data:`DEFAULT_ORDER`); ``updated_since`` (a datetime) becomes ``updated_gte``.
  Attribute filters (``filter``, ``query``, ``filter_type``) switch to ``POST /contacts/filter``.
  Creating is ``POST /contacts``, updating ``PATCH /contacts/{id}``, deleting ``DELETE``.

A filter the chosen endpoint does not take raises :class:`UnsupportedOperation`. ``lookups()``
returns ``{"contacts/tags": [...], "contacts/attribute_defs": [...]}`` as Rechat's JSON.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from crmbridge.adapters._base import Adapter
from crmbridge.adapters.rechat import _field_defs, make_adapter
from crmbridge.adapters.rechat._field_defs import native_data_type
from crmbridge.adapters.rechat._time import datetime_to_epoch
from crmbridge.adapters.rechat.client import (
    AsyncRechatClient,
    ContactFilterBody,
    ContactFilters,
    RechatClient,
    TaskFilters,
    create_attribute_def,
    create_contacts_ids,
    create_task,
    delete_contact,
    delete_task,
    filter_contacts,
    get_contact,
    get_task,
    list_attribute_defs,
    list_contacts,
    list_tags,
    list_tasks,
    raw_data,
    search_tasks,
    update_contact,
    update_task,
)
from crmbridge.canonical import CustomFieldDef, Ref
from crmbridge.errors import UnsupportedOperation
from crmbridge.http import Endpoint, PagedList, RequestSpec

__all__ = [
    "CONTACT_EXPANSIONS",
    "DEFAULT_ORDER",
    "TASK_EXPANSIONS",
    "AsyncRechatBackend",
    "ListPlan",
    "RechatBackend",
    "make_async_backend",
    "list_plan",
    "make_backend",
    "merged_task_body",
]

SYSTEM: Final = "rechat"
TASK_EXPANSIONS: Final = (
    "crm_task.associations",
    "crm_task.assignees",
    "crm_task.reminders",
    "crm_task.created_by",
    "crm_task.updated_by",
    "crm_association.contact",
    "crm_association.listing",
    "crm_association.deal",
)
"""What a task is read with: Rechat leaves every relation key out unless it is asked for by name,
association targets included (``crm_association.<target>``)."""
CONTACT_EXPANSIONS: Final = ("contact.attributes", "contact.user", "contact.created_by", "contact.updated_by")
"""What a contact is read with: its attributes and its owner (``user``), which Rechat omits unasked."""
DEFAULT_ORDER: Final = "created_at"
"""The order a list is read in when none is given: Rechat has no default order, so paging
without one may skip or repeat records; creation time does not change while paging."""
_TASK_SCALARS: Final = ("title", "description", "due_date", "end_date", "status", "task_type", "metadata", "all_day")

_CLIENT_OPTIONS: Final = frozenset(
    {"base_url", "token", "brand", "timeout", "retry", "rate_limit", "transport", "verify"}
)
_PAGE_SIZE: Final = 50
_TASK_FILTERS: Final = TaskFilters.__optional_keys__
_CONTACT_FILTERS: Final = ContactFilters.__optional_keys__
_FILTER_BODY: Final = ContactFilterBody.__optional_keys__
_BODY_ONLY: Final = frozenset({"filter", "query", "filter_type"})


# -- options -----------------------------------------------------------------------------------


def _split(options: Mapping[str, Any]) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """Client options, the page size, and the adapter's options."""
    client = {k: v for k, v in options.items() if k in _CLIENT_OPTIONS}
    page_size = options.get("page_size", _PAGE_SIZE)
    if not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1:
        raise ValueError("page_size must be a positive integer")
    adapter = {k: v for k, v in options.items() if k not in _CLIENT_OPTIONS and k != "page_size"}
    return client, page_size, adapter


# -- listing -----------------------------------------------------------------------------------


def _keep_all(_: Any) -> bool:
    return True


@dataclass(frozen=True)
class ListPlan:
    """How to list a kind: the (raw JSON) list, and ``keep`` which ends it at the first False.

    Listed items are normally JSON objects; one that is not is kept (by the list and by ``keep``),
    so that ``Connection.list`` reports it as a failed record and reads on.
    """

    paged: PagedList[Any]
    keep: Callable[[Any], bool] = _keep_all


def _since(value: Any) -> float:
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise TypeError("updated_since must be a timezone-aware datetime")
    return datetime_to_epoch(value)


def _refuse_unknown(kind: str, filters: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(filters) - allowed)
    if unknown:
        raise UnsupportedOperation(SYSTEM, f"filter {kind}s by {', '.join(unknown)}")


def _updated_after(since: float) -> Callable[[Any], bool]:
    def keep(payload: Any) -> bool:
        if not isinstance(payload, Mapping):
            return True  # not an object: kept (not an end), so translating it reports it
        updated = payload.get("updated_at")
        # A non-number is kept: translating it reports the bad field with its path.
        return not (isinstance(updated, int | float) and updated < since)

    return keep


def _task_plan(filters: Mapping[str, Any], page_size: int) -> ListPlan:
    wanted = dict(filters)
    since = wanted.pop("updated_since", None)
    _refuse_unknown("task", wanted, _TASK_FILTERS)
    keep: Callable[[Any], bool] = _keep_all
    if since is not None:
        if "order" in wanted:
            raise UnsupportedOperation(SYSTEM, "list tasks by updated_since in another order than -updated_at")
        # No updated filter for tasks: newest changes first, and stop at the first older one.
        wanted["order"] = "-updated_at"
        keep = _updated_after(_since(since))
    order = wanted.pop("order", DEFAULT_ORDER)
    if wanted:
        paged = search_tasks(associations=TASK_EXPANSIONS, limit=page_size, order=order, **wanted)
    else:
        paged = list_tasks(order=order, associations=TASK_EXPANSIONS, limit=page_size)
    return ListPlan(paged.raw(), keep)


def _contact_plan(filters: Mapping[str, Any], page_size: int) -> ListPlan:
    wanted = dict(filters)
    since = wanted.pop("updated_since", None)
    if since is not None:
        if "updated_gte" in wanted:
            raise ValueError("give updated_since or updated_gte, not both")
        wanted["updated_gte"] = _since(since)
    wanted.setdefault("order", DEFAULT_ORDER)
    if _BODY_ONLY & set(wanted):
        _refuse_unknown("contact", wanted, _FILTER_BODY | {"order"})
        order = wanted.pop("order", None)
        paged = filter_contacts(order=order, associations=CONTACT_EXPANSIONS, limit=page_size, **wanted)
    else:
        _refuse_unknown("contact", wanted, _CONTACT_FILTERS)
        paged = list_contacts(associations=CONTACT_EXPANSIONS, limit=page_size, **wanted)
    return ListPlan(paged.raw())


def list_plan(kind: str, filters: Mapping[str, Any], page_size: int) -> ListPlan:
    """How to list ``kind`` with ``filters`` (see the module docstring)."""
    if kind == "task":
        return _task_plan(filters, page_size)
    return _contact_plan(filters, page_size)


# -- single records ----------------------------------------------------------------------------


def _get_spec(kind: str, ident: str) -> RequestSpec:
    if kind == "task":
        return get_task(ident, associations=TASK_EXPANSIONS).spec
    return get_contact(ident, associations=CONTACT_EXPANSIONS).spec


def _create_endpoint(kind: str, body: dict[str, Any]) -> Endpoint[str]:
    """The create request of ``kind`` and a reader of the new record's id."""
    if kind == "task":
        created = create_task(body)
        return Endpoint(created.spec, lambda answer: str(created.read(answer).id))
    ids = create_contacts_ids([body])
    return Endpoint(ids.spec, lambda answer: ids.read(answer)[0])


def _checked(ref: Ref) -> Ref:
    if ref.system != SYSTEM or ref.kind not in ("task", "contact"):
        raise ValueError(f"expected a Rechat task or contact Ref, got {ref}")
    return ref


def _target_id(association: Mapping[str, Any]) -> str | None:
    kind = association.get("association_type")
    target = association.get(kind) if isinstance(kind, str) else None
    if isinstance(target, Mapping):
        target = target.get("id")
    return target if isinstance(target, str) else None


def _reuse_association_ids(sent: list[Any], current: list[Any]) -> list[Any]:
    """``sent`` with a new association that links what a current one links given that one's id.

    The PUT removes the associations it does not list, so an unchanged link sent without its id
    (a task written from another CRM) would otherwise be removed and added again.
    """
    free = {
        (a.get("association_type"), _target_id(a)): a["id"]
        for a in current
        if isinstance(a, Mapping) and isinstance(a.get("id"), str)
    }
    for item in sent:
        if isinstance(item, Mapping) and item.get("id"):
            free = {k: v for k, v in free.items() if v != item["id"]}
    out: list[Any] = []
    for item in sent:
        if isinstance(item, Mapping) and not item.get("id"):
            found = free.pop((item.get("association_type"), _target_id(item)), None)
            if found is not None:
                item = {**item, "id": found}
        out.append(item)
    return out


def merged_task_body(current: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body of a task: ``body`` over the task's current scalars.

    Rechat's PUT sets every scalar it is not sent to null (all_day to false), so a partial update
    sends the current values of the others; reminders, assignees and associations are touched only
    when sent as arrays, so they are sent only when ``body`` has them.
    """
    merged: dict[str, Any] = {key: current.get(key) for key in _TASK_SCALARS if key in current}
    merged.update(body)
    sent = merged.get("associations")
    if isinstance(sent, list):
        merged["associations"] = _reuse_association_ids(sent, list(current.get("associations") or []))
    return merged


def _update_spec(ref: Ref, body: dict[str, Any]) -> RequestSpec:
    if _checked(ref).kind == "task":
        # Asking for crm_task.associations on the PUT is what makes Rechat remove the ones not sent.
        return update_task(ref.id, body, associations=TASK_EXPANSIONS).spec
    return update_contact(ref.id, body).spec


def _delete_spec(ref: Ref) -> RequestSpec:
    if _checked(ref).kind == "task":
        return delete_task(ref.id).spec
    return delete_contact(ref.id).spec


_LOOKUPS: Final[tuple[tuple[str, Endpoint[list[dict[str, Any]]]], ...]] = (
    ("contacts/tags", list_tags()),
    ("contacts/attribute_defs", list_attribute_defs()),
)


# -- the backends ------------------------------------------------------------------------------


class RechatBackend:
    """The :class:`~crmbridge.Backend` of Rechat: raw Rechat JSON in and out, over a RechatClient."""

    def __init__(self, client: RechatClient, adapter: Adapter, *, page_size: int = _PAGE_SIZE) -> None:
        self.client = client
        self.adapter = adapter
        self.page_size = page_size

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Any]:
        """Every ``kind`` object matching ``filters``, paging on its own (non-objects passed on)."""
        plan = list_plan(kind, filters, self.page_size)
        for payload in self.client.pager(plan.paged.spec()):
            if not plan.keep(payload):
                return
            yield payload

    def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """The object ``ident`` (expanded so the canonical record is complete)."""
        return raw_data(self.client.send(_get_spec(kind, ident)), kind)

    def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        """Create from ``body``; the new record's Ref."""
        return Ref(SYSTEM, kind, self.client.call(_create_endpoint(kind, body)))

    def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        """PUT a task (read first: see :func:`merged_task_body`) / PATCH a contact."""
        if _checked(ref).kind == "task":
            body = merged_task_body(self.get_payload("task", ref.id), body)
        self.client.send(_update_spec(ref, body))

    def delete_payload(self, ref: Ref) -> None:
        """DELETE a task or a contact."""
        self.client.send(_delete_spec(ref))

    def lookups(self) -> dict[str, Any]:
        """The brand's tags and attribute definitions."""
        return {name: self.client.call(endpoint) for name, endpoint in _LOOKUPS}

    def create_custom_field_def(self, kind: str, name: str, field_type: str, options: Sequence[str]) -> CustomFieldDef:
        """A new brand attribute definition for contacts (``POST /contacts/attribute_defs``)."""
        answer = self.client.call(create_attribute_def(_def_body(kind, name, field_type, options)))
        return _field_defs.custom_field_def(answer)

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


class AsyncRechatBackend:
    """The async twin of :class:`RechatBackend`."""

    def __init__(self, client: AsyncRechatClient, adapter: Adapter, *, page_size: int = _PAGE_SIZE) -> None:
        self.client = client
        self.adapter = adapter
        self.page_size = page_size

    async def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> AsyncIterator[Any]:
        """Every ``kind`` object matching ``filters``, paging on its own (non-objects passed on)."""
        plan = list_plan(kind, filters, self.page_size)
        async for payload in self.client.pager(plan.paged.spec()):
            if not plan.keep(payload):
                return
            yield payload

    async def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """The object ``ident`` (expanded so the canonical record is complete)."""
        return raw_data(await self.client.send(_get_spec(kind, ident)), kind)

    async def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        """Create from ``body``; the new record's Ref."""
        return Ref(SYSTEM, kind, await self.client.call(_create_endpoint(kind, body)))

    async def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        """PUT a task (read first: see :func:`merged_task_body`) / PATCH a contact."""
        if _checked(ref).kind == "task":
            body = merged_task_body(await self.get_payload("task", ref.id), body)
        await self.client.send(_update_spec(ref, body))

    async def delete_payload(self, ref: Ref) -> None:
        """DELETE a task or a contact."""
        await self.client.send(_delete_spec(ref))

    async def lookups(self) -> dict[str, Any]:
        """The brand's tags and attribute definitions."""
        return {name: await self.client.call(endpoint) for name, endpoint in _LOOKUPS}

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


def _def_body(kind: str, name: str, field_type: str, options: Sequence[str]) -> dict[str, Any]:
    if kind != "contact":
        raise UnsupportedOperation(SYSTEM, f"hold custom fields on a {kind} (only contacts have attribute defs)")
    # Rechat derives a definition's name from its label unless given one; a label such as
    # "Website" would take a global attribute's name, which Rechat refuses.
    slug = re.sub(r"\W+", "_", name.strip().casefold()).strip("_") or "field"
    if slug in _field_defs.GLOBAL_ATTRIBUTE_TYPES:
        slug = f"custom_{slug}"
    body: dict[str, Any] = {"label": name, "name": slug, "data_type": native_data_type(field_type)}
    if field_type == "select" and options:
        body["enum_values"] = list(options)
    return body


def make_backend(**options: Any) -> RechatBackend:
    """The backend :func:`crmbridge.connect` uses for ``"rechat"``."""
    client_options, page_size, adapter_options = _split(options)
    adapter = make_adapter(**adapter_options)
    return RechatBackend(RechatClient(**client_options), adapter, page_size=page_size)


def make_async_backend(**options: Any) -> AsyncRechatBackend:
    """The backend :func:`crmbridge.connect_async` uses for ``"rechat"``."""
    client_options, page_size, adapter_options = _split(options)
    adapter = make_adapter(**adapter_options)
    return AsyncRechatBackend(AsyncRechatClient(**client_options), adapter, page_size=page_size)
