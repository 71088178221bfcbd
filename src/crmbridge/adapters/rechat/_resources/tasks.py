"""Rechat's ``client.tasks``: CRM tasks, listed, searched, read, created and replaced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict, Unpack

from crmbridge.adapters.rechat._resources._shared import (
    DATE_FILTERS,
    IdLike,
    check_page_args,
    epoch,
    expand_pair,
    offset_list,
    query_pairs,
    read_nothing,
    read_one,
    structured_item,
    uuid_arg,
    wire_body,
)
from crmbridge.adapters.rechat._resources.task_associations import AsyncTaskAssociations, TaskAssociations
from crmbridge.adapters.rechat.wire import WireTask
from crmbridge.http import AsyncAPIClient, AsyncPager, Endpoint, Page, PagedList, RequestSpec, SyncAPIClient, SyncPager

__all__ = [
    "TASK_PAGE_SIZE",
    "AsyncTasks",
    "TaskFilters",
    "Tasks",
    "clone_task",
    "create_task",
    "delete_task",
    "get_task",
    "list_tasks",
    "search_tasks",
    "set_task_status",
    "update_task",
]

TASK_PAGE_SIZE: Final = 10
"""Rechat's documented default page size of the task lists."""

_ID_FILTERS: Final = ("assignee", "contact", "deal", "listing")
_task_item = structured_item(WireTask, "task")


class TaskFilters(TypedDict, total=False):
    """The filters of ``GET /crm/tasks/search`` (dates as epoch seconds or aware datetimes)."""

    q: str
    assignee: IdLike
    contact: IdLike
    deal: IdLike
    listing: IdLike
    due_gte: float | dt.datetime
    due_lte: float | dt.datetime
    status: str
    task_type: str
    order: str


def _task_filter_pairs(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in filters.items():
        if name in _ID_FILTERS:
            value = uuid_arg(value, name)
        elif name in DATE_FILTERS:
            value = epoch(value)
        pairs.append((name, value))
    return pairs


def _read_task(answer: Any) -> WireTask:
    return read_one(answer, _task_item, "task")


def list_tasks(
    *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
) -> PagedList[WireTask]:
    """``GET /crm/tasks``: the brand's tasks, page by page."""
    check_page_args(start, limit)
    expand = expand_pair(associations)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec(
            "GET", "/crm/tasks", query_pairs(("start", offset), ("limit", size), ("order", order), expand)
        )

    return offset_list(build, _task_item, "task", start, limit)


def search_tasks(
    *, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE, **filters: Unpack[TaskFilters]
) -> PagedList[WireTask]:
    """``GET /crm/tasks/search``: tasks matching every given filter, page by page."""
    check_page_args(start, limit)
    pairs = _task_filter_pairs(filters)
    expand = expand_pair(associations)

    def build(offset: int, size: int) -> RequestSpec:
        query = query_pairs(*pairs, ("start", offset), ("limit", size), expand)
        return RequestSpec("GET", "/crm/tasks/search", query, idempotent=True)

    return offset_list(build, _task_item, "task", start, limit)


def get_task(task_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[WireTask]:
    """``GET /crm/tasks/{id}``, expanding ``associations`` (e.g. ``crm_task.reminders``)."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}"
    return Endpoint(RequestSpec("GET", path, query_pairs(expand_pair(associations))), _read_task)


def create_task(task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> Endpoint[WireTask]:
    """``POST /crm/tasks``: not idempotent (a resend after an ambiguous failure could duplicate)."""
    spec = RequestSpec("POST", "/crm/tasks", query_pairs(expand_pair(associations)), wire_body(task), idempotent=False)
    return Endpoint(spec, _read_task)


def update_task(
    task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireTask]:
    """``PUT /crm/tasks/{id}``: the whole task.

    Rechat sets every scalar the body leaves out to null (``all_day`` to false); reminders,
    assignees and associations are touched only when sent as arrays, and associations not listed
    are removed only when ``associations`` names ``crm_task.associations``.
    """
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}"
    body = wire_body(task)
    # A PUT replaces, so it may be resent, except that associations without an id are *added*.
    adds = any(isinstance(a, Mapping) and not a.get("id") for a in body.get("associations") or [])
    spec = RequestSpec("PUT", path, query_pairs(expand_pair(associations)), body, idempotent=not adds)
    return Endpoint(spec, _read_task)


def delete_task(task_id: IdLike) -> Endpoint[None]:
    """``DELETE /crm/tasks/{id}``: 204."""
    return Endpoint(RequestSpec("DELETE", f"/crm/tasks/{uuid_arg(task_id, 'task')}"), read_nothing)


def set_task_status(task_id: IdLike, status: str | None, *, associations: Sequence[str] = ()) -> Endpoint[WireTask]:
    """``PATCH /crm/tasks/{id}/status``: only the status (``DONE`` also clears the reminders)."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/status"
    spec = RequestSpec("PATCH", path, query_pairs(expand_pair(associations)), {"status": status})
    return Endpoint(spec, _read_task)


def clone_task(
    task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireTask]:
    """``POST /crm/tasks/{id}/clone``: a new task from ``task`` with the original's associations."""
    path = f"/crm/tasks/{uuid_arg(task_id, 'task')}/clone"
    spec = RequestSpec("POST", path, query_pairs(expand_pair(associations)), wire_body(task), idempotent=False)
    return Endpoint(spec, _read_task)


class Tasks:
    """``client.tasks``: CRM tasks."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._c = client
        self.associations = TaskAssociations(client)

    def list(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> SyncPager[WireTask]:
        """``GET /crm/tasks``, auto-paging (``.pages()`` for page-level access)."""
        return self._c.pager(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def list_page(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks``."""
        return self._c.page(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def search(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> SyncPager[WireTask]:
        """``GET /crm/tasks/search``, auto-paging."""
        return self._c.pager(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    def search_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks/search``."""
        return self._c.page(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    def get(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> WireTask:
        """``GET /crm/tasks/{id}``."""
        return self._c.call(get_task(task_id, associations=associations))

    def create(self, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> WireTask:
        """``POST /crm/tasks``."""
        return self._c.call(create_task(task, associations=associations))

    def update(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``PUT /crm/tasks/{id}``."""
        return self._c.call(update_task(task_id, task, associations=associations))

    def delete(self, task_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}``."""
        self._c.call(delete_task(task_id))

    def set_status(self, task_id: IdLike, status: str | None, *, associations: Sequence[str] = ()) -> WireTask:
        """``PATCH /crm/tasks/{id}/status``."""
        return self._c.call(set_task_status(task_id, status, associations=associations))

    def clone(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``POST /crm/tasks/{id}/clone``."""
        return self._c.call(clone_task(task_id, task, associations=associations))


class AsyncTasks:
    """``client.tasks`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._c = client
        self.associations = AsyncTaskAssociations(client)

    def list(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> AsyncPager[WireTask]:
        """``GET /crm/tasks``, auto-paging (``async for``; ``.pages()`` for page-level access)."""
        return self._c.pager(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    async def list_page(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks``."""
        return await self._c.page(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def search(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> AsyncPager[WireTask]:
        """``GET /crm/tasks/search``, auto-paging."""
        return self._c.pager(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    async def search_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks/search``."""
        return await self._c.page(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    async def get(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> WireTask:
        """``GET /crm/tasks/{id}``."""
        return await self._c.call(get_task(task_id, associations=associations))

    async def create(self, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> WireTask:
        """``POST /crm/tasks``."""
        return await self._c.call(create_task(task, associations=associations))

    async def update(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``PUT /crm/tasks/{id}``."""
        return await self._c.call(update_task(task_id, task, associations=associations))

    async def delete(self, task_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}``."""
        await self._c.call(delete_task(task_id))

    async def set_status(self, task_id: IdLike, status: str | None, *, associations: Sequence[str] = ()) -> WireTask:
        """``PATCH /crm/tasks/{id}/status``."""
        return await self._c.call(set_task_status(task_id, status, associations=associations))

    async def clone(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``POST /crm/tasks/{id}/clone``."""
        return await self._c.call(clone_task(task_id, task, associations=associations))
