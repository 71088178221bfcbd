"""The Rechat sandbox's CRM task routes: list/search, get, create, update, associations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Final

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
    query_number,
    query_uuid,
    require_uuid,
    validation,
)
from crmbridge.sandbox.rechat._state import SandboxState

__all__ = [
    "TASK_ORDER_FIELDS",
    "add_association",
    "add_associations",
    "clone_task",
    "create_task",
    "delete_association",
    "delete_associations",
    "delete_task",
    "get_task",
    "list_associations",
    "list_tasks",
    "new_task_document",
    "patch_status",
    "render_association",
    "render_task",
    "update_task",
]

Document = dict[str, Any]

TASK_ORDER_FIELDS = ("due_date", "created_at", "updated_at")
_STATUSES = ("PENDING", "DONE")
_ORIGIN: Final = {"origin": "rechat"}
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


_TARGETS = ("contact", "listing", "deal", "email")


def _target(state: SandboxState, kind: str, ident: str, brand: str) -> Any:
    if kind == "contact":
        found = state.store.get("contacts", ident)
        live = found is not None and found["brand"] == brand and found["deleted_at"] is None
        return render_contact(state, found, frozenset()) if live and found else None
    if kind == "listing":
        return state.listing(ident)
    # Deals and email campaigns are not emulated: the sandbox shows a stub object.
    return {"id": ident, "type": "deal" if kind == "deal" else "email_campaign"}


def render_association(state: SandboxState, association: Document, brand: str, expand: frozenset[str]) -> Document:
    """An association as Rechat answers it: each target key only with ``crm_association.<target>``."""
    rendered = {k: v for k, v in association.items() if k not in _TARGETS}
    for kind in _TARGETS:
        if f"crm_association.{kind}" in expand:
            ident = association.get(kind)
            rendered[kind] = _target(state, kind, ident, brand) if ident else None
    return rendered


def _linked_ids(task: Document, kind: str) -> list[str]:
    return [a[kind] for a in task["associations"] if a["association_type"] == kind and a.get(kind)]


def _collection(items: list[Any]) -> list[Any] | None:
    # Rechat's ORM answers an asked-for collection that is empty with null, not [].
    return items or None


def render_task(state: SandboxState, task: Document, expand: frozenset[str]) -> Document:
    """The task as Rechat answers it: every relation key left out unless ``crm_task.<key>`` asks for it."""
    brand = task["brand"]
    rendered = {key: task.get(key) for key in _TASK_FIELDS if key not in ("created_by", "updated_by")}
    for who in ("created_by", "updated_by"):
        if f"crm_task.{who}" in expand:
            rendered[who] = state.user_json(task[who], brand) if task.get(who) else None
    if "crm_task.assignees" in expand:
        rendered["assignees"] = _collection([state.user_json(u, brand) for u in task["assignees"]])
    if "crm_task.reminders" in expand:
        rendered["reminders"] = _collection([dict(r) for r in task["reminders"]])
    if "crm_task.associations" in expand:
        associations = [render_association(state, a, brand, expand) for a in task["associations"]]
        rendered["associations"] = _collection(associations)
        if associations:
            # The id arrays come from the association rows, so only when they were read.
            for kind, key in (("contact", "contacts"), ("deal", "deals"), ("listing", "listings"), ("email", "emails")):
                rendered[key] = _linked_ids(task, kind)
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


def _task_fields(body: Mapping[str, Any], *, create: bool) -> Document:
    """The task's scalars from ``body``: on a PUT whatever is not sent becomes null (all_day false)."""
    title = body.get("title")
    if not isinstance(title, str) or not title:
        raise validation("title is required")
    task_type = body.get("task_type")
    if not isinstance(task_type, str):
        raise validation("task_type is required (any string)")
    status = body.get("status", "PENDING" if create else None)
    if status is not None and status not in _STATUSES:
        raise validation(f"status must be one of {', '.join(_STATUSES)}")
    description, metadata, all_day = body.get("description"), body.get("metadata"), body.get("all_day", False)
    if description is not None and not isinstance(description, str):
        raise validation("description must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise validation("metadata must be an object")
    if all_day is not None and not isinstance(all_day, bool):
        raise validation("all_day must be a boolean")
    due_date, end_date = _number(body, "due_date", required=True), _number(body, "end_date", required=False)
    if end_date and due_date is not None and not due_date < end_date:
        raise validation("end_date must be after due_date")
    return {
        "title": title,
        "description": description,
        "due_date": due_date,
        "end_date": end_date,
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


def _new_association(
    state: SandboxState, call: Call, raw: Any, task_id: str, stamp: float, *, stamp_origin: bool
) -> Document:
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
        "email": None,
        "index": index,
        # Task create and update overwrite whatever metadata was sent; the association routes keep it.
        "metadata": dict(_ORIGIN) if stamp_origin else metadata,
        "type": "crm_association",
    }


def _updated_associations(state: SandboxState, call: Call, sent: Any, task: Document, stamp: float) -> list[Document]:
    """A PUT's associations: new ones added, known ids updated, the rest removed only when asked."""
    if not isinstance(sent, list):
        raise validation("associations must be an array")
    task_id, current = task["id"], task["associations"]
    known = {a["id"]: a for a in current}
    kept: dict[str, Document] = {}
    added = []
    for item in sent:
        ident = item.get("id") if isinstance(item, dict) else None
        if ident is None:
            added.append(_new_association(state, call, item, task_id, stamp, stamp_origin=True))
            continue
        ident = require_uuid(ident, "association id")
        if ident in known:
            index = item.get("index", known[ident]["index"])
            kept[ident] = {**known[ident], "index": index, "metadata": dict(_ORIGIN), "updated_at": stamp}
    # Rechat compares with the task's current associations only when the PUT itself read them.
    removes = "crm_task.associations" in call.expand
    out = [kept.get(a["id"], a) for a in current if a["id"] in kept or not removes]
    return [*out, *added]


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
    task = new_task_document(task_id, call.brand, call.user_id, _task_fields(body, create=True), stamp)
    task["assignees"] = _assignees(state, call, body.get("assignees", []))
    task["reminders"] = _reminders(body.get("reminders"), task_id, [], stamp)
    associations = body.get("associations") or []
    if not isinstance(associations, list):
        raise validation("associations must be an array")
    task["associations"] = [_new_association(state, call, a, task_id, stamp, stamp_origin=True) for a in associations]
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def update_task(state: SandboxState, call: Call) -> Response:
    """PUT /crm/tasks/{id}: every scalar replaced (unsent ones nulled); lists touched only when arrays."""
    task_id = require_uuid(call.path["id"], "id")
    current, body, stamp = state.task(call.brand, task_id), call.body_object(), now()
    task = {**current, **_task_fields(body, create=False), "updated_at": stamp, "updated_by": call.user_id}
    if isinstance(body.get("assignees"), list):
        task["assignees"] = _assignees(state, call, body["assignees"])
    if isinstance(body.get("reminders"), list):
        task["reminders"] = _reminders(body["reminders"], task_id, current["reminders"], stamp)
    if isinstance(body.get("associations"), list):
        task["associations"] = _updated_associations(state, call, body["associations"], current, stamp)
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def patch_status(state: SandboxState, call: Call) -> Response:
    """PATCH /crm/tasks/{id}/status: only the status (DONE also clears reminders and moves the dates)."""
    task_id = require_uuid(call.path["id"], "id")
    current, body, stamp = state.task(call.brand, task_id), call.body_object(), now()
    status = body.get("status")
    if status is not None and status not in _STATUSES:
        raise validation(f"status must be one of {', '.join(_STATUSES)}")
    task = {**current, "status": status, "updated_at": stamp, "updated_by": call.user_id}
    if status == "DONE":
        day, hour = 86400, 3600
        task["reminders"] = []
        if current["all_day"]:
            task["due_date"] = stamp - stamp % day
            task["end_date"] = task["due_date"] + day
        else:
            task["due_date"], task["end_date"] = stamp, stamp + hour
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def delete_task(state: SandboxState, call: Call) -> Response:
    """DELETE /crm/tasks/{id}: 204, the task is gone from every read."""
    task_id = require_uuid(call.path["id"], "id")
    task = state.task(call.brand, task_id)
    state.store.put("tasks", task_id, {**task, "deleted_at": now()})
    return no_content()


def clone_task(state: SandboxState, call: Call) -> Response:
    """POST /crm/tasks/{id}/clone: a new task from the body, with the original's associations copied."""
    source = state.task(call.brand, require_uuid(call.path["id"], "id"))
    body, stamp, task_id = call.body_object(), now(), str(uuid.uuid4())
    merged = {**{k: source.get(k) for k in ("title", "description", "due_date", "end_date", "task_type")}, **body}
    task = new_task_document(task_id, call.brand, call.user_id, _task_fields(merged, create=True), stamp)
    task["associations"] = [
        {**a, "id": str(uuid.uuid4()), "crm_task": task_id, "created_at": stamp, "updated_at": stamp}
        for a in source["associations"]
    ]
    state.store.put("tasks", task_id, task)
    return ok(render_task(state, task, call.expand))


def list_associations(state: SandboxState, call: Call) -> Response:
    """GET /crm/tasks/{id}/associations: targets only with ``crm_association.<target>``."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    rendered = [render_association(state, a, call.brand, call.expand) for a in task["associations"]]
    return ok_page(rendered, len(rendered))


def add_association(state: SandboxState, call: Call) -> Response:
    """POST /crm/tasks/{id}/associations: 200 with the new association (its metadata kept)."""
    task_id = require_uuid(call.path["id"], "id")
    task, stamp = state.task(call.brand, task_id), now()
    association = _new_association(state, call, call.body_object(), task_id, stamp, stamp_origin=False)
    state.store.put("tasks", task_id, {**task, "associations": [*task["associations"], association]})
    return ok(render_association(state, association, call.brand, call.expand))


def add_associations(state: SandboxState, call: Call) -> Response:
    """POST /crm/tasks/{id}/associations/bulk: an array in, the added associations out."""
    task_id = require_uuid(call.path["id"], "id")
    task, stamp = state.task(call.brand, task_id), now()
    if not isinstance(call.body, list):
        raise validation("The body must be an array of associations")
    added = [_new_association(state, call, a, task_id, stamp, stamp_origin=False) for a in call.body]
    state.store.put("tasks", task_id, {**task, "associations": [*task["associations"], *added]})
    rendered = [render_association(state, a, call.brand, call.expand) for a in added]
    return ok_page(rendered, len(rendered))


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
    """DELETE /crm/tasks/{id}/associations?ids[]=a&ids[]=b: 204; only the array form is an array."""
    task = state.task(call.brand, require_uuid(call.path["id"], "id"))
    # Rechat's query parser makes ids=a,b (or ids=a) one string, which its array check refuses.
    if "ids" in call.query:
        raise validation("ids must be an array (send ids[]=...)")
    ids = {require_uuid(i, "ids") for i in call.query.getlist("ids[]")}
    if not ids:
        raise validation("ids must be an array (send ids[]=...)")
    _without(state, task, ids)
    return no_content()
