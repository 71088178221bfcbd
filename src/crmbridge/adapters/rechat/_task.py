"""crm_task ↔ canonical Task: reading, the create body and the update (PUT) body.

Associations are kept in ``Task.extras["associations"]``: the list of the task's association
objects as Rechat sent them, with an expanded contact/listing/deal (and ``created_by``) replaced
by its UUID. A same-system write sends the ones whose Ref is still on the task back (with their
id, index and metadata), drops the ones whose Ref was removed, and adds
``{association_type, contact|listing|deal}`` for each Ref added canonically.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import cattrs

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._support import build_canonical as build_value
from crmbridge.adapters._support import structure, unknown_fields
from crmbridge.adapters.rechat._common import SYSTEM, build_canonical, ref, ref_uuid
from crmbridge.adapters.rechat._time import datetime_to_epoch
from crmbridge.adapters.rechat.wire import WireAssociation, WireReminder, WireTask
from crmbridge.canonical import Reminder, Task
from crmbridge.errors import MappingError

__all__ = [
    "LINK_FIELDS",
    "TASK_READ_ONLY",
    "TASK_WRITABLE_FIELDS",
    "read_task",
    "task_body",
    "task_unsupported",
]

KIND = "task"
LINK_FIELDS: dict[str, str] = {"contact": "contacts", "listing": "listings", "deal": "deals"}
"""association_type -> the canonical Task field (and the task's top-level id array)."""

TASK_READ_ONLY = frozenset({"id", "created_at", "updated_at", "deleted_at", "type", "created_by", "updated_by"})
_ASSOCIATION_READ_ONLY = frozenset(
    {"id", "created_at", "updated_at", "deleted_at", "created_by", "brand", "crm_task", "type"}
)
_REMINDER_READ_ONLY = frozenset({"created_at", "updated_at", "deleted_at", "task", "type"})
# Extras keys the mapping itself manages: never copied to a body as they are.
_MANAGED_EXTRAS = frozenset({"associations", "linked_ids"})

_TASK_TYPES = {"Call": "call", "Message": "message", "Todo": "todo"}
_TASK_TYPES_BACK = {kind: wire for wire, kind in _TASK_TYPES.items()}
_STATUSES = {"PENDING": "pending", "DONE": "done"}
_STATUSES_BACK = {status: wire for wire, status in _STATUSES.items()}

TASK_WRITABLE_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "description": ("description",),
    "kind": ("task_type",),
    "status": ("status",),
    "due_at": ("due_date",),
    "ends_at": ("end_date",),
    "all_day": ("all_day",),
    "assignees": ("assignees",),
    "contacts": ("associations",),
    "listings": ("associations",),
    "deals": ("associations",),
    "reminders": ("reminders",),
}
"""Canonical Task field -> the body keys it writes (``to_update(fields=...)``)."""
# An update always carries these: the id, what Rechat requires, and every reminder (a PUT
# deletes the reminders it does not list).
_ALWAYS_IN_UPDATE = ("id", "title", "due_date", "task_type", "reminders")


# -- reading ---------------------------------------------------------------------------------


def read_task(converter: cattrs.Converter, payload: Mapping[str, Any]) -> Task:
    """The canonical Task of a crm_task payload (list item, expanded, create or update body)."""
    wire = structure(converter, payload, WireTask, system=SYSTEM, kind=KIND)
    extras = unknown_fields(payload, WireTask)
    for key in ("metadata", "kind"):
        if key in payload:
            extras[key] = payload[key]
    if wire.brand is not None:
        extras["brand"] = wire.brand
    links = _read_links(wire, payload, extras)
    reminders = [
        _read_reminder(item, raw, f"reminders[{i}]")
        for i, (item, raw) in enumerate(zip(wire.reminders or [], payload.get("reminders") or [], strict=True))
    ]
    return build_canonical(
        KIND,
        Task,
        ref=ref("task", wire.id) if wire.id else None,
        extras=extras,
        title=wire.title,
        description=wire.description,
        kind=_TASK_TYPES.get(wire.task_type, wire.task_type),
        status=_STATUSES.get(wire.status, wire.status) if wire.status is not None else "pending",
        due_at=wire.due_date,
        ends_at=wire.end_date,
        all_day=wire.all_day,
        assignees=[ref("user", linked.id) for linked in wire.assignees or []],
        created_by=ref("user", wire.created_by.id) if wire.created_by else None,
        updated_by=ref("user", wire.updated_by.id) if wire.updated_by else None,
        contacts=[ref("contact", i) for i in links["contact"]],
        listings=[ref("listing", i) for i in links["listing"]],
        deals=[ref("deal", i) for i in links["deal"]],
        reminders=reminders,
        created_at=wire.created_at,
        updated_at=wire.updated_at,
        deleted_at=wire.deleted_at,
    )


def _read_reminder(wire: WireReminder, raw: Mapping[str, Any], path: str) -> Reminder:
    extras = {key: value for key, value in raw.items() if key not in ("timestamp", "is_relative")}
    if wire.id is not None:
        extras["id"] = wire.id
    # The extras are payload values: one the canonical model refuses (nested too deep) is named at ``path``.
    return build_value(
        Reminder,
        {"at": wire.timestamp, "relative": wire.is_relative, "extras": extras},
        system=SYSTEM,
        kind=KIND,
        path=path,
    )


def _kept_association(wire: WireAssociation, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The association object with expanded records replaced by their ids (so it can go back)."""
    kept = dict(raw)
    if wire.id is not None:
        kept["id"] = wire.id
    for key in ("contact", "listing", "deal", "created_by"):
        linked = getattr(wire, key)
        if linked is not None:
            kept[key] = linked.id
    return kept


def _read_links(wire: WireTask, payload: Mapping[str, Any], extras: dict[str, Any]) -> dict[str, list[str]]:
    """Linked ids by association_type, from the associations and the top-level id arrays.

    Fills ``extras["associations"]`` (associations were expanded) or ``extras["linked_ids"]``
    (only the id arrays came: the ids that already exist, so a write does not add them twice).
    """
    ids: dict[str, list[str]] = {kind: [] for kind in LINK_FIELDS}
    arrays = {kind: getattr(wire, field) for kind, field in LINK_FIELDS.items()}
    if wire.associations is None:
        for kind, array in arrays.items():
            ids[kind] = list(dict.fromkeys(array or []))
        present = {LINK_FIELDS[kind]: ids[kind] for kind, array in arrays.items() if array is not None}
        if present:
            extras["linked_ids"] = present
        return ids
    kept: list[dict[str, Any]] = []
    targetless: dict[str, list[int]] = {kind: [] for kind in LINK_FIELDS}
    for association, raw in zip(wire.associations, payload["associations"], strict=True):
        entry = _kept_association(association, raw)
        kind = association.association_type
        target = getattr(association, kind) if kind in LINK_FIELDS else None
        if target is not None:
            if target.id not in ids[kind]:
                ids[kind].append(target.id)
        elif kind in LINK_FIELDS:
            targetless[kind].append(len(kept))
        kept.append(entry)
    for kind, array in arrays.items():
        missing = [i for i in dict.fromkeys(array or []) if i not in ids[kind]]
        # Rechat lists the id arrays in association order (the vendor examples agree): when the
        # counts match, an association sent without its target is paired with the id in its place.
        if missing and len(missing) == len(targetless[kind]):
            for index, ident in zip(targetless[kind], missing, strict=True):
                kept[index][kind] = ident
        ids[kind].extend(missing)
    extras["associations"] = kept
    return ids


# -- writing ---------------------------------------------------------------------------------


def _required(task: Task, field: str, value: Any) -> Any:
    if value is None:
        raise MappingError(SYSTEM, KIND, field, "Rechat requires this field")
    return value


def _link_ids(adapter: Adapter, task: Task, resolve: Resolver | None) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for kind, field in LINK_FIELDS.items():
        found: list[str] = []
        for index, link in enumerate(getattr(task, field)):
            path = f"{field}[{index}]"
            local = adapter.local_ref(link, path=path, record_kind=KIND, resolve=resolve)
            found.append(ref_uuid(local, expected_kind=kind, record_kind=KIND, path=path))
        ids[kind] = list(dict.fromkeys(found))
    return ids


def _associations(task: Task, ids: dict[str, list[str]], *, owned: bool, update: bool) -> list[dict[str, Any]]:
    kept = task.extras.get("associations") if owned else None
    existing: dict[str, list[str]] = {kind: [] for kind in LINK_FIELDS}
    out: list[dict[str, Any]] = []
    if isinstance(kept, list):
        for item in kept:
            if not isinstance(item, dict):
                continue
            kind = item.get("association_type")
            target = item.get(kind) if isinstance(kind, str) else None
            if isinstance(kind, str) and kind in LINK_FIELDS and isinstance(target, str):
                if target not in ids[kind] or target in existing[kind]:
                    continue  # removed canonically (or a duplicate): not written, so Rechat drops it
                existing[kind].append(target)
            # An update sends the kept association back whole (its id tells Rechat it exists, as in
            # the "bulk add" example); a create sends only what a new association can carry.
            out.append(dict(item) if update else {k: v for k, v in item.items() if k not in _ASSOCIATION_READ_ONLY})
    elif owned and update:
        _check_no_unlinked(task, ids)
        linked = task.extras.get("linked_ids")
        if isinstance(linked, dict):
            for kind, field in LINK_FIELDS.items():
                known = linked.get(field)
                existing[kind] = [i for i in known if isinstance(i, str)] if isinstance(known, list) else []
    for kind in LINK_FIELDS:
        out.extend({"association_type": kind, kind: ident} for ident in ids[kind] if ident not in existing[kind])
    return out


def _check_no_unlinked(task: Task, ids: dict[str, list[str]]) -> None:
    """Without the association ids a removed link cannot be written: say so rather than drop it."""
    linked = task.extras.get("linked_ids")
    if not isinstance(linked, dict):
        return
    for kind, field in LINK_FIELDS.items():
        known = linked.get(field)
        if isinstance(known, list) and any(i not in ids[kind] for i in known):
            raise MappingError(
                SYSTEM,
                KIND,
                field,
                "removing a link needs its association id: read the task with associations[]=crm_task.associations",
            )


def _reminders(task: Task, *, owned: bool, update: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for reminder in task.reminders:
        body: dict[str, Any] = {"is_relative": reminder.relative, "timestamp": datetime_to_epoch(reminder.at)}
        if owned and update:
            # The id tells Rechat the reminder exists; the rest of its extras are its own fields.
            body.update({k: v for k, v in reminder.extras.items() if k not in _REMINDER_READ_ONLY})
        out.append(body)
    return out


def task_body(
    adapter: Adapter,
    task: Task,
    *,
    resolve: Resolver | None,
    update: bool,
    fields: Collection[str] | None = None,
) -> dict[str, Any]:
    """The create body (``update=False``) or the PUT body of ``task``."""
    owned = adapter.owns(task)
    body: dict[str, Any] = {}
    if update:
        if task.ref is None:
            raise MappingError(SYSTEM, KIND, "ref", "an update needs the task's id")
        local = adapter.local_ref(task.ref, path="ref", record_kind=KIND, resolve=resolve)
        body["id"] = ref_uuid(local, expected_kind="task", record_kind=KIND, path="ref")
    kind = _required(task, "kind", task.kind)
    body["title"] = _required(task, "title", task.title)
    body["description"] = task.description
    body["due_date"] = datetime_to_epoch(_required(task, "due_at", task.due_at))
    body["end_date"] = datetime_to_epoch(task.ends_at) if task.ends_at is not None else None
    body["status"] = _STATUSES_BACK.get(task.status, task.status)
    body["task_type"] = _TASK_TYPES_BACK.get(kind, kind)
    body["all_day"] = task.all_day
    body["assignees"] = _assignees(adapter, task, resolve)
    body["reminders"] = _reminders(task, owned=owned, update=update)
    body["associations"] = _associations(task, _link_ids(adapter, task, resolve), owned=owned, update=update)
    if owned:
        for key, value in task.extras.items():
            if key not in TASK_READ_ONLY and key not in _MANAGED_EXTRAS and key not in body:
                body[key] = value
    if not update:
        # A create body leaves out what Rechat defaults (nulls, empty lists).
        return {k: v for k, v in body.items() if v is not None and v != []}
    return _limit(task, body, fields)


def _assignees(adapter: Adapter, task: Task, resolve: Resolver | None) -> list[str]:
    out: list[str] = []
    for index, assignee in enumerate(task.assignees):
        path = f"assignees[{index}]"
        local = adapter.local_ref(assignee, path=path, record_kind=KIND, resolve=resolve)
        out.append(ref_uuid(local, expected_kind="user", record_kind=KIND, path=path))
    return out


def _limit(task: Task, body: dict[str, Any], fields: Collection[str] | None) -> dict[str, Any]:
    if fields is None:
        return body
    keys = set(_ALWAYS_IN_UPDATE)
    for name in fields:
        if name == "extras":
            keys.update(task.extras)
            continue
        if name not in TASK_WRITABLE_FIELDS:
            raise MappingError(SYSTEM, KIND, name, "not a Task field Rechat can update")
        keys.update(TASK_WRITABLE_FIELDS[name])
    return {k: v for k, v in body.items() if k in keys}


# -- what Rechat cannot store ------------------------------------------------------------------

_SET_BY_RECHAT = ("created_by", "updated_by", "created_at", "updated_at", "deleted_at")


def task_unsupported(adapter: Adapter, task: Task) -> list[str]:
    """Paths of ``task`` holding values a write to Rechat would not carry."""
    found = adapter.foreign_extras(task)
    if not adapter.owns(task):
        # Rechat sets these itself: a task copied from another CRM gets Rechat's own values.
        found += [name for name in _SET_BY_RECHAT if getattr(task, name) is not None]
        found += [
            f"reminders[{i}].extras.{key}" for i, reminder in enumerate(task.reminders) for key in reminder.extras
        ]
    return found
