"""The Rechat sandbox's CRM task routes: list/search, get, create, update, associations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from crmbridge.sandbox.rechat._contacts import render_contact
from crmbridge.sandbox.rechat._http import (
    Call,
    no_content,
    not_found,
    now,
    ok,
    ok_page,
    order_and_page,
    query_int,
    query_list,
    query_number,
    query_uuid,
    require_uuid,
    validation,
)
from crmbridge.sandbox.rechat._state import SandboxState

__all__ = [
    "TASK_ORDER_FIELDS",
    "add_association",
    "create_task",
    "delete_association",
    "delete_associations",
    "get_task",
    "list_associations",
    "list_tasks",
    "new_task_document",
    "update_task",
]

Document = dict[str, Any]

TASK_ORDER_FIELDS = ("due_date", "created_at", "updated_at")
_STATUSES = ("PENDING", "DONE")
_TASK_TYPES = ("Call", "Message", "Todo")
_LINK_TYPES = ("contact", "listing", "deal")
_TASK_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "deleted_at",
    "created_by",
    "updated_by",
    "title",
    "description",
    "due_date",
    "end_date",
    "status",
    "task_type",
    "all_day",
    "metadata",
    "kind",
    "brand",
    "type",
)


# Rendering ------------------------------------------------------------------------------------


def _render_association(
    state: SandboxState, association: Document, brand: str, *, contact: bool, listing: bool
) -> Document:
    rendered = dict(association)
    if contact and association.get("contact"):
        found = state.store.get("contacts", association["contact"])
        live = found is not None and found["brand"] == brand and found["deleted_at"] is None
        rendered["contact"] = render_contact(state, found, frozenset()) if live and found else None
    if listing and association.get("listing"):
        rendered["listing"] = state.listing(association["listing"])
    return rendered


def _linked_ids(task: Document, kind: str) -> list[str]:
    return [a[kind] for a in task["associations"] if a["association_type"] == kind and a.get(kind)]


def render_task(state: SandboxState, task: Document, expand: frozenset[str]) -> Document:
    """The task as Rechat answers it: ids unless ``crm_task.*`` associations ask for objects."""
    brand = task["brand"]
    rendered = {key: task.get(key) for key in _TASK_FIELDS}
    for who in ("created_by", "updated_by"):
        if f"crm_task.{who}" in expand and task.get(who):
            rendered[who] = state.user_json(task[who], brand)
    if "crm_task.assignees" in expand:
        rendered["assignees"] = [state.user_json(u, brand) for u in task["assignees"]]
    else:
        rendered["assignees"] = list(task["assignees"])
    if "crm_task.associations" in expand:
        rendered["associations"] = [
            _render_association(
                state,
                a,
                brand,
                contact="crm_association.contact" in expand,
                listing="crm_association.listing" in expand,
            )
            for a in task["associations"]
        ]
    if "crm_task.reminders" in expand:
        rendered["reminders"] = [dict(r) for r in task["reminders"]]
    rendered["contacts"] = _linked_ids(task, "contact")
    rendered["deals"] = _linked_ids(task, "deal")
    rendered["listings"] = _linked_ids(task, "listing")
    rendered["emails"] = []
    return rendered


# Input ----------------------------------------------------------------------------------------


def _number(body: Mapping[str, Any], key: str, *, required: bool) -> float | None:
    value = body.get(key)
    if value is None:
        if required:
            raise validation(f"{key} is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise validation(f"{key} must be a number of epoch seconds")
    return value


def _task_fields(body: Mapping[str, Any]) -> Document:
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise validation("title is required")
    task_type, status = body.get("task_type"), body.get("status", "PENDING")
    if task_type not in _TASK_TYPES:
        raise validation(f"task_type must be one of {', '.join(_TASK_TYPES)}")
    if status not in _STATUSES:
        raise validation(f"status must be one of {', '.join(_STATUSES)}")
    description, metadata, all_day = body.get("description"), body.get("metadata"), body.get("all_day", False)
    if description is not None and not isinstance(description, str):
        raise validation("description must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise validation("metadata must be an object")
    if all_day is not None and not isinstance(all_day, bool):
        raise validation("all_day must be a boolean")
    return {
        "title": title,
        "description": description,
        "due_date": _number(body, "due_date", required=True),
        "end_date": _number(body, "end_date", required=False),
        "status": status,
        "task_type": task_type,
        "all_day": bool(all_day),
        "metadata": metadata,
    }


def _assignees(state: SandboxState, call: Call, raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise validation("assignees must be an array of user ids")
    return [state.require_member(u, call.brand, "assignee") for u in raw]


def _reminders(raw: Any, task_id: str, existing: list[Document], stamp: float) -> list[Document]:
    # The sent list is the whole list: ids that match keep their identity, the rest are new.
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation("reminders must be an array")
    kept = {r["id"]: r for r in existing}
    reminders = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("is_relative"), bool):
            raise validation("a reminder needs is_relative (boolean) and timestamp")
        timestamp = _number(item, "timestamp", required=True)
        previous = kept.get(str(item.get("id", "")).lower())
        reminders.append(
            {
                "id": previous["id"] if previous else str(uuid.uuid4()),
                "created_at": previous["created_at"] if previous else stamp,
                "updated_at": stamp,
                "deleted_at": None,
                "is_relative": item["is_relative"],
                "timestamp": timestamp,
                "task": task_id,
                "type": "reminder",
            }
        )
    return reminders


def _new_association(state: SandboxState, call: Call, raw: Any, task_id: str, stamp: float) -> Document:
    if not isinstance(raw, dict) or raw.get("association_type") not in _LINK_TYPES:
        raise validation("association_type must be contact, listing or deal")
    kind = raw["association_type"]
    target = require_uuid(raw.get(kind), kind)
    if kind == "contact":
        state.contact(call.brand, target)  # another brand's contact is "not found", never linked
    index = raw.get("index")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
        raise validation("index must be an integer")
    metadata = raw.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise validation("metadata must be an object")
    return {
        "id": str(uuid.uuid4()),
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
        "created_by": call.user_id,
        "brand": call.brand,
        "association_type": kind,
        "crm_task": task_id,
        "contact": target if kind == "contact" else None,
        "listing": target if kind == "listing" else None,
        "deal": target if kind == "deal" else None,
        "index": index,
        "metadata": metadata,
        "type": "crm_association",
    }


def new_task_document(task_id: str, brand: str, user_id: str, fields: Document, stamp: float) -> Document:
    """A stored task with no assignees, reminders or associations yet."""
    return {
        "id": task_id,
        "type": "crm_task",
        "kind": "Task",
        "brand": brand,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
        "created_by": user_id,
        "updated_by": user_id,
        **fields,
        "assignees": [],
        "reminders": [],
        "associations": [],
    }


# Routes ---------------------------------------------------------------------------------------


def _matches(task: Document, filters: Mapping[str, Any]) -> bool:
    if filters["q"]:
        text = f"{task['title']} {task.get('description') or ''}".lower()
        if not all(term in text for term in filters["q"]):
            return False
    if filters["assignee"] and filters["assignee"] not in task["assignees"]:
        return False
    for kind in _LINK_TYPES:
        wanted = filters[kind]
        if wanted and not any(a.get(kind) == wanted for a in task["associations"]):
            return False
    due = task["due_date"]
    if filters["due_gte"] is not None and due < filters["due_gte"]:
        return False
    if filters["due_lte"] is not None and due > filters["due_lte"]:
        return False
    return all(filters[k] is None or task[k] == filters[k] for k in ("status", "task_type"))


def _filters(call: Call) -> dict[str, Any]:
    query = call.query
    status, task_type = query.get("status"), query.get("task_type")
    if status is not None and status not in _STATUSES:
        raise validation(f"status must be one of {', '.join(_STATUSES)}")
    if task_type is not None and task_type not in _TASK_TYPES:
        raise validation(f"task_type must be one of {', '.join(_TASK_TYPES)}")
    return {
        "q": (query.get("q") or "").lower().split(),
        "assignee": query_uuid(query, "assignee"),
        **{kind: query_uuid(query, kind) for kind in _LINK_TYPES},
        "due_gte": query_number(query, "due_gte"),
        "due_lte": query_number(query, "due_lte"),
        "status": status,
        "task_type": task_type,
    }


def list_tasks(state: SandboxState, call: Call) -> Response:
    """GET /crm/tasks and /crm/tasks/search: filter, order, then one page (default 10)."""
    filters = _filters(call)
    start, limit = query_int(call.query, "start", 0), query_int(call.query, "limit", 10, minimum=1)
    matching = [t for t in state.scoped("tasks", call.brand) if _matches(t, filters)]
    page, total = order_and_page(matching, call.query.get("order"), TASK_ORDER_FIELDS, start, limit)
    return ok_page([render_task(state, t, call.expand) for t in page], total)


def get_task(state: SandboxState, call: Call) -> Response:
    """GET /crm/tasks/{id}."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    return ok(render_task(state, task, call.expand))


def create_task(state: SandboxState, call: Call) -> Response:
    """POST /crm/tasks: 200 with the new task (status PENDING unless sent)."""
    body = call.body_object()
    stamp, task_id = now(), str(uuid.uuid4())
    task = new_task_document(task_id, call.brand, call.user_id, _task_fields(body), stamp)
    task["assignees"] = _assignees(state, call, body.get("assignees", []))
    task["reminders"] = _reminders(body.get("reminders"), task_id, [], stamp)
    associations = body.get("associations") or []
    if not isinstance(associations, list):
        raise validation("associations must be an array")
    task["associations"] = [_new_association(state, call, a, task_id, stamp) for a in associations]
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def update_task(state: SandboxState, call: Call) -> Response:
    """PUT /crm/tasks/{id}: replace fields and reminders; add associations sent without id."""
    task_id = require_uuid(call.path["id"], "id")
    current, body, stamp = state.task(call.brand, task_id), call.body_object(), now()
    task = {**current, **_task_fields(body), "updated_at": stamp, "updated_by": call.user_id}
    if "assignees" in body:
        task["assignees"] = _assignees(state, call, body["assignees"])
    task["reminders"] = _reminders(body.get("reminders"), task_id, current["reminders"], stamp)
    sent = body.get("associations") or []
    if not isinstance(sent, list):
        raise validation("associations must be an array")
    added = [
        _new_association(state, call, a, task_id, stamp) for a in sent if not (isinstance(a, dict) and a.get("id"))
    ]
    task["associations"] = [*current["associations"], *added]
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def list_associations(state: SandboxState, call: Call) -> Response:
    """GET /crm/tasks/{id}/associations: contacts and listings expanded without asking."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    rendered = [_render_association(state, a, call.brand, contact=True, listing=True) for a in task["associations"]]
    return ok_page(rendered, len(rendered))


def add_association(state: SandboxState, call: Call) -> Response:
    """POST /crm/tasks/{id}/associations: 200 with the new association."""
    task_id = require_uuid(call.path["id"], "id")
    task, stamp = state.task(call.brand, task_id), now()
    association = _new_association(state, call, call.body_object(), task_id, stamp)
    state.store.put("tasks", task_id, {**task, "associations": [*task["associations"], association]})
    expand = call.expand
    return ok(
        _render_association(
            state,
            association,
            call.brand,
            contact="crm_association.contact" in expand,
            listing="crm_association.listing" in expand,
        )
    )


def _without(state: SandboxState, task: Document, ids: set[str]) -> None:
    kept = [a for a in task["associations"] if a["id"] not in ids]
    state.store.put("tasks", task["id"], {**task, "associations": kept, "updated_at": now()})


def delete_association(state: SandboxState, call: Call) -> Response:
    """DELETE /crm/tasks/{id}/associations/{association}: 204, or 404 when not on the task."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    association = require_uuid(call.path["association"], "association")
    if not any(a["id"] == association for a in task["associations"]):
        raise not_found("Association")
    _without(state, task, {association})
    return no_content()


def delete_associations(state: SandboxState, call: Call) -> Response:
    """DELETE /crm/tasks/{id}/associations?ids=a,b: 204; ids not on the task are ignored."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    ids = {require_uuid(i, "ids") for i in query_list(call.query, "ids")}
    if not ids:
        raise validation("ids is required")
    _without(state, task, ids)
    return no_content()
