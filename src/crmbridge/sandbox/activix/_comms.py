"""Communication endpoints of the Activix sandbox: communications, recordings, call logs, screen pop.

Choices where the docs are silent (also stated in the OpenAPI description):

- ``method`` and ``call_status`` accept any string (open enums); ``type`` is ``incoming``/``outgoing``.
- Attributes of another method (``call_*`` on an email, ``url`` on a call, ...) are a 422 naming each
  field, the same rule the Activix mapping applies before writing: refusing beats silently dropping.
- When an update changes ``method``, the attributes of the old method are cleared.
- A lead a call log creates has ``created_method: phone_system`` and the number as its ``mobile`` phone.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from crmbridge.sandbox.activix._children import item_document
from crmbridge.sandbox.activix._http import Invalid, json_answer, read_object
from crmbridge.sandbox.activix._render import render_call_log, render_communication
from crmbridge.sandbox.activix._state import LEAD_FIELDS, ActivixState, Document
from crmbridge.sandbox.activix._validate import Errors, Kind, check_value, refuse_unknown, to_e164

__all__ = ["PRIVATE_FIELDS", "CommunicationEndpoints"]

PRIVATE_FIELDS: tuple[str, ...] = ("email_subject", "email_body", "email_user", "url")
"""Write-only: stored under the communication's ``private`` key, never rendered."""

_FIELDS: dict[str, Kind] = {
    "lead_id": "integer",
    "method": "string",
    "type": "string",
    "executed_at": "datetime",
    "executed_by": "integer",
    "description": "string",
    "call_status": "string",
    "call_duration": "integer",
    "call_phone": "string",
    "email_subject": "string",
    "email_body": "string",
    "email_user": "string",
    "url": "string",
}
_METHOD_OF = {
    "call_status": "phone",
    "call_duration": "phone",
    "call_phone": "phone",
    "email_subject": "email",
    "email_body": "email",
    "email_user": "email",
    "url": "video",
}
_DIRECTIONS = ("incoming", "outgoing")
_CALL_LOG_FIELDS: dict[str, Kind] = {
    "lead_id": "integer",
    "status": "string",
    "direction": "string",
    "duration": "integer",
    "start_at": "datetime",
    "end_at": "datetime",
    "media_url": "string",
    "from": "string",
    "to": "string",
    "user_did": "string",
    "user_email": "string",
}
_AUDIO_TYPES = ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3")
_AUDIO_SUFFIXES = (".wav", ".mp3")


class CommunicationEndpoints:
    """The handlers of ``/communications``, ``/call-logs`` and ``/screenpop``."""

    def __init__(self, state: ActivixState) -> None:
        self.state = state

    # -- communications ---------------------------------------------------------------------------

    async def create_communication(self, request: Request) -> Response:
        """``POST /communications``: 201 with the stored communication (write-only fields left out)."""
        body = await read_object(request)
        now = self.state.now()
        document: Document = {**dict.fromkeys(("user_id", "executed_at", "description")), "created_at": now}
        document.update(dict.fromkeys(("call_duration", "call_phone", "call_status")))
        document["private"] = dict.fromkeys(PRIVATE_FIELDS)
        self._apply(body, document, update=False)
        document["updated_at"] = now
        return json_answer({"data": render_communication(self.state.insert("communications", document))}, 201)

    async def update_communication(self, request: Request) -> Response:
        """``PUT /communications/{id}``: partial; what is not sent is left unchanged (the docs' example)."""
        document = self.state.require("communications", request.path_params["id"])
        body = await read_object(request)
        document["private"] = dict(document["private"])
        self._apply(body, document, update=True)
        document["updated_at"] = self.state.now()
        self.state.save("communications", document)
        return json_answer({"data": render_communication(document)})

    def _apply(self, body: dict[str, Any], document: Document, *, update: bool) -> None:
        errors = Errors()
        # created_at is not editable (ignored); a key the OpenAPI file does not list is refused, as it says.
        refuse_unknown(errors, body, (*_FIELDS, "created_at"))
        values = {name: check_value(errors, name, body[name], kind) for name, kind in _FIELDS.items() if name in body}
        # An update checks what it sends against what is stored; a create has only what it sends.
        required = [name for name in ("lead_id", "method", "type") if not update or name in values]
        self._check(errors, values, required, stored_method=document.get("method") if update else None)
        errors.raise_if_any()
        method = values.get("method", document.get("method"))
        if isinstance(method, str) and method != document.get("method"):
            self._clear_other_methods(document, method)
        for name, value in values.items():
            if name in PRIVATE_FIELDS:
                document["private"][name] = value
            else:
                document["user_id" if name == "executed_by" else name] = value

    def _check(self, errors: Errors, values: dict[str, Any], required: list[str], *, stored_method: str | None) -> None:
        for name in required:
            if values.get(name) in (None, ""):
                errors.add(name, f"The {name.replace('_', ' ')} field is required.")
        if values.get("lead_id") is not None and self.state.get("leads", values["lead_id"]) is None:
            errors.add("lead_id", "The selected lead id is invalid.")
        if values.get("type") is not None and values["type"] not in _DIRECTIONS:
            errors.add("type", "The selected type is invalid (incoming or outgoing).")
        if values.get("executed_by") is not None and self.state.get("users", values["executed_by"]) is None:
            errors.add("executed_by", "The selected executed by is invalid.")
        if values.get("call_duration") is not None and values["call_duration"] < 0:
            errors.add("call_duration", "The call duration must be at least 0.")
        if values.get("call_phone") is not None:
            values["call_phone"] = self._e164(errors, "call_phone", values["call_phone"])
        method = values.get("method") or stored_method
        for name, owner in _METHOD_OF.items():
            if values.get(name) is not None and method and method != owner:
                errors.add(name, f"The {name} field is only allowed when method is {owner}.")

    @staticmethod
    def _e164(errors: Errors, name: str, value: str) -> str | None:
        number = to_e164(value)
        if number is None:
            errors.add(name, f"The {name} must be a phone number in E.164 format.")
        return number

    @staticmethod
    def _clear_other_methods(document: Document, method: str) -> None:
        for name, owner in _METHOD_OF.items():
            if owner != method:
                if name in PRIVATE_FIELDS:
                    document["private"][name] = None
                else:
                    document[name] = None

    # -- recording --------------------------------------------------------------------------------

    async def upload_recording(self, request: Request) -> Response:
        """``POST /communications/{id}/recording``: multipart field ``recording`` (wav or mp3), replacing any."""
        communication = self.state.require("communications", request.path_params["id"])
        async with request.form() as form:
            upload = form.get("recording")
            if not isinstance(upload, UploadFile):
                raise Invalid({"recording": ["The recording field is required."]})
            if not _is_audio(upload):
                raise Invalid({"recording": ["The recording must be a file of type: wav, mp3."]})
            content = await upload.read()
            self.state.store.put(
                "recordings",
                str(communication["id"]),
                {
                    "communication_id": communication["id"],
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "size": len(content),
                    "sha256": hashlib.sha256(content).hexdigest(),
                    "uploaded_at": self.state.now(),
                },
            )
        return json_answer({"message": "Recording uploaded successfully."})

    # -- call logs --------------------------------------------------------------------------------

    async def create_call_log(self, request: Request) -> Response:
        """``POST /call-logs``: creates the phone communication (and the lead when none matches)."""
        body = await read_object(request)
        now = self.state.now()
        empty: Document = {**dict.fromkeys(_CALL_LOG_FIELDS), "direction": "outgoing", "created_at": now}
        log, user_id, number = self._check_call_log(body, empty)
        lead_id = log["lead_id"] if log["lead_id"] is not None else self._lead_for(number, now)
        log["lead_id"] = lead_id
        communication: Document = {"created_at": now, "private": dict.fromkeys(PRIVATE_FIELDS), "description": None}
        self._sync_communication(communication, log, user_id, number, now)
        communication = self.state.insert("communications", communication)
        log.update(communication_id=communication["id"], updated_at=now)
        log = self.state.insert("call_logs", log)
        return json_answer({"data": render_call_log(self.state, log)}, 201)

    async def update_call_log(self, request: Request) -> Response:
        """``PUT /call-logs/{id}``: partial; the communication follows."""
        existing = self.state.require("call_logs", request.path_params["id"])
        body = await read_object(request)
        log, user_id, number = self._check_call_log(body, existing)
        now = self.state.now()
        communication = self.state.require("communications", log["communication_id"])
        self._sync_communication(communication, log, user_id, number, now)
        self.state.save("communications", communication)
        log["updated_at"] = now
        self.state.save("call_logs", log)
        return json_answer({"data": render_call_log(self.state, log)})

    def _check_call_log(self, body: dict[str, Any], existing: Document) -> tuple[Document, int | None, str | None]:
        """The merged call log, the user it names (if any) and the customer's number; one 422 for all errors."""
        errors = Errors()
        refuse_unknown(errors, body, _CALL_LOG_FIELDS)
        values = {
            name: check_value(errors, name, body[name], kind) for name, kind in _CALL_LOG_FIELDS.items() if name in body
        }
        for name in ("from", "to", "user_did"):
            if values.get(name) is not None:
                values[name] = self._e164(errors, name, values[name])
        log = {**existing, **values}
        self._check_call_values(errors, log)
        user_id = self._call_user(errors, values)
        number = log["to"] if log["direction"] == "outgoing" else log["from"]
        if log["lead_id"] is not None and self.state.get("leads", log["lead_id"]) is None:
            errors.add("lead_id", "The selected lead id is invalid.")
        elif log["lead_id"] is None and number is None:
            errors.add("lead_id", "The lead id field is required when the customer's number (from/to) is not present.")
        errors.raise_if_any()
        return log, user_id, number

    @staticmethod
    def _check_call_values(errors: Errors, log: Document) -> None:
        if log["direction"] not in _DIRECTIONS:
            errors.add("direction", "The selected direction is invalid (incoming or outgoing).")
            log["direction"] = "outgoing"
        if log["duration"] is not None and log["duration"] < 0:
            errors.add("duration", "The duration must be at least 0.")
        # A completed call needs both: one without the other is refused.
        if (log["end_at"] is None) != (log["duration"] is None):
            missing = "end_at" if log["end_at"] is None else "duration"
            errors.add(missing, f"The {missing.replace('_', ' ')} field is required to complete a call.")
        if log["start_at"] and log["end_at"] and log["end_at"] < log["start_at"]:
            errors.add("end_at", "The end at must be a date after or equal to start at.")
        if log["media_url"] is not None and not log["media_url"].startswith(("http://", "https://")):
            errors.add("media_url", "The media url must be a valid URL.")

    def _call_user(self, errors: Errors, values: dict[str, Any]) -> int | None:
        user = None
        if values.get("user_email") is not None:
            user = self.state.find_user({"email": values["user_email"]})
            if user is None:
                errors.add("user_email", "The selected user email is invalid.")
        elif values.get("user_did") is not None:
            user = self.state.find_user_by_did(values["user_did"])
            if user is None:
                errors.add("user_did", "The selected user did is invalid.")
        return user["id"] if user is not None else None

    def _lead_for(self, number: str | None, now: str) -> int:
        """The lead with phone ``number``, or a new one carrying it as its mobile phone."""
        assert number is not None  # _check_call_log refused a log with neither lead_id nor number
        found = self.state.find_lead_by_phone(number)
        if found is not None:
            return int(found["id"])
        lead: Document = {**dict.fromkeys(LEAD_FIELDS), "created_method": "phone_system", "created_at": now}
        lead.update(updated_at=now, account_id=self.state.account()["id"], type="phone", roles={}, custom_fields=[])
        lead = self.state.insert("leads", lead)
        self.state.insert("phones", item_document("phones", lead["id"], {"number": number, "type": "mobile"}, now))
        return int(lead["id"])

    @staticmethod
    def _sync_communication(
        communication: Document, log: Document, user_id: int | None, number: str | None, now: str
    ) -> None:
        communication.update(
            lead_id=log["lead_id"],
            method="phone",
            type=log["direction"],
            executed_at=log["start_at"],
            call_status=log["status"],
            call_duration=log["duration"],
            call_phone=number,
            updated_at=now,
        )
        if user_id is not None or "user_id" not in communication:
            communication["user_id"] = user_id

    # -- screen pop ---------------------------------------------------------------------------------

    async def screenpop(self, request: Request) -> Response:
        """``POST /screenpop``: needs (``lead_id`` or ``lead_did``) and (``user_id`` or ``user_did``)."""
        body = await read_object(request)
        errors = Errors()
        for who in ("lead", "user"):
            self._check_party(errors, body, who)
        errors.raise_if_any()
        return json_answer({"message": "Screen pop sent."})

    def _check_party(self, errors: Errors, body: dict[str, Any], who: str) -> None:
        ident_key, did_key = f"{who}_id", f"{who}_did"
        if body.get(ident_key) is None and body.get(did_key) is None:
            errors.add(ident_key, f"The {who} id field is required when {who} did is not present.")
            return
        ident = check_value(errors, ident_key, body.get(ident_key), "integer")
        if ident is not None and self.state.get(f"{who}s", ident) is None:
            errors.add(ident_key, f"The selected {who} id is invalid.")
        did = check_value(errors, did_key, body.get(did_key), "string")
        if did is not None and to_e164(did) != did:
            errors.add(did_key, f"The {who} did must be a phone number in E.164 format.")


def _is_audio(upload: UploadFile) -> bool:
    name = (upload.filename or "").lower()
    return (upload.content_type or "").lower() in _AUDIO_TYPES or name.endswith(_AUDIO_SUFFIXES)
