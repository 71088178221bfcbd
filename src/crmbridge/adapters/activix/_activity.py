"""Activix ``Communication`` <-> canonical :class:`~crmbridge.canonical.Activity`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cattrs

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._fastwire import WireReader
from crmbridge.adapters._support import unknown_fields
from crmbridge.adapters.activix._common import SYSTEM, BodyWriter, activix_ref, build_valid, local_int_id
from crmbridge.adapters.activix._phones import PhoneNormaliser
from crmbridge.adapters.activix.wire import WIRE_SCHEMAS, Communication, format_datetime
from crmbridge.canonical import Activity, Call
from crmbridge.canonical._construct import construct
from crmbridge.errors import MappingError

__all__ = ["CALL_KEYS", "PRIVATE_KEYS", "ActivityMapper"]

KIND = "activity"
CALL_KEYS: tuple[str, ...] = ("call_duration", "call_phone", "call_status")
PRIVATE_KEYS: tuple[str, ...] = ("email_subject", "email_body", "email_user", "url")
"""Write-only keys: Activix never returns them, so reading ignores whatever a payload holds."""


class ActivityMapper:
    """Reads and writes communications; built once per adapter."""

    __slots__ = ("adapter", "converter", "phones", "reader")

    def __init__(self, adapter: Adapter, converter: cattrs.Converter, phones: PhoneNormaliser) -> None:
        self.adapter = adapter
        self.converter = converter
        self.phones = phones
        self.reader: WireReader[Communication] = WireReader(
            Communication, schemas=WIRE_SCHEMAS, system=SYSTEM, kind=KIND
        )

    # -- reading --------------------------------------------------------------------------------

    def read(self, payload: Mapping[str, Any], *, path: str = "") -> Activity:
        """The Activity of one Communication object (``path`` prefixes error paths)."""
        # The reader validates the payload once (one native validator): the values
        # below are valid by construction, so the record is built without validating them again.
        wire = self.reader(payload, path)
        extras = unknown_fields(payload, Communication)
        call: Call | None = None
        if wire["method"] == "phone":
            call = self._read_call(wire, path=path)
        else:
            # Call attributes on another method have no canonical home; keep what Activix sent.
            extras.update({key: payload[key] for key in CALL_KEYS if payload.get(key) is not None})
        data: dict[str, Any] = {
            "ref": activix_ref("communication", wire["id"]),
            "contact": activix_ref("lead", wire["lead_id"]),
            "user": activix_ref("user", wire["user_id"]),
            "channel": wire["method"],
            "direction": wire["type"],
            "occurred_at": wire["executed_at"],
            "created_at": wire["created_at"],
            "updated_at": wire["updated_at"],
            "notes": wire["description"],
            "call": call,
            # email_* and url are write-only: whatever a payload holds is not Activix's data.
            "email": None,
            "video": None,
            "extras": extras,
        }
        return build_valid(Activity, KIND, data, path=path)

    @staticmethod
    def _read_call(wire: dict[str, Any], *, path: str) -> Call | None:
        duration, phone, status = wire["call_duration"], wire["call_phone"], wire["call_status"]
        if duration is None and phone is None and status is None:
            return None
        if duration is not None and duration < 0:
            where = f"{path}.call_duration" if path else "call_duration"
            raise MappingError(SYSTEM, KIND, where, "a call duration cannot be negative")
        return construct(Call, {"duration_s": duration, "phone": phone, "status": status})

    # -- writing --------------------------------------------------------------------------------

    def write(self, record: Activity, *, resolve: Resolver | None, fields: frozenset[str] | None) -> dict[str, Any]:
        """The create (``fields=None``) or update body of ``record``."""
        method = self._required(record.channel, "channel")
        self._check_attributes_match_method(record, method)
        writer = BodyWriter(fields)
        if self.adapter.owns(record) and writer.wants("extras"):
            writer.body.update(record.extras)
        # Activix requires lead_id, method and type on every write, create or update.
        writer.body["lead_id"] = self._lead_id(record, resolve)
        writer.body["method"] = method
        writer.body["type"] = self._required(record.direction, "direction")
        writer.put("occurred_at", "executed_at", format_datetime(record.occurred_at) if record.occurred_at else None)
        user_id = None
        if record.user is not None:
            user_id = local_int_id(
                self.adapter, record.user, expected_kind="user", path="user", record_kind=KIND, resolve=resolve
            )
        writer.put("user", "executed_by", user_id)
        writer.put("notes", "description", record.notes)
        self._write_call(record, writer)
        self._write_email(record, writer)
        writer.put("video", "url", record.video.url if record.video else None)
        for key in ("id", "created_at", "updated_at", "user_id"):
            # Read-only (or, for user_id, replaced by executed_by): never in a body, even from extras.
            writer.body.pop(key, None)
        return writer.body

    @staticmethod
    def _required(value: str | None, path: str) -> str:
        if value is None:
            raise MappingError(SYSTEM, KIND, path, "Activix requires it on every write")
        return value

    def _lead_id(self, record: Activity, resolve: Resolver | None) -> int:
        if record.contact is None:
            raise MappingError(SYSTEM, KIND, "contact", "Activix requires the lead on every write")
        return local_int_id(
            self.adapter, record.contact, expected_kind="lead", path="contact", record_kind=KIND, resolve=resolve
        )

    @staticmethod
    def _check_attributes_match_method(record: Activity, method: str) -> None:
        # Activix rejects or silently drops attributes of another method: refuse them here.
        if record.call is not None and method != "phone":
            raise MappingError(SYSTEM, KIND, "call", "call attributes need channel 'phone'")
        if record.email is not None and method != "email":
            raise MappingError(SYSTEM, KIND, "email", "email attributes need channel 'email'")
        if record.video is not None and method != "video":
            raise MappingError(SYSTEM, KIND, "video", "a video url needs channel 'video'")

    def _write_call(self, record: Activity, writer: BodyWriter) -> None:
        call = record.call or Call()
        writer.put("call", "call_duration", call.duration_s)
        writer.put("call", "call_phone", self._call_phone(call.phone))
        writer.put("call", "call_status", call.status)

    def _call_phone(self, number: str | None) -> str | None:
        if number is None:
            return None
        e164 = self.phones.to_e164(number)
        if e164 is None:
            raise MappingError(SYSTEM, KIND, "call.phone", "cannot be written as an E.164 phone number")
        return e164

    @staticmethod
    def _write_email(record: Activity, writer: BodyWriter) -> None:
        email = record.email
        writer.put("email", "email_subject", email.subject if email else None)
        writer.put("email", "email_body", email.body if email else None)
        writer.put("email", "email_user", email.user_address if email else None)

    # -- what cannot be stored -------------------------------------------------------------------

    def unsupported(self, record: Activity) -> list[str]:
        """Canonical paths of ``record`` that no Communication field can hold."""
        paths = self.adapter.foreign_extras(record)
        for name in ("channel_lookup", "office", "request"):
            if getattr(record, name) is not None:
                paths.append(name)
        paths.extend(f"listings[{i}]" for i in range(len(record.listings)))
        paths.extend(f"tags[{i}]" for i in range(len(record.tags)))
        paths.extend(f"custom_fields[{i}]" for i in range(len(record.custom_fields)))
        if not self.adapter.owns(record):
            # Activix sets these itself; another system's values cannot be carried over.
            paths.extend(name for name in ("created_at", "updated_at") if getattr(record, name) is not None)
        return paths
