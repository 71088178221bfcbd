"""Lead endpoints of the Activix sandbox: leads, their emails, phones, vehicles and notes, the account."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmbridge.sandbox.activix._children import (
    check_item,
    check_items,
    duplicate_message,
    item_document,
    refresh_validity,
    taken_types,
)
from crmbridge.sandbox.activix._http import Invalid, json_answer, not_found, read_object
from crmbridge.sandbox.activix._query import page_of, parse_filters, parse_paging, search_predicate
from crmbridge.sandbox.activix._render import (
    ACCOUNT_INCLUDES,
    LEAD_INCLUDES,
    parse_includes,
    render_account,
    render_email,
    render_lead,
    render_note,
    render_phone,
    render_vehicle,
)
from crmbridge.sandbox.activix._state import LEAD_FIELDS, WRITABLE_ROLES, ActivixState, Document
from crmbridge.sandbox.activix._validate import Errors, check_value, refuse_unknown

__all__ = ["LeadEndpoints"]

_RENDER = {"emails": render_email, "phones": render_phone, "vehicles": render_vehicle}
_GENDERS = (0, 1, 2, 9)
_BOOLEAN_QUERY = {"1": True, "true": True, "0": False, "false": False}


class LeadEndpoints:
    """The handlers of ``/leads``, ``/lead-emails``, ``/lead-phones``, ``/lead-vehicles``, notes and ``/account``."""

    def __init__(self, state: ActivixState) -> None:
        self.state = state

    # -- leads ------------------------------------------------------------------------------------

    async def list_leads(self, request: Request) -> Response:
        """``GET /leads``: filtered, newest first, one page."""
        params = request.query_params.multi_items()
        includes = parse_includes(params, LEAD_INCLUDES)
        page, per_page = parse_paging(params)
        predicates = parse_filters(self.state, params)
        leads = [lead for lead in self.state.leads_newest_first() if all(match(lead) for match in predicates)]
        return self._page(request, leads, page, per_page, includes)

    async def search_leads(self, request: Request) -> Response:
        """``GET /leads/search?query=``."""
        params = request.query_params.multi_items()
        query = request.query_params.get("query", "").strip()
        if not query:
            raise Invalid({"query": ["The query field is required."]})
        includes = parse_includes(params, LEAD_INCLUDES)
        page, per_page = parse_paging(params)
        match = search_predicate(self.state, query)
        leads = [lead for lead in self.state.leads_newest_first() if match(lead)]
        return self._page(request, leads, page, per_page, includes)

    def _page(self, request: Request, leads: list[Document], page: int, per_page: int, includes: list[str]) -> Response:
        chosen, envelope = page_of(request.url, leads, page, per_page)
        data = [render_lead(self.state, lead, includes) for lead in chosen]
        return json_answer({"data": data, **envelope})

    async def get_lead(self, request: Request) -> Response:
        """``GET /leads/{id}``."""
        includes = parse_includes(request.query_params.multi_items(), LEAD_INCLUDES)
        lead = self.state.require("leads", request.path_params["id"])
        return json_answer({"data": render_lead(self.state, lead, includes)})

    async def create_lead(self, request: Request) -> Response:
        """``POST /leads`` (``type`` required; ``created_method`` is always ``api``)."""
        alerts = self._trigger_alerts(request)
        body = await read_object(request)
        now = self.state.now()
        lead: Document = {**dict.fromkeys(LEAD_FIELDS), "created_method": "api", "created_at": now, "updated_at": now}
        lead["account_id"] = self.state.account()["id"]
        lead["roles"], lead["custom_fields"] = {}, []
        items = self._apply(body, lead, creating=True)
        lead = self.state.insert("leads", lead)
        self._add_items(lead["id"], items, now)
        if alerts:
            self.state.insert("alerts", {"lead_id": lead["id"], "created_at": now})
        return json_answer({"data": render_lead(self.state, lead)}, 201)

    async def update_lead(self, request: Request) -> Response:
        """``PUT /leads/{id}``: partial; ``emails``/``phones``/``vehicles`` append."""
        lead = self.state.require("leads", request.path_params["id"])
        body = await read_object(request)
        lead["roles"] = dict(lead.get("roles", {}))
        items = self._apply(body, lead, creating=False)
        now = self.state.now()
        lead["updated_at"] = now
        self.state.save("leads", lead)
        self._add_items(lead["id"], items, now)
        return json_answer({"data": render_lead(self.state, lead)})

    def _trigger_alerts(self, request: Request) -> bool:
        raw = request.query_params.get("trigger_alerts", "false").lower()
        if raw not in _BOOLEAN_QUERY:
            raise Invalid({"trigger_alerts": ["The trigger_alerts field must be true or false."]})
        return _BOOLEAN_QUERY[raw]

    def _apply(self, body: dict[str, Any], lead: Document, *, creating: bool) -> dict[str, list[dict[str, Any]]]:
        """Check ``body`` and write its columns into ``lead``; returns the items to append. One 422 for all errors."""
        errors = Errors()
        changes = {
            name: check_value(errors, name, body[name], kind) for name, kind in LEAD_FIELDS.items() if name in body
        }
        self._check_columns(errors, changes, creating=creating)
        roles = self._roles(errors, body)
        lead_id = lead.get("id", 0)
        items = {
            collection: check_items(
                errors, collection, body.get(collection), taken_types(self.state, collection, lead_id)
            )
            for collection in ("emails", "phones", "vehicles")
        }
        custom = self._custom_fields(errors, body.get("custom_fields", []))
        errors.raise_if_any()
        lead.update(changes)
        lead["roles"].update(roles)
        if custom:
            lead["custom_fields"] = _merged_custom_fields(lead.get("custom_fields", []), custom)
        return items

    def _custom_fields(self, errors: Errors, values: Any) -> list[dict[str, Any]]:
        """The account fields a body sets (``[{"id", "value"}]``), with their name and type; errors for the rest."""
        if not isinstance(values, list):
            errors.add("custom_fields", "The custom_fields must be an array.")
            return []
        defined = {field["id"]: field for field in self.state.account().get("custom_fields", [])}
        found: list[dict[str, Any]] = []
        for index, item in enumerate(values):
            where = f"custom_fields.{index}"
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, bool) or not isinstance(ident, int) or ident not in defined:
                errors.add(f"{where}.id", f"The selected {where}.id is invalid.")
                continue
            value = item.get("value")
            if value is not None and not isinstance(value, str):
                errors.add(f"{where}.value", f"The {where}.value must be a string.")
                continue
            definition = defined[ident]
            found.append({"id": ident, "name": definition["name"], "type": definition["type"], "value": value})
        return found

    def _check_columns(self, errors: Errors, changes: dict[str, Any], *, creating: bool) -> None:
        if creating and not changes.get("type"):
            errors.add("type", "The type field is required.")
        if changes.get("rating") is not None and not 1 <= changes["rating"] <= 5:
            errors.add("rating", "The rating must be between 1 and 5.")
        if changes.get("gender") is not None and changes["gender"] not in _GENDERS:
            errors.add("gender", "The gender must be an ISO/IEC 5218 code (0, 1, 2 or 9).")
        account_id = changes.get("account_id")
        if account_id is not None and account_id != self.state.account()["id"]:
            errors.add("account_id", "The selected account id is invalid.")
        elif "account_id" in changes:
            # The account comes from the API key: a null never detaches the lead from it.
            changes["account_id"] = self.state.account()["id"]

    def _roles(self, errors: Errors, body: dict[str, Any]) -> dict[str, int | None]:
        roles: dict[str, int | None] = {}
        for role in WRITABLE_ROLES:
            if role not in body:
                continue
            reference = body[role]
            if reference is None:
                roles[role] = None
                continue
            user = self.state.find_user(reference) if isinstance(reference, dict) else None
            if user is None:
                errors.add(role, f"The selected {role} is invalid.")
            else:
                roles[role] = user["id"]
        return roles

    def _add_items(self, lead_id: int, items: dict[str, list[dict[str, Any]]], now: str) -> None:
        for collection, fields_list in items.items():
            for fields in fields_list:
                self.state.insert(collection, item_document(collection, lead_id, fields, now))

    # -- emails, phones, vehicles -----------------------------------------------------------------

    async def create_item(self, request: Request, collection: str) -> Response:
        """``POST /lead-emails``, ``/lead-phones``, ``/lead-vehicles``."""
        body = await read_object(request)
        errors = Errors()
        lead_id = check_value(errors, "lead_id", body.get("lead_id"), "integer")
        if lead_id is None:
            errors.add("lead_id", "The lead id field is required.")
        elif self.state.get("leads", lead_id) is None:
            errors.add("lead_id", "The selected lead id is invalid.")
            lead_id = None
        fields = check_item(errors, collection, body, also=("lead_id",))
        if lead_id is not None:
            self._check_free_type(errors, collection, lead_id, fields.get("type"), besides=None)
        errors.raise_if_any()
        assert lead_id is not None  # errors.raise_if_any() answered otherwise
        item = self.state.insert(collection, item_document(collection, lead_id, fields, self.state.now()))
        return json_answer({"data": _RENDER[collection](item)}, 201)

    async def update_item(self, request: Request, collection: str) -> Response:
        """``PUT /lead-emails/{id}``, ``/lead-phones/{id}``, ``/lead-vehicles/{id}`` (partial)."""
        item = self.state.require(collection, request.path_params["id"])
        body = await read_object(request)
        errors = Errors()
        fields = check_item(errors, collection, body, partial=True)
        if "type" in fields:
            self._check_free_type(errors, collection, item["lead_id"], fields["type"], besides=item["id"])
        errors.raise_if_any()
        item.update(fields)
        item["updated_at"] = self.state.now()
        refresh_validity(collection, item)
        self.state.save(collection, item)
        return json_answer({"data": _RENDER[collection](item)})

    def _check_free_type(self, errors: Errors, collection: str, lead_id: int, kind: Any, besides: int | None) -> None:
        if collection == "vehicles" or kind is None:
            return
        if kind in taken_types(self.state, collection, lead_id, besides=besides):
            errors.add("type", duplicate_message(collection, kind))

    # -- notes --------------------------------------------------------------------------------------

    async def create_note(self, request: Request) -> Response:
        """``POST /leads/{lead_id}/notes``: ``content`` or ``file_url`` required."""
        lead = self.state.require("leads", request.path_params["lead_id"])
        body = await read_object(request)
        now = self.state.now()
        note: Document = {"lead_id": lead["id"], "parent_id": None, "user_id": None, "content": None, "file_url": None}
        note.update(self._note_fields(body, note))
        note.update(created_at=now, updated_at=now)
        return json_answer({"data": render_note(self.state.insert("notes", note))}, 201)

    async def update_note(self, request: Request) -> Response:
        """``PUT /leads/{lead_id}/notes/{note_id}`` (partial; the note must belong to the lead)."""
        lead = self.state.require("leads", request.path_params["lead_id"])
        note = self.state.require("notes", request.path_params["note_id"])
        if note["lead_id"] != lead["id"]:
            # Notes are nested under their lead: another lead's note does not exist at this path.
            raise not_found("Note")
        body = await read_object(request)
        note.update(self._note_fields(body, note))
        note["updated_at"] = self.state.now()
        self.state.save("notes", note)
        return json_answer({"data": render_note(note)})

    def _note_fields(self, body: dict[str, Any], note: Document) -> dict[str, Any]:
        errors = Errors()
        refuse_unknown(errors, body, ("content", "file_url", "parent_id", "user_id"))
        fields: dict[str, Any] = {
            name: check_value(errors, name, body[name], "string") for name in ("content", "file_url") if name in body
        }
        for name in ("parent_id", "user_id"):
            if name in body:
                fields[name] = check_value(errors, name, body[name], "integer")
        merged = {**note, **fields}
        if not merged.get("content") and not merged.get("file_url"):
            errors.add("content", "The content field is required when file url is not present.")
        parent = self.state.get("notes", merged["parent_id"]) if merged.get("parent_id") is not None else None
        if merged.get("parent_id") is not None and (parent is None or parent["lead_id"] != note["lead_id"]):
            errors.add("parent_id", "The selected parent id is invalid.")
        if merged.get("user_id") is not None and self.state.get("users", merged["user_id"]) is None:
            errors.add("user_id", "The selected user id is invalid.")
        errors.raise_if_any()
        return fields

    # -- account ----------------------------------------------------------------------------------

    async def get_account(self, request: Request) -> Response:
        """``GET /account``: an array of the key's one account."""
        includes = parse_includes(request.query_params.multi_items(), ACCOUNT_INCLUDES)
        return json_answer({"data": [render_account(self.state, includes)]})


def _merged_custom_fields(current: list[dict[str, Any]], given: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lead's custom field values after a write: the given ids set (null clears), the rest kept."""
    by_id = {field["id"]: field for field in current}
    for field in given:
        if field["value"] is None:
            by_id.pop(field["id"], None)
        else:
            by_id[field["id"]] = field
    return [by_id[ident] for ident in sorted(by_id)]
