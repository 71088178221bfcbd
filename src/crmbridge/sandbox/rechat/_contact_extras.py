"""The Rechat sandbox's contact side routes: attribute definitions, tags, duplicates, merge, JSON import."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response

from crmbridge.sandbox.rechat._contact_model import global_def_by_name
from crmbridge.sandbox.rechat._contacts import (
    build_contact,
    refresh,
    render_contact,
    validated_input,
)
from crmbridge.sandbox.rechat._http import (
    Call,
    RechatError,
    no_content,
    not_found,
    now,
    ok,
    ok_page,
    query_int,
    require_uuid,
    validation,
)
from crmbridge.sandbox.rechat._state import SandboxState

__all__ = [
    "contact_duplicates",
    "create_attribute_def",
    "create_tag",
    "delete_attribute_def",
    "delete_tag",
    "duplicate_clusters",
    "get_attribute_def",
    "get_job",
    "import_json",
    "list_attribute_defs",
    "list_tags",
    "merge_clusters",
    "merge_into",
    "rename_tag",
    "set_tag_touch",
    "update_attribute_def",
]

Document = dict[str, Any]

_DEF_FLAGS = ("required", "singular", "show", "searchable", "has_label")


# Attribute definitions ------------------------------------------------------------------------


def list_attribute_defs(state: SandboxState, call: Call) -> Response:
    """GET /contacts/attribute_defs: global ones, then the brand's."""
    defs = state.attribute_defs(call.brand)
    return ok_page(defs, len(defs))


def _check_def_types(body: dict[str, Any]) -> None:
    """The types Rechat's attribute definition schema gives each field (400 otherwise)."""
    for key in ("name", "section"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise validation(f"{key} must be a string")
    for flag in _DEF_FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            raise validation(f"{flag} must be a boolean")
    for key in ("labels", "enum_values"):
        value = body.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise validation(f"{key} must be an array of strings")


def _def_fields(body: dict[str, Any]) -> Document:
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise validation("label is required")
    if body.get("data_type") not in ("text", "date", "number"):
        raise validation("data_type must be text, date or number")
    _check_def_types(body)
    name = body.get("name") or re.sub(r"\W+", "_", label.strip().lower())
    if global_def_by_name(name) is not None:
        raise validation(f"{name} is the name of a global attribute")
    fields: Document = {"name": name, "label": label, "data_type": body["data_type"]}
    fields["section"] = body.get("section")
    fields.update({flag: bool(body.get(flag, flag == "show")) for flag in _DEF_FLAGS})
    fields["labels"], fields["enum_values"] = body.get("labels"), body.get("enum_values")
    return fields


def create_attribute_def(state: SandboxState, call: Call) -> Response:
    """POST /contacts/attribute_defs: a custom definition of the brand."""
    fields, stamp = _def_fields(call.body_object()), now()
    if any(d["name"] == fields["name"] for d in state.scoped("attribute_defs", call.brand)):
        raise RechatError(409, "Conflict", f"An attribute named {fields['name']} exists")
    definition = {
        "id": str(uuid.uuid4()),
        "type": "contact_attribute_def",
        **fields,
        "global": False,
        "editable": True,
        "brand": call.brand,
        "created_by": call.user_id,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }
    state.store.put("attribute_defs", definition["id"], definition)
    return ok(definition)


def _definition(state: SandboxState, call: Call, *, custom: bool) -> Document:
    ident = require_uuid(call.path["id"], "id")
    for definition in state.attribute_defs(call.brand):
        if definition["id"] == ident:
            if custom and definition["global"]:
                raise validation("Global attribute definitions cannot be changed")
            return definition
    raise not_found("Attribute definition")


def get_attribute_def(state: SandboxState, call: Call) -> Response:
    """GET /contacts/attribute_defs/{id}."""
    return ok(_definition(state, call, custom=False))


def update_attribute_def(state: SandboxState, call: Call) -> Response:
    """PUT /contacts/attribute_defs/{id}: custom definitions only; the data type cannot change."""
    current = _definition(state, call, custom=True)
    fields = _def_fields({"name": current["name"], **call.body_object()})
    if fields["data_type"] != current["data_type"]:
        raise validation("The data_type of an attribute definition cannot change")
    updated = {**current, **fields, "updated_at": now()}
    state.store.put("attribute_defs", updated["id"], updated)
    return ok(updated)


def delete_attribute_def(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts/attribute_defs/{id}: custom ones only; 204."""
    current = _definition(state, call, custom=True)
    state.store.put("attribute_defs", current["id"], {**current, "deleted_at": now()})
    return no_content()


# Tags -----------------------------------------------------------------------------------------


def _tag_json(tag: str, brand: str, entry: Document | None) -> Document:
    base = {"type": "crm_tag", "id": None, "tag": tag, "text": tag, "touch_freq": None, "brand": brand}
    return {**base, "created_at": None, "updated_at": None, **(entry or {})}


def _tags_in_use(state: SandboxState, brand: str) -> list[str]:
    seen: dict[str, None] = {}
    for contact in state.scoped("contacts", brand):
        for tag in contact.get("tags") or []:
            seen.setdefault(tag, None)
    return list(seen)


def list_tags(state: SandboxState, call: Call) -> Response:
    """GET /contacts/tags: the catalogue plus every tag a contact carries."""
    catalogue = {t["tag"]: t for t in state.scoped("tags", call.brand)}
    names = list(catalogue) + [t for t in _tags_in_use(state, call.brand) if t not in catalogue]
    tags = [_tag_json(name, call.brand, catalogue.get(name)) for name in names]
    return ok_page(tags, len(tags))


def _tag_name(raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise validation("tag must be a non-empty string")
    return raw.strip()


def _save_tag(state: SandboxState, brand: str, tag: str, touch_freq: Any, stamp: float) -> Document:
    key = f"{brand}:{tag}"
    current = state.store.get("tags", key)
    entry = {
        "id": current["id"] if current else str(uuid.uuid4()),
        "type": "crm_tag",
        "tag": tag,
        "text": tag,
        "touch_freq": touch_freq,
        "brand": brand,
        "created_at": current["created_at"] if current else stamp,
        "updated_at": stamp,
        "deleted_at": None,
    }
    state.store.put("tags", key, entry)
    return entry


def create_tag(state: SandboxState, call: Call) -> Response:
    """POST /contacts/tags: add a tag to the catalogue (an existing one is answered as is)."""
    body = call.body_object()
    tag = _tag_name(body.get("tag"))
    existing = state.store.get("tags", f"{call.brand}:{tag}")
    if existing is not None:
        return ok(existing)
    return ok(_save_tag(state, call.brand, tag, body.get("touch_freq"), now()))


def _retag(state: SandboxState, brand: str, old: str, new: str | None) -> bool:
    """Rename (or with ``new=None`` remove) a tag on every contact; True when one carried it."""
    touched, stamp = False, now()
    for contact in state.scoped("contacts", brand):
        if old not in (contact.get("tags") or []):
            continue
        touched = True
        attributes = [
            ({**a, "text": new, "updated_at": stamp} if new is not None else None)
            if a["attribute_type"] == "tag" and a.get("text") == old
            else a
            for a in contact["attributes"]
        ]
        kept = [a for a in attributes if a is not None]
        state.store.put("contacts", contact["id"], refresh({**contact, "attributes": kept, "updated_at": stamp}))
    return touched


def rename_tag(state: SandboxState, call: Call) -> Response:
    """PATCH /contacts/tags/{tag}: rename in the catalogue and on contacts; 204."""
    old, new = call.path["tag"], _tag_name(call.body_object().get("tag"))
    entry = state.store.get("tags", f"{call.brand}:{old}")
    in_use = _retag(state, call.brand, old, new)
    if entry is None and not in_use:
        raise not_found("Tag")
    if entry is not None:
        state.store.delete("tags", f"{call.brand}:{old}")
        _save_tag(state, call.brand, new, entry["touch_freq"], now())
    return no_content()


def delete_tag(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts/tags/{tag}: out of the catalogue and off every contact; 204."""
    tag = call.path["tag"]
    removed = state.store.delete("tags", f"{call.brand}:{tag}")
    if not _retag(state, call.brand, tag, None) and not removed:
        raise not_found("Tag")
    return no_content()


def set_tag_touch(state: SandboxState, call: Call) -> Response:
    """PATCH /contacts/tags/{tag}/touch: the tag's touch frequency (days); 204."""
    tag, freq = call.path["tag"], call.body_object().get("touch_freq")
    if freq is not None and (isinstance(freq, bool) or not isinstance(freq, int) or freq < 1):
        raise validation("touch_freq must be a positive number of days")
    known = state.store.get("tags", f"{call.brand}:{tag}") is not None or tag in _tags_in_use(state, call.brand)
    if not known:
        raise not_found("Tag")
    _save_tag(state, call.brand, tag, freq, now())
    return no_content()


# Duplicates and merge -------------------------------------------------------------------------


def _keys(contact: Document) -> set[str]:
    emails = {f"e:{e.lower()}" for e in contact.get("emails") or []}
    return emails | {f"p:{p}" for p in contact.get("phone_numbers") or []}


def contact_duplicates(state: SandboxState, call: Call) -> Response:
    """GET /contacts/{id}/duplicates: the brand's contacts sharing an email or phone with it."""
    contact = state.contact(call.brand, require_uuid(call.path["id"], "id"))
    keys = _keys(contact)
    found = [c for c in state.scoped("contacts", call.brand) if c["id"] != contact["id"] and keys & _keys(c)]
    return ok_page([render_contact(state, c, call.expand) for c in found], len(found))


def _clusters(contacts: Iterable[Document]) -> list[list[Document]]:
    # Union-find over shared emails/phones: duplicates of duplicates join the same cluster.
    parent: dict[str, str] = {}
    owner: dict[str, str] = {}
    by_id: dict[str, Document] = {}

    def root(ident: str) -> str:
        while parent[ident] != ident:
            parent[ident] = parent[parent[ident]]
            ident = parent[ident]
        return ident

    for contact in contacts:
        by_id[contact["id"]] = contact
        parent[contact["id"]] = contact["id"]
        for key in _keys(contact):
            if key in owner:
                parent[root(contact["id"])] = root(owner[key])
            else:
                owner[key] = contact["id"]
    groups: dict[str, list[Document]] = {}
    for ident, contact in by_id.items():
        groups.setdefault(root(ident), []).append(contact)
    return [group for group in groups.values() if len(group) > 1]


def duplicate_clusters(state: SandboxState, call: Call) -> Response:
    """GET /contacts/duplicates: clusters of the brand's likely duplicates, paged."""
    clusters = _clusters(state.scoped("contacts", call.brand))
    start, limit = query_int(call.query, "start", 0), query_int(call.query, "limit", 50, minimum=1)
    page = [
        {
            "id": start + n + 1,
            "type": "contact_duplicate",
            "contacts": [render_contact(state, c, call.expand) for c in g],
        }
        for n, g in enumerate(clusters[start : start + limit])
    ]
    return ok_page(page, len(clusters))


def _merge(state: SandboxState, call: Call, parent_id: str, sub_ids: Any) -> Document:
    parent = state.contact(call.brand, parent_id)
    if not isinstance(sub_ids, list) or not sub_ids:
        raise validation("sub_contacts must be a non-empty array")
    subs = [state.contact(call.brand, require_uuid(i, "sub_contacts")) for i in sub_ids]
    if any(s["id"] == parent_id for s in subs):
        raise validation("A contact cannot be merged into itself")
    stamp = now()
    moved = [{**a, "contact": parent_id, "is_primary": False} for s in subs for a in s["attributes"]]
    merged = refresh({**parent, "attributes": [*parent["attributes"], *moved], "updated_at": stamp})
    for sub in subs:
        state.store.put("contacts", sub["id"], {**sub, "deleted_at": stamp, "deleted_for": "merge"})
    state.store.put("contacts", parent_id, merged)
    return merged


def merge_into(state: SandboxState, call: Call) -> Response:
    """POST /contacts/{id}/merge: sub contacts' attributes move to this one; they are deleted."""
    parent_id = require_uuid(call.path["id"], "id")
    merged = _merge(state, call, parent_id, call.body_object().get("sub_contacts"))
    return ok(render_contact(state, merged, call.expand))


def merge_clusters(state: SandboxState, call: Call) -> Response:
    """POST /contacts/merge: several merges at once; 204."""
    clusters = call.body_object().get("clusters")
    if not isinstance(clusters, list) or not all(isinstance(c, dict) for c in clusters):
        raise validation("clusters must be an array of {parent, sub_contacts}")
    for cluster in clusters:
        _merge(state, call, require_uuid(cluster.get("parent"), "parent"), cluster.get("sub_contacts"))
    return no_content()


# Import ---------------------------------------------------------------------------------------


def import_json(state: SandboxState, call: Call) -> Response:
    """POST /contacts/import.json: the sandbox imports at once and answers the finished job.

    Invalid contacts are reported in the job's ``errors`` (by position), the others imported.
    """
    raw = call.body_object().get("contacts")
    if not isinstance(raw, list):
        raise validation("contacts must be an array")
    created, errors, stamp = 0, [], now()
    for position, item in enumerate(raw):
        try:
            data = validated_input(state, call, item, relax=True)
        except RechatError as error:
            errors.append({"index": position, "code": error.code, "message": error.message})
            continue
        contact = build_contact(state, call.brand, call.user_id, data, stamp, created_for="import_json")
        state.store.put("contacts", contact["id"], contact)
        created += 1
    job_id = str(uuid.uuid4())
    job = {"id": job_id, "type": "job", "state": "completed", "created": created, "errors": errors}
    state.store.put("jobs", job_id, {**job, "brand": call.brand})
    return ok(job)


def get_job(state: SandboxState, call: Call) -> Response:
    """GET /contacts/jobs/{job_id}: a job of the brand."""
    job = state.store.get("jobs", call.path["job_id"])
    if job is None or job["brand"] != call.brand:
        raise not_found("Job")
    return ok({k: v for k, v in job.items() if k != "brand"})
