"""Rechat's ``client.tasks.associations``: the contacts, listings and deals linked to a task."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crmbridge.adapters.rechat._resources._shared import (
    IdLike,
    expand_pair,
    query_pairs,
    read_all,
    read_nothing,
    read_one,
    structured_item,
    uuid_arg,
    uuid_args,
    wire_body,
)
from crmbridge.adapters.rechat.wire import WireAssociation
from crmbridge.http import AsyncAPIClient, Endpoint, RequestSpec, SyncAPIClient

__all__ = [
    "AsyncTaskAssociations",
    "TaskAssociations",
    "add_task_association",
    "add_task_associations",
    "list_task_associations",
    "remove_task_association",
    "remove_task_associations",
]

# A module-level alias: inside a class that defines a ``list`` method, ``list[...]`` would name it.
AssociationList = list[WireAssociation]

_association_item = structured_item(WireAssociation, "task")


def _read_association(answer: Any) -> WireAssociation:
    return read_one(answer, _association_item, "task")


def _read_associations(answer: Any) -> list[WireAssociation]:
    return read_all(answer, _association_item, "task")


def list_task_associations(task_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[list[WireAssociation]]:
    """``GET /crm/tasks/{id}/associations`` (targets only with ``crm_association.<target>``)."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/associations"
    return Endpoint(RequestSpec("GET", path, query_pairs(expand_pair(associations))), _read_associations)


def add_task_association(
    task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireAssociation]:
    """``POST /crm/tasks/{id}/associations``: link a contact, listing or deal."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/associations"
    spec = RequestSpec("POST", path, query_pairs(expand_pair(associations)), wire_body(association), idempotent=False)
    return Endpoint(spec, _read_association)


def remove_task_association(task_id: IdLike, association_id: IdLike) -> Endpoint[None]:
    """``DELETE /crm/tasks/{id}/associations/{association}``."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/associations/{uuid_arg(association_id, 'association')}"
    return Endpoint(RequestSpec("DELETE", path), read_nothing)


def add_task_associations(
    task_id: IdLike,
    new: Sequence[WireAssociation | Mapping[str, Any]],
    *,
    associations: Sequence[str] = (),
) -> Endpoint[list[WireAssociation]]:
    """``POST /crm/tasks/{id}/associations/bulk``: link several records; the added associations."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/associations/bulk"
    body = [wire_body(a) for a in new]
    spec = RequestSpec("POST", path, query_pairs(expand_pair(associations)), body, idempotent=False)
    return Endpoint(spec, _read_associations)


def remove_task_associations(task_id: IdLike, association_ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /crm/tasks/{id}/associations?ids[]=a&ids[]=b``: bulk remove.

    Only the repeated ``ids[]`` form is an array to Rechat; ``ids=a,b`` is refused with 400.
    """
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/associations"
    ids = uuid_args(association_ids, "association")
    if not ids:
        raise ValueError("at least one association id is required")
    return Endpoint(RequestSpec("DELETE", path, query_pairs(("ids[]", ids))), read_nothing)


class TaskAssociations:
    """``client.tasks.associations``: the records linked to a task."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._c = client

    def list(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> AssociationList:
        """``GET /crm/tasks/{id}/associations``."""
        return self._c.call(list_task_associations(task_id, associations=associations))

    def add(
        self, task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireAssociation:
        """``POST /crm/tasks/{id}/associations``."""
        return self._c.call(add_task_association(task_id, association, associations=associations))

    def remove(self, task_id: IdLike, association_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}/associations/{association}``."""
        self._c.call(remove_task_association(task_id, association_id))

    def add_many(
        self,
        task_id: IdLike,
        new: Sequence[WireAssociation | Mapping[str, Any]],
        *,
        associations: Sequence[str] = (),
    ) -> AssociationList:
        """``POST /crm/tasks/{id}/associations/bulk``."""
        return self._c.call(add_task_associations(task_id, new, associations=associations))

    def remove_many(self, task_id: IdLike, association_ids: Sequence[IdLike]) -> None:
        """``DELETE /crm/tasks/{id}/associations?ids[]=...``."""
        self._c.call(remove_task_associations(task_id, association_ids))


class AsyncTaskAssociations:
    """``client.tasks.associations`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._c = client

    async def list(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> AssociationList:
        """``GET /crm/tasks/{id}/associations``."""
        return await self._c.call(list_task_associations(task_id, associations=associations))

    async def add(
        self, task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireAssociation:
        """``POST /crm/tasks/{id}/associations``."""
        return await self._c.call(add_task_association(task_id, association, associations=associations))

    async def remove(self, task_id: IdLike, association_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}/associations/{association}``."""
        await self._c.call(remove_task_association(task_id, association_id))

    async def add_many(
        self,
        task_id: IdLike,
        new: Sequence[WireAssociation | Mapping[str, Any]],
        *,
        associations: Sequence[str] = (),
    ) -> AssociationList:
        """``POST /crm/tasks/{id}/associations/bulk``."""
        return await self._c.call(add_task_associations(task_id, new, associations=associations))

    async def remove_many(self, task_id: IdLike, association_ids: Sequence[IdLike]) -> None:
        """``DELETE /crm/tasks/{id}/associations?ids[]=...``."""
        await self._c.call(remove_task_associations(task_id, association_ids))
