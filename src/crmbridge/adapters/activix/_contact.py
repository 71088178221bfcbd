"""Activix ``Lead`` <-> canonical :class:`~crmbridge.canonical.Contact`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import cattrs

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._fastwire import WireReader
from crmbridge.adapters._support import ref_int_id, unknown_fields
from crmbridge.adapters.activix._common import (
    SYSTEM,
    BodyWriter,
    activix_ref,
    build_valid,
    local_int_id,
    read_from_activix,
)
from crmbridge.adapters.activix._field_defs import FIELD_REF_KIND, NATIVE_TYPES, read_value, write_value
from crmbridge.adapters.activix._phones import PhoneNormaliser
from crmbridge.adapters.activix._slots import EMAIL_ALIASES, EMAIL_TYPES, PHONE_ALIASES, PHONE_TYPES, Placement, place
from crmbridge.adapters.activix.wire import WIRE_SCHEMAS, Lead, LeadEmail, LeadPhone
from crmbridge.canonical import Address, Contact, CustomFieldValue, EmailAddress, Lookup, Phone
from crmbridge.canonical._construct import construct
from crmbridge.errors import MappingError

__all__ = ["CIVILITIES", "EMBEDDED_KEYS", "LINKED_USER_KEYS", "READ_ONLY_KEYS", "ContactMapper"]

KIND = "contact"

CIVILITIES: frozenset[str] = frozenset({"mr", "ms", "miss", "dr", "me"})
"""Documented ``civility`` values (open enum) that a foreign ``Contact.title`` may be written as."""

EMBEDDED_KEYS: frozenset[str] = frozenset({"communications"})
"""Included arrays read as records of their own (not extras): see ``embedded_activities``."""

READ_ONLY_KEYS: frozenset[str] = frozenset(
    {
        "id",
        "created_at",
        "updated_at",
        "created_method",
        "account",
        "associated_leads",
        "custom_fields",
        "events",
        "products",
        "tasks",
        "vehicles",
        "takeover_director",
        "delivered_by",
        "communications",
    }
)
"""Lead keys kept in ``extras`` on read but never written back: Activix sets them, they are
included objects with endpoints of their own, or (``vehicles``) they would be appended again."""

LINKED_USER_KEYS: frozenset[str] = frozenset({"bdc", "commercial", "service_advisor", "service_agent"})
"""User roles other than the advisor: kept in ``extras``; written back as ``{"id": N}`` links."""

_ADDRESS_KEYS: tuple[tuple[str, str], ...] = (
    ("line1", "address_line1"),
    ("line2", "address_line2"),
    ("city", "city"),
    ("region", "province"),
    ("postal_code", "postal_code"),
    ("country", "country"),
)


@attrs.frozen(kw_only=True)
class LeadWithLooseItems(Lead):
    """A Lead whose emails and phones are read one by one (see :meth:`ContactMapper._items`)."""

    emails: list[Any] | None = None
    phones: list[Any] | None = None


_ITEM_VALUE = {"emails": "address", "phones": "number"}
"""The key without which an email or phone item carries nothing to read."""


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class ContactMapper:
    """Reads and writes leads; built once per adapter."""

    __slots__ = ("adapter", "converter", "default_lead_type", "email_reader", "phone_reader", "phones", "reader")

    def __init__(
        self,
        adapter: Adapter,
        converter: cattrs.Converter,
        phones: PhoneNormaliser,
        default_lead_type: str | None = None,
    ) -> None:
        self.adapter = adapter
        self.converter = converter
        self.phones = phones
        self.default_lead_type = default_lead_type
        self.reader: WireReader[Lead] = WireReader(LeadWithLooseItems, schemas=WIRE_SCHEMAS, system=SYSTEM, kind=KIND)
        self.email_reader: WireReader[LeadEmail] = WireReader(LeadEmail, schemas=WIRE_SCHEMAS, system=SYSTEM, kind=KIND)
        self.phone_reader: WireReader[LeadPhone] = WireReader(LeadPhone, schemas=WIRE_SCHEMAS, system=SYSTEM, kind=KIND)

    # -- reading --------------------------------------------------------------------------------

    def read(self, payload: Mapping[str, Any]) -> Contact:
        """The Contact of one Lead object (its embedded communications are not read here)."""
        # The reader validates the payload once (one native validator): the values
        # below are valid by construction, so the record is built without validating them again.
        wire = self.reader(payload)
        extras = unknown_fields(payload, Lead)
        for key in EMBEDDED_KEYS:
            extras.pop(key, None)
        custom_fields = _read_custom_fields(extras.pop("custom_fields", None))
        advisor = wire["advisor"]
        advisor_id = advisor["id"] if advisor is not None else None
        if advisor is not None and advisor_id is None:
            # A user named without an id (the docs' create examples name the advisor by name):
            # no canonical owner can say that, so it is kept to be sent back as it came.
            extras["advisor"] = payload["advisor"]
        data: dict[str, Any] = {
            "ref": activix_ref("lead", wire["id"]),
            "is_lead": True,
            "title": wire["civility"],
            "first_name": wire["first_name"],
            "last_name": wire["last_name"],
            "is_company": wire["business"],
            "company_name": wire["business_name"],
            "birthday": wire["birth_date"],
            "notes": wire["comment"],
            "source": self._read_source(wire),
            "owners": [] if advisor_id is None else [activix_ref("user", advisor_id)],
            "addresses": self._read_addresses(wire),
            "emails": self._read_emails(self._items(wire["emails"], "emails", self.email_reader, extras)),
            "phones": self._read_phones(self._items(wire["phones"], "phones", self.phone_reader, extras)),
            "created_at": wire["created_at"],
            "updated_at": wire["updated_at"],
            "custom_fields": custom_fields,
            "extras": extras,
        }
        return build_valid(Contact, KIND, data)

    @staticmethod
    def _read_source(wire: dict[str, Any]) -> Lookup | None:
        source_id, source = wire["source_id"], wire["source"]
        if source_id is None and source is None:
            return None
        return construct(Lookup, {"ref": activix_ref("source", source_id), "name": source})

    @staticmethod
    def _read_addresses(wire: dict[str, Any]) -> list[Address]:
        values = {name: wire[key] for name, key in _ADDRESS_KEYS}
        if all(value is None for value in values.values()):
            return []
        return [construct(Address, values)]

    @staticmethod
    def _items(
        raws: list[Any] | None, key: str, reader: WireReader[Any], extras: dict[str, Any]
    ) -> list[tuple[int, dict[str, Any], Mapping[str, Any]]]:
        """The readable items of ``key`` with their index; one missing its value fails alone.

        An email without ``address`` or a phone without ``number`` (the docs' examples cut items
        short to ``{"id": ...}``) is kept as sent in ``extras["unread_items"]`` with its path and
        what is missing, and the rest of the lead reads. A value of the wrong type still fails the
        lead, naming the field.
        """
        required = _ITEM_VALUE[key]
        read: list[tuple[int, dict[str, Any], Mapping[str, Any]]] = []
        for index, raw in enumerate(raws or []):
            path = f"{key}[{index}]"
            if isinstance(raw, Mapping) and required not in raw:
                if not all(_is_scalar(value) for value in raw.values()):
                    # Kept as sent only when it is plain: anything nested fails the lead, named.
                    raise MappingError(SYSTEM, KIND, f"{path}.{required}", "required field missing")
                unread = {"path": path, "reason": f"{required} missing", "item": dict(raw)}
                extras.setdefault("unread_items", []).append(unread)
                continue
            if not isinstance(raw, Mapping):
                raise MappingError(SYSTEM, KIND, path, "expected a JSON object")
            read.append((index, reader(raw, path), raw))
        return read

    @staticmethod
    def _read_emails(items: list[tuple[int, dict[str, Any], Mapping[str, Any]]]) -> list[EmailAddress]:
        return [
            build_valid(
                EmailAddress,
                KIND,
                {"address": email["address"], "kind": email["type"], "extras": unknown_fields(item, LeadEmail)},
                path=f"emails[{index}]",
            )
            for index, email, item in items
        ]

    def _read_phones(self, items: list[tuple[int, dict[str, Any], Mapping[str, Any]]]) -> list[Phone]:
        return [
            build_valid(
                Phone,
                KIND,
                {
                    "number": phone["number"],
                    "kind": phone["type"],
                    "e164": self.phones.to_e164(phone["number"]),
                    "extension": None if phone["extension"] is None else str(phone["extension"]),
                    "extras": unknown_fields(item, LeadPhone),
                },
                path=f"phones[{index}]",
            )
            for index, phone, item in items
        ]

    # -- writing --------------------------------------------------------------------------------

    def write(
        self, record: Contact, *, resolve: Resolver | None, fields: frozenset[str] | None, update: bool
    ) -> dict[str, Any]:
        """The create (``update=False``) or update body of ``record``.

        Emails and phones only append on update, so an update sends only the ones that have no
        Activix id yet (those read from Activix carry it in their extras).
        """
        owned = self.adapter.owns(record)
        writer = BodyWriter(fields)
        if owned and writer.wants("extras"):
            writer.body.update(self._writable_extras(record.extras))
        writer.put("title", "civility", self._civility(record.title, ours=read_from_activix(record)))
        writer.put("first_name", "first_name", record.first_name)
        writer.put("last_name", "last_name", record.last_name)
        writer.put("is_company", "business", record.is_company)
        writer.put("company_name", "business_name", record.company_name)
        writer.put("birthday", "birth_date", record.birthday.isoformat() if record.birthday is not None else None)
        writer.put("notes", "comment", record.notes)
        self._write_address(record, writer)
        self._write_source(record, writer)
        self._write_advisor(record, writer, resolve)
        self._write_emails(record, writer, owned=owned, update=update)
        self._write_phones(record, writer, owned=owned, update=update)
        writer.put("custom_fields", "custom_fields", _custom_fields_body(record) or None)
        if not update and not read_from_activix(record):
            self._write_lead_type(writer.body)
        return writer.body

    def _write_lead_type(self, body: dict[str, Any]) -> None:
        # Activix requires a lead type on create (older revisions flag it; treat it as required),
        # and the canonical Contact has no such field: a lead read from Activix keeps its own in
        # extras (written back as it came), a contact from elsewhere takes default_lead_type.
        if body.get("type") is not None:
            return
        if self.default_lead_type is None:
            raise MappingError(
                SYSTEM,
                KIND,
                "extras.type",
                "Activix needs a lead type to create a lead: set the option default_lead_type"
                " (on the command line: --to-option default_lead_type=web_order)",
            )
        body["type"] = self.default_lead_type

    @staticmethod
    def _writable_extras(extras: Mapping[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for key, value in extras.items():
            if key in READ_ONLY_KEYS:
                continue
            if key in LINKED_USER_KEYS and isinstance(value, Mapping) and "id" in value:
                # Role objects only link an existing user; the id is what matches it.
                body[key] = {"id": value["id"]}
            else:
                body[key] = value
        return body

    @staticmethod
    def _civility(title: str | None, *, ours: bool) -> str | None:
        if title is None or ours:
            return title  # an open enum: a value Activix sent goes back unchanged
        normalised = title.strip().rstrip(".").lower()
        return normalised if normalised in CIVILITIES else None

    @staticmethod
    def _write_address(record: Contact, writer: BodyWriter) -> None:
        address = record.addresses[0] if record.addresses else Address(extras={})
        for name, key in _ADDRESS_KEYS:
            writer.put("addresses", key, getattr(address, name))

    @staticmethod
    def _write_source(record: Contact, writer: BodyWriter) -> None:
        source = record.source
        ref = source.ref if source is not None else None
        source_id = None
        if ref is not None and ref.system == SYSTEM and ref.kind == "source":
            source_id = ref_int_id(ref, record_kind=KIND, path="source.ref")
        writer.put("source", "source_id", source_id)
        writer.put("source", "source", source.name if source is not None else None)

    def _write_advisor(self, record: Contact, writer: BodyWriter, resolve: Resolver | None) -> None:
        if not record.owners:
            return  # Activix documents no way to unlink the advisor
        if writer.wants("owners"):
            user_id = local_int_id(
                self.adapter,
                record.owners[0],
                expected_kind="user",
                path="owners[0]",
                record_kind=KIND,
                resolve=resolve,
            )
            writer.body["advisor"] = {"id": user_id}

    def email_placement(self, record: Contact) -> Placement:
        """Which Activix type each email goes to, and which find no slot."""
        kinds = [email.kind for email in record.emails]
        return place(kinds, EMAIL_TYPES, EMAIL_ALIASES, keep_unknown=read_from_activix(record))

    def phone_placement(self, record: Contact) -> Placement:
        """Which Activix type each phone goes to, and which find no slot."""
        kinds = [phone.kind for phone in record.phones]
        return place(kinds, PHONE_TYPES, PHONE_ALIASES, keep_unknown=read_from_activix(record))

    def _write_emails(self, record: Contact, writer: BodyWriter, *, owned: bool, update: bool) -> None:
        if not writer.wants("emails"):
            return
        placement = self.email_placement(record)
        items = []
        for index, email in enumerate(record.emails):
            if index not in placement.types or (update and owned and "id" in email.extras):
                continue
            items.append({"type": placement.types[index], "address": email.address})
        if items:
            writer.body["emails"] = items

    def _write_phones(self, record: Contact, writer: BodyWriter, *, owned: bool, update: bool) -> None:
        if not writer.wants("phones"):
            return
        placement = self.phone_placement(record)
        items = []
        for index, phone in enumerate(record.phones):
            if index not in placement.types or (update and owned and "id" in phone.extras):
                continue
            item: dict[str, Any] = {"type": placement.types[index], "number": self._phone_number(phone, index)}
            extension = _extension_int(phone.extension)
            if extension is not None:
                item["extension"] = extension
            items.append(item)
        if items:
            writer.body["phones"] = items

    def _phone_number(self, phone: Phone, index: int) -> str:
        e164 = self.phones.to_e164(phone.e164 or phone.number)
        if e164 is None and phone.e164 is not None:
            e164 = self.phones.to_e164(phone.number)
        if e164 is None:
            raise MappingError(SYSTEM, KIND, f"phones[{index}].number", "cannot be written as an E.164 phone number")
        return e164

    # -- what cannot be stored -------------------------------------------------------------------

    def unsupported(self, record: Contact) -> list[str]:
        """Canonical paths of ``record`` that no Lead field can hold."""
        owned = self.adapter.owns(record)
        paths = self.adapter.foreign_extras(record)
        for name in ("middle_name", "nickname", "display_name", "job_title", "created_by", "updated_by"):
            if getattr(record, name) is not None:
                paths.append(name)
        for name in ("converted_at", "deleted_at"):
            if getattr(record, name) is not None:
                paths.append(name)
        if not owned:
            paths.extend(name for name in ("created_at", "updated_at") if getattr(record, name) is not None)
        if record.title is not None and self._civility(record.title, ours=read_from_activix(record)) is None:
            paths.append("title")
        if record.is_lead is False:
            paths.append("is_lead")  # every Activix lead is a lead
        if record.source is not None and record.source.ref is not None:
            ref = record.source.ref
            if not (ref.system == SYSTEM and ref.kind == "source"):
                paths.append("source.ref")
        for name in ("websites", "tags", "custom_fields", "related_people"):
            values = getattr(record, name)
            paths.extend(
                f"{name}[{i}]" for i, value in enumerate(values) if name != "custom_fields" or not _own_field(value)
            )
        paths.extend(_custom_field_losses(record))
        paths.extend(f"owners[{i}]" for i in range(1, len(record.owners)))
        paths.extend(self._address_losses(record, owned=owned))
        paths.extend(self._email_losses(record, owned=owned))
        paths.extend(self._phone_losses(record, owned=owned))
        return paths

    @staticmethod
    def _address_losses(record: Contact, *, owned: bool) -> list[str]:
        paths = [f"addresses[{i}]" for i in range(1, len(record.addresses))]
        if record.addresses:
            first = record.addresses[0]
            paths.extend(f"addresses[0].{name}" for name in ("full", "kind") if getattr(first, name) is not None)
            if not owned:
                paths.extend(f"addresses[0].extras.{key}" for key in first.extras)
        return paths

    def _email_losses(self, record: Contact, *, owned: bool) -> list[str]:
        placement = self.email_placement(record)
        paths = [f"emails[{i}]" for i in placement.overflow]
        for index, email in enumerate(record.emails):
            if index in placement.overflow:
                continue
            paths.extend(_value_losses(f"emails[{index}]", email.note, email.is_primary, email.extras, owned=owned))
        return paths

    def _phone_losses(self, record: Contact, *, owned: bool) -> list[str]:
        placement = self.phone_placement(record)
        paths = [f"phones[{i}]" for i in placement.overflow]
        for index, phone in enumerate(record.phones):
            if index in placement.overflow:
                continue
            where = f"phones[{index}]"
            paths.extend(_value_losses(where, phone.note, phone.is_primary, phone.extras, owned=owned))
            if phone.extension is not None and _extension_int(phone.extension) is None:
                paths.append(f"{where}.extension")
        return paths


def _value_losses(
    where: str, note: str | None, is_primary: bool, extras: Mapping[str, Any], *, owned: bool
) -> list[str]:
    paths = []
    if note is not None:
        paths.append(f"{where}.note")
    if is_primary:
        paths.append(f"{where}.is_primary")
    if not owned:
        paths.extend(f"{where}.extras.{key}" for key in extras)
    return paths


def _extension_int(extension: str | None) -> int | None:
    # Activix's extension is an integer: only an all-digit canonical extension fits.
    if extension is None:
        return None
    text = extension.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)


# -- custom fields (see _field_defs for how each type's value is spelled) --------------------------


def _read_custom_fields(items: Any) -> list[CustomFieldValue]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise MappingError(SYSTEM, KIND, "custom_fields", f"expected a list, got {type(items).__name__}")
    return [_read_custom_field(index, item) for index, item in enumerate(items)]


def _read_custom_field(index: int, item: Any) -> CustomFieldValue:
    path = f"custom_fields[{index}]"
    if not isinstance(item, Mapping):
        raise MappingError(SYSTEM, KIND, path, f"expected an object, got {type(item).__name__}")
    ident = item.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int) or ident < 1:
        raise MappingError(SYSTEM, KIND, f"{path}.id", "expected a positive integer id")
    native = item.get("type")
    name = item.get("name")
    try:
        value = read_value(native if isinstance(native, str) else None, item.get("value"))
    except ValueError as error:
        raise MappingError(SYSTEM, KIND, f"{path}.value", str(error)) from None
    return build_valid(
        CustomFieldValue,
        KIND,
        {
            "field": activix_ref(FIELD_REF_KIND, ident),
            "name": name if isinstance(name, str) else None,
            "type": NATIVE_TYPES.get(native) if isinstance(native, str) else None,
            "value": value,
        },
        path=path,
    )


def _custom_field_losses(record: Contact) -> list[str]:
    # Activix keeps a currency field's amount only: a currency code is not stored.
    return [
        f"custom_fields[{i}].value.currency"
        for i, custom in enumerate(record.custom_fields)
        if _own_field(custom) and custom.type == "currency" and getattr(custom.value, "currency", None) is not None
    ]


def _own_field(custom: CustomFieldValue) -> bool:
    return custom.field.system == SYSTEM and custom.field.kind == FIELD_REF_KIND


def _custom_fields_body(record: Contact) -> list[dict[str, Any]]:
    # Only this account's fields: another CRM's custom field has no Activix id (a field mapping
    # moves its value into one of ours first; unmapped ones are in the loss report).
    body = []
    for index, custom in enumerate(record.custom_fields):
        if not _own_field(custom):
            continue
        ident = ref_int_id(custom.field, record_kind=KIND, path=f"custom_fields[{index}].field")
        body.append({"id": ident, "value": write_value(custom.type, custom.value)})
    return body
