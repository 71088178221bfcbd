"""EstatePrime Contact ↔ canonical Contact, with its phones, emails and contact details."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.adapters._base import Resolver
from crmbridge.adapters._support import int_ref
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._base import EstatePrimeMapping
from crmbridge.adapters.estateprime._common import (
    NOT_TRACKED,
    SYSTEM,
    BodyBuilder,
    extras_of,
    foreign_nested,
    set_fields,
    value_object,
    wire_reader,
)
from crmbridge.canonical import Contact, EmailAddress, Person, Phone
from crmbridge.canonical._construct import construct

__all__ = ["ContactMapping"]


class ContactMapping(EstatePrimeMapping):
    """Reads and writes contacts; ``unsupported`` paths of a contact."""

    # -- reading (built with ``construct``: see EstatePrimeMapping) ----------------------------

    def _read_contact(self, payload: Mapping[str, Any]) -> Contact:
        data = wire_reader("contact")(payload)
        extras = extras_of(payload, wire.Contact, NOT_TRACKED["contact"])
        memo = self._null_lists(payload, "contact")
        phones, emails, details = data["phones"], data["emails"], data["contact_details"]
        return construct(
            Contact,
            {
                "ref": int_ref(SYSTEM, "contact", data["id"]),
                "first_name": data["first_name"],
                "last_name": data["last_name"],
                "source": self._lookup("source", data["source_id"]),
                "is_lead": data["is_lead"],
                "is_company": data["is_company"],
                "company_name": data["company_name"],
                "phones": [
                    self._read_phone(p, raw, i)
                    for i, (p, raw) in enumerate(zip(phones, payload["phones"], strict=True))
                ]
                if phones
                else [],
                "emails": [
                    self._read_email(e, raw, i)
                    for i, (e, raw) in enumerate(zip(emails, payload["emails"], strict=True))
                ]
                if emails
                else [],
                "notes": data["notes"],
                "custom_fields": self._read_custom_fields("contact", data["custom_fields"], payload, memo, extras),
                "related_people": [
                    self._read_contact_detail(d, raw, i)
                    for i, (d, raw) in enumerate(zip(details, payload["contact_details"], strict=True))
                ]
                if details
                else [],
                "tags": self._lookups("contact_tag", data["tags"]),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "created_by": int_ref(SYSTEM, "user", data["created_by"]),
                "owners": self._refs("user", data["users"]),
                "updated_at": self._read_instant(data["date_updated"], "date_updated", memo),
                "converted_at": self._read_instant(data["date_converted_to_client"], "date_converted_to_client", memo),
                "extras": self._with_memo(extras, memo),
            },
        )

    @staticmethod
    def _read_phone(phone: dict[str, Any], raw: Mapping[str, Any], index: int) -> Phone:
        return value_object(
            Phone,
            {
                "number": phone["number"],
                "kind": phone["type"],
                "note": phone["notes"],
                "extras": extras_of(raw, wire.Phone),
            },
            "contact",
            "phones",
            index,
        )

    @staticmethod
    def _read_email(email: dict[str, Any], raw: Mapping[str, Any], index: int) -> EmailAddress:
        return value_object(
            EmailAddress,
            {
                "address": email["email_address"],
                "kind": email["type"],
                "note": email["notes"],
                "extras": extras_of(raw, wire.Email),
            },
            "contact",
            "emails",
            index,
        )

    @staticmethod
    def _read_contact_detail(detail: dict[str, Any], raw: Mapping[str, Any], index: int) -> Person:
        return value_object(
            Person,
            {
                "first_name": detail["first_name"],
                "last_name": detail["last_name"],
                "phone": detail["mobile"],
                "email": detail["email"],
                "note": detail["notes"],
                "extras": extras_of(raw, wire.ContactDetail),
            },
            "contact",
            "contact_details",
            index,
        )

    # -- writing -----------------------------------------------------------------------------

    def _contact_body(self, c: Contact, resolve: Resolver | None, body: BodyBuilder) -> None:
        own = self.owns(c)
        body.put("first_name", lambda: c.first_name)
        body.put("last_name", lambda: c.last_name)
        body.put("source_id", lambda: self._lookup_id(c.source, "source", "source", c, resolve))
        body.put("is_lead", lambda: c.is_lead)
        body.put("is_company", lambda: c.is_company)
        body.put("company_name", lambda: c.company_name)
        body.put("phones", lambda: self._list(c, "phones", [self._phone_body(p, own) for p in c.phones]))
        body.put("emails", lambda: self._list(c, "emails", [self._email_body(e, own) for e in c.emails]))
        body.put("notes", lambda: c.notes)
        body.put("custom_fields", lambda: self._custom_fields_body(c, resolve))
        body.put(
            "contact_details",
            lambda: self._list(c, "contact_details", [self._detail_body(p, own) for p in c.related_people]),
        )
        body.put("tags", lambda: self._list(c, "tags", self._lookup_ids(c.tags, "contact_tag", c, resolve)))
        body.put("users", lambda: self._list(c, "users", self._ref_ids(c.owners, "user", "owners", c, resolve)))
        body.put(
            "date_converted_to_client",
            lambda: self._write_instant(c.converted_at, "date_converted_to_client", c, "converted_at"),
        )

    def _phone_body(self, phone: Phone, own: bool) -> dict[str, Any]:
        fields = {"type": phone.kind, "number": phone.number, "notes": phone.note}
        return self._nested(fields, phone.extras, own)

    def _email_body(self, email: EmailAddress, own: bool) -> dict[str, Any]:
        fields = {"type": email.kind, "email_address": email.address, "notes": email.note}
        return self._nested(fields, email.extras, own)

    def _detail_body(self, person: Person, own: bool) -> dict[str, Any]:
        fields = {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "mobile": person.phone,
            "email": person.email,
            "notes": person.note,
        }
        return self._nested(fields, person.extras, own)

    def _unsupported_contact(self, c: Contact, own: bool) -> list[str]:
        paths = set_fields(
            c,
            ("title", "middle_name", "nickname", "display_name", "job_title", "addresses", "birthday", "websites"),
        )
        paths += set_fields(c, ("updated_by", "deleted_at"))
        if not own:
            paths += set_fields(c, ("created_at", "updated_at", "created_by"))
        for i, phone in enumerate(c.phones):
            paths += [f"phones[{i}].{name}" for name in set_fields(phone, ("extension",))]
            paths += [f"phones[{i}].is_primary"] if phone.is_primary else []
            paths += foreign_nested(f"phones[{i}]", phone.extras, own)
        for i, email in enumerate(c.emails):
            paths += [f"emails[{i}].is_primary"] if email.is_primary else []
            paths += foreign_nested(f"emails[{i}]", email.extras, own)
        for i, person in enumerate(c.related_people):
            paths += [f"related_people[{i}].relation"] if person.relation is not None else []
            paths += foreign_nested(f"related_people[{i}]", person.extras, own)
        paths += self._unknown_lookups(c.tags, "contact_tag", "tags")
        paths += self._unknown_lookups([c.source] if c.source else [], "source", "source", single=True)
        return paths
