"""The Rechat sandbox's contact routes: list/filter, create, read, patch, delete, owner, attributes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from crmbridge.sandbox.rechat._contact_model import (
    apply_attribute,
    attribute_value,
    clear_other_primaries,
    make_attribute,
    read_model,
    search_text,
)
from crmbridge.sandbox.rechat._http import (
    Call,
    bad_request,
    no_content,
    not_found,
    now,
    ok,
    ok_page,
    order_and_page,
    query_bool,
    query_int,
    query_list,
    query_number,
    require_uuid,
    validation,
)
from crmbridge.sandbox.rechat._state import SandboxState

__all__ = [
    "CONTACT_ORDER_FIELDS",
    "add_attributes",
    "build_contact",
    "bulk_add_attributes",
    "bulk_delete_attributes",
    "bulk_delete_contacts",
    "bulk_update_contacts",
    "create_contacts",
    "delete_attribute",
    "delete_contact",
    "get_contact",
    "list_contacts",
    "refresh",
    "render_contact",
    "set_assignees",
    "set_owner",
    "set_touch",
    "undelete_contacts",
    "update_attribute",
    "update_contact",
    "validated_input",
]

Document = dict[str, Any]

CONTACT_ORDER_FIELDS = ("display_name", "sort_field", "last_touch", "next_touch", "created_at", "updated_at")
_RANKS = ("rank", "last_touch_rank")
_DAY_S = 24 * 3600
_SCALARS = ("ios_address_book_id", "android_address_book_id", "lead_channel")


# Documents and rendering ----------------------------------------------------------------------


def refresh(contact: Document) -> Document:
    """``contact`` with its flattened fields recomputed from its attributes."""
    return {**contact, **read_model(contact["attributes"])}


def build_contact(
    state: SandboxState,
    brand: str,
    creator: str,
    data: Mapping[str, Any],
    stamp: float,
    *,
    ident: str | None = None,
    created_for: str = "direct_request",
    attribute_ids: list[str] | None = None,
) -> Document:
    """A new stored contact from a validated ContactInput (``data['user']`` is the owner)."""
    contact_id = ident or str(uuid.uuid4())
    attributes: list[Document] = []
    for position, raw in enumerate(data["attributes"]):
        definition = state.attribute_def(brand, raw)
        attr_id = attribute_ids[position] if attribute_ids else None
        attribute = make_attribute(raw, definition, contact_id, creator, stamp, attr_id)
        attributes = clear_other_primaries([*attributes, attribute], attribute)
    contact = {
        "id": contact_id,
        "type": "contact",
        "brand": brand,
        "brand_id": brand,
        "user": data["user"],
        "user_id": data["user"],
        "created_by": creator,
        "updated_by": creator,
        "created_at": stamp,
        "updated_at": stamp,
        "deleted_at": None,
        "created_for": created_for,
        "updated_for": created_for,
        "deleted_for": None,
        "parked": bool(data.get("parked", False)),
        "last_touch": None,
        "last_touch_action": None,
        "next_touch": None,
        "touch_freq": None,
        "assignees": [],
        "attributes": attributes,
        **{key: data.get(key) for key in _SCALARS},
    }
    return refresh(contact)


_CONTACT_RELATIONS = ("attributes", "user", "created_by", "updated_by", "assignees")
# Stored for the sandbox's own filters; Rechat has no such column in what it answers.
_NOT_ANSWERED = ("user_id",)


def render_contact(state: SandboxState, contact: Document, expand: frozenset[str]) -> Document:
    """The contact as Rechat answers it: each relation key only with ``contact.<key>`` asked for."""
    hidden = (*_CONTACT_RELATIONS, *_NOT_ANSWERED)
    rendered = {k: v for k, v in contact.items() if k not in hidden}
    brand = contact["brand"]
    if "contact.attributes" in expand:
        defs = {d["id"]: d for d in state.attribute_defs(brand)}
        expand_defs = "contact_attribute.attribute_def" in expand
        rendered["attributes"] = [
            {**a, "attribute_def": defs.get(a["attribute_def"], a["attribute_def"])} if expand_defs else dict(a)
            for a in contact["attributes"]
        ]
    for who in ("user", "created_by", "updated_by"):
        if f"contact.{who}" in expand:
            rendered[who] = state.user_json(contact[who], brand) if contact.get(who) else None
    if "contact.assignees" in expand:
        rendered["assignees"] = list(contact.get("assignees") or []) or None
    return rendered


def _save(state: SandboxState, contact: Document) -> Document:
    state.store.put("contacts", contact["id"], contact)
    return contact


# Input ----------------------------------------------------------------------------------------


def validated_input(state: SandboxState, call: Call, raw: Any, *, relax: bool) -> Document:
    """A ContactInput checked as Rechat does (owner in the brand, attributes present)."""
    if not isinstance(raw, dict):
        raise validation("Each contact must be an object")
    if "options" in raw:
        raise bad_request("options are not accepted in the body anymore; send them in the query string")
    attributes = raw.get("attributes")
    if not isinstance(attributes, list) or not all(isinstance(a, dict) for a in attributes):
        raise validation("attributes must be an array of objects")
    if not attributes:
        raise validation("A contact needs at least one attribute")
    owner = raw.get("user")
    if owner is None:
        if not relax:
            raise validation("user is required")
        owner = call.user_id
    data = dict(raw)
    data["user"] = state.require_member(owner, call.brand, "user")
    for attribute in attributes:
        state.attribute_def(call.brand, attribute)  # unknown definitions fail before anything is stored
    return data


def _patched(state: SandboxState, call: Call, contact: Document, raw: Mapping[str, Any], stamp: float) -> Document:
    # Attributes with an id are updated, the others added; PATCH never removes one.
    attributes = list(contact["attributes"])
    for item in raw.get("attributes") or []:
        if not isinstance(item, dict):
            raise validation("attributes must be objects")
        if item.get("id") is not None:
            position = _attribute_position(attributes, require_uuid(item["id"], "attribute id"))
            current = attributes[position]
            definition = state.attribute_def(call.brand, {"attribute_def": current["attribute_def"]})
            attribute = {**apply_attribute(current, item, definition), "updated_at": stamp}
            attributes[position] = attribute
        else:
            definition = state.attribute_def(call.brand, item)
            attribute = make_attribute(item, definition, contact["id"], call.user_id, stamp)
            attributes.append(attribute)
        attributes = clear_other_primaries(attributes, attribute)
    updated = {**contact, "attributes": attributes, "updated_at": stamp, "updated_by": call.user_id}
    if raw.get("user") is not None:
        updated["user"] = updated["user_id"] = state.require_member(raw["user"], call.brand, "user")
    if "parked" in raw:
        if not isinstance(raw["parked"], bool):
            raise validation("parked must be a boolean")
        updated["parked"] = raw["parked"]
    updated.update({key: raw[key] for key in _SCALARS if key in raw})
    return refresh(updated)


def _attribute_position(attributes: list[Document], ident: str) -> int:
    for position, attribute in enumerate(attributes):
        if attribute["id"] == ident:
            return position
    raise not_found("Attribute")


def _uuid_list(raw: Any, what: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise validation(f"{what} must be an array")
    return [require_uuid(item, what) for item in raw]


# Filtering ------------------------------------------------------------------------------------


def _filter_options(call: Call) -> dict[str, Any]:
    """The §5 options, from the query string and (for POST /contacts/filter) the body."""
    query, body = call.query, call.body_object()  # GET /contacts has no body: {}
    terms = [t.lower() for t in query_list(query, "q")]
    if isinstance(body.get("query"), str):
        terms += body["query"].lower().split()
    options: dict[str, Any] = {"q": [t for term in terms for t in term.split()]}
    for name in ("users", "ids", "excludes", "crm_tasks", "lists", "flows", "showings"):
        options[name] = [require_uuid(v, name) for v in query_list(query, name)] + _uuid_list(body.get(name), name)
    for bound in ("created", "updated"):
        for side in ("gte", "lte"):
            key = f"{bound}_{side}"
            value = body[key] if key in body else query_number(query, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise validation(f"{key} must be epoch seconds")
            options[key] = value
    options["parked"] = body["parked"] if "parked" in body else query_bool(query, "parked")
    options["alphabet"] = (body.get("alphabet") or query.get("alphabet") or "").lower() or None
    options["filter"] = body.get("filter") or []
    options["filter_type"] = body.get("filter_type", query.get("filter_type", "and"))
    if options["filter_type"] not in ("and", "or"):
        raise validation("filter_type must be and or or")
    return options


def _attribute_filter(raw: Any) -> Callable[[Document], bool]:
    if not isinstance(raw, dict) or "value" not in raw:
        raise validation("An attribute filter needs a value")
    operator, value, invert = raw.get("operator", "eq"), raw["value"], bool(raw.get("invert", False))
    def_id, kind = raw.get("attribute_def"), raw.get("attribute_type")
    tests: dict[str, Callable[[list[Any]], bool]] = {
        "eq": lambda values: value in values,
        "lte": lambda values: any(v <= value for v in values),
        "gte": lambda values: any(v >= value for v in values),
        "between": lambda values: any(value[0] <= v <= value[1] for v in values),
        "any": lambda values: any(v in value for v in values),
        "all": lambda values: all(v in values for v in value),
    }
    if operator not in tests:
        raise validation(f"Unknown operator {operator}")
    if operator in ("between", "any", "all") and not isinstance(value, list):
        raise validation(f"The {operator} operator needs a list value")
    test = tests[operator]

    def matches(contact: Document) -> bool:
        values = [
            attribute_value(a)
            for a in contact["attributes"]
            if (def_id and a["attribute_def"] == def_id) or (kind and a["attribute_type"] == kind)
        ]
        try:
            return test(values) != invert
        except TypeError:  # comparing a text with a number: no match, as SQL would not match either
            return invert

    return matches


def _predicates(state: SandboxState, call: Call, options: Mapping[str, Any]) -> list[Callable[[Document], bool]]:
    tests: list[Callable[[Document], bool]] = []
    if options["q"]:
        tests.append(lambda c: all(term in search_text(c) for term in options["q"]))
    for name, field in (("users", "user"), ("ids", "id")):
        if options[name]:
            wanted = set(options[name])
            tests.append(lambda c, f=field, w=wanted: c[f] in w)  # type: ignore[misc]
    if options["excludes"]:
        tests.append(lambda c: c["id"] not in set(options["excludes"]))
    if options["crm_tasks"]:
        linked = _task_contacts(state, call.brand, set(options["crm_tasks"]))
        tests.append(lambda c: c["id"] in linked)
    if options["lists"] or options["flows"] or options["showings"]:
        tests.append(lambda c: False)  # the sandbox has no lists, flows or showings
    tests += _range_tests(options)
    if options["parked"] is not None:
        tests.append(lambda c: bool(c["parked"]) == options["parked"])
    if options["alphabet"]:
        tests.append(lambda c: str(c.get("sort_field") or "").lower().startswith(options["alphabet"]))
    attribute_tests = [_attribute_filter(f) for f in options["filter"]]
    if attribute_tests:
        combine = all if options["filter_type"] == "and" else any
        tests.append(lambda c: combine(t(c) for t in attribute_tests))
    return tests


def _range_tests(options: Mapping[str, Any]) -> list[Callable[[Document], bool]]:
    tests: list[Callable[[Document], bool]] = []
    for bound in ("created", "updated"):
        low, high = options[f"{bound}_gte"], options[f"{bound}_lte"]
        field = f"{bound}_at"
        if low is not None:
            tests.append(lambda c, f=field, v=low: c[f] >= v)  # type: ignore[misc]
        if high is not None:
            tests.append(lambda c, f=field, v=high: c[f] <= v)  # type: ignore[misc]
    return tests


def _task_contacts(state: SandboxState, brand: str, task_ids: set[str]) -> set[str]:
    return {
        a["contact"]
        for task in state.scoped("tasks", brand)
        if task["id"] in task_ids
        for a in task["associations"]
        if a.get("contact")
    }


# Routes ---------------------------------------------------------------------------------------


def list_contacts(state: SandboxState, call: Call) -> Response:
    """GET /contacts and POST /contacts/filter: filter, order, then one page (default 50)."""
    options = _filter_options(call)
    tests = _predicates(state, call, options)
    matching = [c for c in state.scoped("contacts", call.brand) if all(t(c) for t in tests)]
    order = call.query.get("order") or call.body_object().get("order")
    if order and order.removeprefix("-") in _RANKS:
        if not options["q"]:
            raise validation(f"Cannot order by {order} without a text query")
        order = None  # relevance: the sandbox keeps the natural order
    start, limit = query_int(call.query, "start", 0), query_int(call.query, "limit", 50, minimum=1)
    page, total = order_and_page(matching, order, CONTACT_ORDER_FIELDS, start, limit)
    return ok_page([render_contact(state, c, call.expand) for c in page], total)


def create_contacts(state: SandboxState, call: Call) -> Response:
    """POST /contacts: 200 with the new ids, or the contacts with ``get=true``."""
    body, relax = call.body_object(), bool(query_bool(call.query, "relax"))
    raw_contacts = body.get("contacts")
    if not isinstance(raw_contacts, list) or not raw_contacts:
        raise validation("contacts must be a non-empty array")
    inputs = [validated_input(state, call, raw, relax=relax) for raw in raw_contacts]
    stamp = now()
    created = [_save(state, build_contact(state, call.brand, call.user_id, data, stamp)) for data in inputs]
    if query_bool(call.query, "get"):
        return ok_page([render_contact(state, c, call.expand) for c in created], len(created))
    return ok_page([c["id"] for c in created], len(created))


def _contact_of(state: SandboxState, call: Call) -> Document:
    return state.contact(call.brand, require_uuid(call.path["id"], "id"))


def get_contact(state: SandboxState, call: Call) -> Response:
    """GET /contacts/{id}."""
    return ok(render_contact(state, _contact_of(state, call), call.expand))


def update_contact(state: SandboxState, call: Call) -> Response:
    """PATCH /contacts/{id}: 200 with the updated contact."""
    contact = _contact_of(state, call)
    updated = _save(state, _patched(state, call, contact, call.body_object(), now()))
    return ok(render_contact(state, updated, call.expand))


def _soft_delete(state: SandboxState, contact: Document, stamp: float, reason: str = "direct_request") -> None:
    _save(state, {**contact, "deleted_at": stamp, "deleted_for": reason, "updated_at": stamp})


def delete_contact(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts/{id}: soft delete, 204."""
    _soft_delete(state, _contact_of(state, call), now())
    return no_content()


def set_owner(state: SandboxState, call: Call) -> Response:
    """PUT /contacts/{id}/owner: the new owner must be in the brand."""
    contact = _contact_of(state, call)
    owner = state.require_member(call.body_object().get("user"), call.brand, "user")
    updated = _save(state, {**contact, "user": owner, "user_id": owner, "updated_at": now()})
    return ok(render_contact(state, updated, call.expand))


def set_touch(state: SandboxState, call: Call) -> Response:
    """PATCH /contacts/{id}/touch: the touch frequency in days (next_touch follows last_touch)."""
    contact, body = _contact_of(state, call), call.body_object()
    if "touch_freq" not in body:
        raise validation("touch_freq is required")
    freq = body["touch_freq"]
    if freq is not None and (isinstance(freq, bool) or not isinstance(freq, int) or freq < 1):
        raise validation("touch_freq must be a positive number of days")
    last = contact["last_touch"]
    next_touch = last + freq * _DAY_S if freq is not None and last is not None else None
    updated = _save(state, {**contact, "touch_freq": freq, "next_touch": next_touch, "updated_at": now()})
    return ok(render_contact(state, updated, call.expand))


def set_assignees(state: SandboxState, call: Call) -> Response:
    """PUT /contacts/{id}/assignees: replace the assignees (users of the brand)."""
    contact, raw = _contact_of(state, call), call.body_object().get("assignees")
    if not isinstance(raw, list) or not all(isinstance(a, dict) for a in raw):
        raise validation("assignees must be an array of {user}")
    assignees = [
        {
            "type": "contact_role",
            "role": "assignee",
            "user": state.require_member(a.get("user"), call.brand, "assignee"),
            "brand": call.brand,
        }
        for a in raw
    ]
    updated = _save(state, {**contact, "assignees": assignees, "updated_at": now()})
    return ok(render_contact(state, updated, call.expand))


def bulk_update_contacts(state: SandboxState, call: Call) -> Response:
    """PATCH /contacts: per-contact patches, or one ``patch`` applied to ``ids``; 204."""
    body, stamp = call.body_object(), now()
    patches = body.get("contacts")
    if patches is not None:
        if not isinstance(patches, list) or not all(isinstance(p, dict) for p in patches):
            raise validation("contacts must be an array of objects")
        targets = [(state.contact(call.brand, require_uuid(p.get("id"), "id")), p) for p in patches]
    else:
        patch = body.get("patch")
        if not isinstance(patch, dict):
            raise validation("Send contacts, or patch with ids")
        ids = _uuid_list(body.get("ids"), "ids")
        targets = [(state.contact(call.brand, ident), patch) for ident in ids]
    for contact, patch in targets:  # every target is checked above before anything changes
        _save(state, _patched(state, call, contact, patch, stamp))
    return no_content()


def bulk_delete_contacts(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts: soft delete ``ids`` (body or ``ids[]``); 204."""
    ids = _uuid_list(call.body_object().get("ids"), "ids") + [
        require_uuid(i, "ids") for i in query_list(call.query, "ids")
    ]
    if not ids:
        raise validation("ids are required")
    contacts = [state.contact(call.brand, ident) for ident in ids]
    stamp = now()
    for contact in contacts:
        _soft_delete(state, contact, stamp)
    return no_content()


def undelete_contacts(state: SandboxState, call: Call) -> Response:
    """POST /contacts/undelete: restore contacts deleted in the range (400 without one); 204."""
    body = call.body_object()
    low = body.get("deleted_gte", query_number(call.query, "deleted_gte"))
    high = body.get("deleted_lte", query_number(call.query, "deleted_lte"))
    if low is None and high is None:
        raise bad_request("deleted_gte or deleted_lte is required")
    ids = set(_uuid_list(body.get("ids"), "ids"))
    for contact in state.store.scan("contacts"):
        deleted = contact.get("deleted_at")
        if contact["brand"] != call.brand or deleted is None or (ids and contact["id"] not in ids):
            continue
        if (low is None or deleted >= low) and (high is None or deleted <= high):
            _save(state, {**contact, "deleted_at": None, "deleted_for": None, "updated_at": now()})
    return no_content()


def add_attributes(state: SandboxState, call: Call) -> Response:
    """POST /contacts/{id}/attributes: add; answers the list of the added attributes."""
    contact, raw = _contact_of(state, call), call.body_object().get("attributes")
    if not isinstance(raw, list) or not raw:
        raise validation("attributes must be a non-empty array")
    if any(isinstance(a, dict) and a.get("id") for a in raw):
        raise validation("New attributes cannot carry an id")
    before = {a["id"] for a in contact["attributes"]}
    updated = _save(state, _patched(state, call, contact, {"attributes": raw}, now()))
    added = [dict(a) for a in updated["attributes"] if a["id"] not in before]
    return ok_page(added, len(added))


def update_attribute(state: SandboxState, call: Call) -> Response:
    """PUT /contacts/{id}/attributes/{attribute_id}: edit one attribute; answers the attribute."""
    contact = _contact_of(state, call)
    ident = require_uuid(call.path["attribute_id"], "attribute_id")
    patch = {"attributes": [{**call.body_object(), "id": ident}]}
    updated = _save(state, _patched(state, call, contact, patch, now()))
    return ok(dict(updated["attributes"][_attribute_position(updated["attributes"], ident)]))


def _remove_attributes(contact: Document, ids: set[str], stamp: float) -> Document:
    kept = [a for a in contact["attributes"] if a["id"] not in ids]
    return refresh({**contact, "attributes": kept, "updated_at": stamp})


def delete_attribute(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts/{id}/attributes/{attribute_id}: the contact, or 404 for an unknown attribute."""
    contact = _contact_of(state, call)
    ident = require_uuid(call.path["attribute_id"], "attribute_id")
    _attribute_position(contact["attributes"], ident)
    updated = _save(state, _remove_attributes(contact, {ident}, now()))
    return ok(render_contact(state, updated, call.expand))


def bulk_add_attributes(state: SandboxState, call: Call) -> Response:
    """POST /contacts/attributes: the same attributes added to every contact in ``ids``; 204."""
    body, stamp = call.body_object(), now()
    contacts = [state.contact(call.brand, ident) for ident in _uuid_list(body.get("ids"), "ids")]
    raw = body.get("attributes")
    if not contacts or not isinstance(raw, list) or not raw:
        raise validation("ids and attributes are required")
    fresh = [{k: v for k, v in a.items() if k != "id"} if isinstance(a, dict) else a for a in raw]
    for contact in contacts:
        _save(state, _patched(state, call, contact, {"attributes": fresh}, stamp))
    return no_content()


def bulk_delete_attributes(state: SandboxState, call: Call) -> Response:
    """DELETE /contacts/attributes: remove attributes by id across the brand's contacts; 204."""
    ids = set(_uuid_list(call.body_object().get("ids"), "ids"))
    if not ids:
        raise validation("ids are required")
    stamp = now()
    for contact in state.scoped("contacts", call.brand):
        if any(a["id"] in ids for a in contact["attributes"]):
            _save(state, _remove_attributes(contact, ids, stamp))
    return no_content()
