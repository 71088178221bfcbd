"""contact ↔ canonical Contact.

Reading accepts the flattened contact (as embedded in task associations) and a contact with its
``attributes`` expanded; when attributes are there they are the source (they carry labels, the
primary flag and the partner flag, which the flattened form loses). Writing produces the
ContactInput form ``{"user": <owner>, "attributes": [...]}``.

Extras keys the mapping manages (same-system writes use them):

- ``attribute_ids``: ``{"first_name": <attribute id>, "partner:last_name": ..., "tag": {<name>: id},
  "website": {<url>: id}}``; emails, phones and addresses keep their ids in their own ``extras``;
- ``attributes``: attributes with no canonical home (``marketing_name``, ``facebook``, custom
  attribute defs, a second note, ...), written back as they were.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal
from typing import Any

import cattrs

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._support import build_canonical as build_value
from crmbridge.adapters._support import structure, unknown_fields
from crmbridge.adapters.rechat._common import SYSTEM, build_canonical, ref, ref_uuid
from crmbridge.adapters.rechat._field_defs import DEF_REF_KIND, GLOBAL_ATTRIBUTE_TYPES
from crmbridge.adapters.rechat._time import date_to_epoch, datetime_to_epoch, epoch_to_datetime
from crmbridge.adapters.rechat.wire import WireAddress, WireAttribute, WireContact
from crmbridge.canonical import Address, Contact, CustomFieldValue, EmailAddress, Lookup, Person, Phone
from crmbridge.errors import MappingError

__all__ = ["CONTACT_INPUT_EXTRAS", "contact_body", "contact_unsupported", "read_contact"]

KIND = "contact"
# Singular text attributes and the canonical Contact field each one fills.
_TEXT_FIELDS: dict[str, str] = {
    "title": "title",
    "first_name": "first_name",
    "middle_name": "middle_name",
    "last_name": "last_name",
    "nickname": "nickname",
    "company": "company_name",
    "job_title": "job_title",
    "note": "notes",
}
_PARTNER_TYPES = ("first_name", "last_name", "email", "phone_number")
_STREET_PARTS = ("street_prefix", "street_name", "street_suffix")
_ADDRESS_PARTS = (*_STREET_PARTS, "unit_number", "city", "state", "country", "postal_code")
_ATTRIBUTE_READ_ONLY = frozenset({"contact", "created_by", "created_at", "updated_at", "deleted_at", "type"})
CONTACT_INPUT_EXTRAS = ("ios_address_book_id", "android_address_book_id", "parked", "lead_channel")
"""Extras that are ContactInput fields: a same-system write sends them back."""
_MANAGED_EXTRAS = frozenset({"attribute_ids", "attributes"})


# -- reading ---------------------------------------------------------------------------------


def read_contact(converter: cattrs.Converter, payload: Mapping[str, Any]) -> Contact:
    """The canonical Contact of a flattened contact, or of one with expanded ``attributes``."""
    wire = structure(converter, payload, WireContact, system=SYSTEM, kind=KIND)
    extras = unknown_fields(payload, WireContact)
    owner = wire.user.id if wire.user else wire.user_id
    common: dict[str, Any] = {
        "ref": ref("contact", wire.id) if wire.id else None,
        "display_name": wire.display_name,
        "owners": [ref("user", owner)] if owner else [],
        "created_by": ref("user", wire.created_by.id) if wire.created_by else None,
        "updated_by": ref("user", wire.updated_by.id) if wire.updated_by else None,
        "created_at": wire.created_at,
        "updated_at": wire.updated_at,
        "deleted_at": wire.deleted_at,
    }
    if wire.attributes:
        fields = _from_attributes(wire.attributes, payload["attributes"], extras)
    else:
        fields = _from_flattened(wire, payload)
    return build_canonical(KIND, Contact, extras=extras, **common, **fields)


def _from_flattened(wire: WireContact, payload: Mapping[str, Any]) -> dict[str, Any]:
    primary_email = wire.primary_email or wire.email
    primary_phone = wire.primary_phone_number or wire.phone_number
    partner = [wire.partner_first_name, wire.partner_last_name, wire.partner_email]
    return {
        "title": wire.title,
        "first_name": wire.first_name,
        "middle_name": wire.middle_name,
        "last_name": wire.last_name,
        "nickname": wire.nickname,
        "company_name": wire.company,
        "job_title": wire.job_title,
        "birthday": wire.birthday,
        "emails": [EmailAddress(address=e, is_primary=e == primary_email, extras={}) for e in wire.emails or []],
        "phones": [Phone(number=p, is_primary=p == primary_phone, extras={}) for p in wire.phone_numbers or []],
        "websites": list(wire.website or []),
        "tags": [Lookup(name=tag) for tag in wire.tags or []],
        "source": Lookup(name=wire.source) if wire.source else None,
        "addresses": [
            _flat_address(a, raw, f"address[{i}]")
            for i, (a, raw) in enumerate(zip(wire.address or [], payload.get("address") or [], strict=True))
        ],
        "related_people": [
            Person(
                first_name=wire.partner_first_name,
                last_name=wire.partner_last_name,
                email=wire.partner_email,
                relation="partner",
                extras={},
            )
        ]
        if any(partner)
        else [],
    }


def _flat_address(wire: WireAddress, raw: Mapping[str, Any], path: str) -> Address:
    # The stdaddr parts with no canonical home (house_num, suftype, name, "type": "stdaddr", ...)
    # stay in extras; "type" also tells a write that line2 is Rechat's computed city line. Those
    # are payload values: one the canonical model refuses (nested too deep) is named at ``path``.
    fields = {
        "line1": wire.line1,
        "line2": wire.line2,
        "city": wire.city,
        "region": wire.state,
        "postal_code": wire.postcode,
        "country": wire.country,
        "full": wire.full,
        "extras": unknown_fields(raw, WireAddress),
    }
    return build_value(Address, fields, system=SYSTEM, kind=KIND, path=path)


def _from_attributes(attributes: list[WireAttribute], raws: list[Any], extras: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {"emails": [], "phones": [], "websites": [], "tags": [], "custom_fields": []}
    ids: dict[str, Any] = {"tag": {}, "website": {}, "custom": {}}
    partner: dict[str, str] = {}
    addresses: dict[int, dict[str, WireAttribute]] = {}
    leftovers: list[Any] = []
    labels: dict[str, str] = {}
    for attribute, raw in zip(attributes, raws, strict=True):
        kind = attribute.attribute_type or ""  # "" for a custom attribute known only by its def
        value = attribute.text
        key = f"partner:{kind}" if attribute.is_partner else kind
        if attribute.is_partner and kind in _PARTNER_TYPES and value is not None and key not in ids:
            partner[kind] = value
            _remember(ids, key, attribute, labels)
        elif attribute.is_partner:
            leftovers.append(raw)
        elif kind in _TEXT_FIELDS and value is not None and kind not in ids:
            fields[_TEXT_FIELDS[kind]] = value
            _remember(ids, kind, attribute, labels)
        elif kind == "birthday" and attribute.date is not None and kind not in ids:
            fields["birthday"] = attribute.date.date()
            instant = datetime_to_epoch(attribute.date)
            if instant != date_to_epoch(fields["birthday"]):
                # A canonical birthday is a date: the instant Rechat holds is kept to be written back.
                extras["birthday_at"] = instant
            _remember(ids, kind, attribute, labels)
        elif kind == "source" and value is not None and kind not in ids:
            fields["source"] = Lookup(name=value)
            _remember(ids, kind, attribute, labels)
        elif kind == "email" and value is not None:
            fields["emails"].append(EmailAddress(address=value, **_labelled(attribute)))
        elif kind == "phone_number" and value is not None:
            fields["phones"].append(Phone(number=value, **_labelled(attribute)))
        elif kind in ("tag", "website") and value is not None and value not in ids[kind]:
            fields["tags" if kind == "tag" else "websites"].append(Lookup(name=value) if kind == "tag" else value)
            ids[kind][value] = attribute.id
        elif kind in _ADDRESS_PARTS and value is not None and attribute.index is not None:
            addresses.setdefault(attribute.index, {})[kind] = attribute
        elif _is_custom(attribute) and attribute.attribute_def.id not in ids["custom"]:  # type: ignore[union-attr]
            fields["custom_fields"].append(_custom_field(attribute))
            ids["custom"][attribute.attribute_def.id] = attribute.id  # type: ignore[union-attr]
        else:
            leftovers.append(raw)
    fields["addresses"] = [_attribute_address(index, parts) for index, parts in sorted(addresses.items())]
    if partner:
        fields["related_people"] = [
            Person(
                first_name=partner.get("first_name"),
                last_name=partner.get("last_name"),
                email=partner.get("email"),
                phone=partner.get("phone_number"),
                relation="partner",
                extras={},
            )
        ]
    extras["attribute_ids"] = {k: v for k, v in ids.items() if v}
    if labels:
        extras["attribute_labels"] = labels
    if leftovers:
        extras["attributes"] = leftovers
    return fields


def _is_custom(attribute: WireAttribute) -> bool:
    # A brand's own definition: its attribute_type is the definition's name (or absent), never a global one.
    has_value = attribute.text is not None or attribute.number is not None or attribute.date is not None
    is_global = attribute.attribute_type in GLOBAL_ATTRIBUTE_TYPES
    return not is_global and not attribute.is_partner and attribute.attribute_def is not None and has_value


def _custom_field(attribute: WireAttribute) -> CustomFieldValue:
    assert attribute.attribute_def is not None
    definition = attribute.attribute_def.expanded or {}
    name = definition.get("label") or definition.get("name")
    value: Any
    if attribute.number is not None:
        field_type, value = "number", Decimal(repr(attribute.number))
    elif attribute.date is not None:
        field_type, value = "date", attribute.date.date()
    else:
        field_type, value = "text", attribute.text
    return CustomFieldValue(
        field=ref(DEF_REF_KIND, attribute.attribute_def.id),
        name=name if isinstance(name, str) else None,
        type=field_type,
        value=value,
    )


def _remember(ids: dict[str, Any], key: str, attribute: WireAttribute, labels: dict[str, str]) -> None:
    ids[key] = attribute.id
    if attribute.label is not None:
        labels[key] = attribute.label


def _labelled(attribute: WireAttribute) -> dict[str, Any]:
    return {
        "kind": attribute.label,
        "is_primary": bool(attribute.is_primary),
        "extras": {"id": attribute.id} if attribute.id else {},
    }


def _attribute_address(index: int, parts: dict[str, WireAttribute]) -> Address:
    text = {kind: attribute.text for kind, attribute in parts.items()}
    street = [text[p] for p in _STREET_PARTS if text.get(p)]
    label = next((a.label for a in parts.values() if a.label), None)
    extras: dict[str, Any] = {
        "index": index,
        "ids": {kind: attribute.id for kind, attribute in parts.items() if attribute.id},
        "street": {p: text[p] for p in _STREET_PARTS if p in text},
    }
    primary = {kind: attribute.is_primary for kind, attribute in parts.items() if attribute.is_primary is not None}
    if primary:
        extras["is_primary"] = primary
    return Address(
        line1=" ".join(s for s in street if s) or None,
        line2=text.get("unit_number"),
        city=text.get("city"),
        region=text.get("state"),
        postal_code=text.get("postal_code"),
        country=text.get("country"),
        kind=label,
        extras=extras,
    )


# -- writing ---------------------------------------------------------------------------------


def contact_body(
    adapter: Adapter,
    contact: Contact,
    *,
    resolve: Resolver | None,
    update: bool,
    fields: Collection[str] | None = None,
) -> dict[str, Any]:
    """The ContactInput form: ``{"user": <owner uuid>, "attributes": [...], ...}``.

    ``update=True`` adds the attribute ids read from Rechat (PATCH updates those, adds the rest).
    """
    owned = adapter.owns(contact)
    with_ids = owned and update
    ids = contact.extras.get("attribute_ids") if with_ids else None
    known_ids: dict[str, Any] = ids if isinstance(ids, dict) else {}
    tagged: list[tuple[str, dict[str, Any]]] = []
    labels = _kept(contact, "attribute_labels") if owned else {}
    for kind, field in _TEXT_FIELDS.items():
        value = getattr(contact, field)
        if value:  # Rechat refuses an attribute with empty text; an empty string carries nothing
            tagged.append((field, _attr(kind, known_ids.get(kind), labels.get(kind), text=value)))
    if contact.birthday is not None:
        date = _birthday_epoch(contact, owned)
        tagged.append(("birthday", _attr("birthday", known_ids.get("birthday"), labels.get("birthday"), date=date)))
    if contact.source is not None and contact.source.name is not None:
        source = _attr("source", known_ids.get("source"), labels.get("source"), text=contact.source.name)
        tagged.append(("source", source))
    tagged += [("emails", _contact_point("email", e.address, e, with_ids)) for e in contact.emails]
    tagged += [("phones", _contact_point("phone_number", p.number, p, with_ids)) for p in contact.phones]
    tagged += _multi("websites", "website", list(contact.websites), known_ids)
    tagged += _multi("tags", "tag", [t.name for t in contact.tags if t.name is not None], known_ids)
    for position, address in enumerate(contact.addresses):
        tagged += [("addresses", part) for part in _address_parts(address, position, owned=owned, with_ids=with_ids)]
    tagged += [("related_people", a) for a in _partner_attributes(contact, known_ids, labels)]
    tagged += [("custom_fields", a) for a in _custom_attributes(contact, known_ids)]
    if owned:
        leftovers = contact.extras.get("attributes")
        if isinstance(leftovers, list):
            tagged += [("extras", _clean_attribute(a, with_ids)) for a in leftovers if isinstance(a, dict)]
    wanted = None if fields is None else set(fields)
    body: dict[str, Any] = {"user": _owner(adapter, contact, resolve)}
    body["attributes"] = [attribute for field, attribute in tagged if wanted is None or field in wanted]
    if owned:
        body.update({k: contact.extras[k] for k in CONTACT_INPUT_EXTRAS if k in contact.extras})
    return body


def _own_custom(custom: CustomFieldValue) -> bool:
    return custom.field.system == SYSTEM and custom.field.kind == DEF_REF_KIND


def _custom_attributes(contact: Contact, known_ids: dict[str, Any]) -> list[dict[str, Any]]:
    # Only this brand's attribute defs: another CRM's custom field has no def here (a field
    # mapping moves its value into one of ours first; unmapped ones are in the loss report).
    by_def = known_ids.get("custom")
    ids: dict[str, Any] = by_def if isinstance(by_def, dict) else {}
    out: list[dict[str, Any]] = []
    for custom in contact.custom_fields:
        if not _own_custom(custom) or custom.value is None:
            continue
        attribute: dict[str, Any] = {"attribute_def": custom.field.id, **_custom_value(custom)}
        if isinstance(ids.get(custom.field.id), str):
            attribute["id"] = ids[custom.field.id]
        out.append(attribute)
    return out


def _custom_value(custom: CustomFieldValue) -> dict[str, Any]:
    """The attribute column holding a custom value: ``number``, ``date`` (epoch seconds) or ``text``."""
    value, field_type = custom.value, custom.type
    if field_type in ("number", "formatted_number"):
        return {"number": float(value)}
    if field_type == "currency":
        return {"number": float(value.amount)}
    if field_type == "date":
        return {"date": date_to_epoch(value)}
    if field_type == "datetime":
        return {"date": datetime_to_epoch(value)}
    if field_type == "checkbox":
        return {"text": "true" if value else "false"}
    if field_type == "select":
        return {"text": value.name}
    if field_type == "select_multi":
        return {"text": ", ".join(option.name or "" for option in value)}
    if isinstance(value, list):
        return {"text": ", ".join(str(item) for item in value)}
    return {"text": str(value)}


def _attr(kind: str, ident: Any, label: Any = None, **value: Any) -> dict[str, Any]:
    attribute: dict[str, Any] = {"attribute_type": kind, **value}
    if isinstance(ident, str):
        attribute["id"] = ident
    if isinstance(label, str):
        attribute["label"] = label
    return attribute


def _kept(contact: Contact, key: str) -> dict[str, Any]:
    value = contact.extras.get(key)
    return value if isinstance(value, dict) else {}


def _birthday_epoch(contact: Contact, owned: bool) -> float:
    """The birthday as Rechat's epoch: the instant read from Rechat while it is still that day."""
    birthday = contact.birthday
    if birthday is None:  # pragma: no cover - only called with a birthday
        raise ValueError("no birthday")
    kept = contact.extras.get("birthday_at") if owned else None
    if not isinstance(kept, int | float) or isinstance(kept, bool):
        return date_to_epoch(birthday)
    return float(kept) if epoch_to_datetime(kept).date() == birthday else date_to_epoch(birthday)


def _contact_point(kind: str, value: str, item: EmailAddress | Phone, with_ids: bool) -> dict[str, Any]:
    attribute = _attr(kind, item.extras.get("id") if with_ids else None, text=value, is_primary=item.is_primary)
    if item.kind is not None:
        attribute["label"] = item.kind
    return attribute


def _multi(field: str, kind: str, values: list[str], known_ids: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    by_value = known_ids.get(kind)
    ids: dict[str, Any] = by_value if isinstance(by_value, dict) else {}
    return [(field, _attr(kind, ids.get(value), text=value)) for value in values]


def _address_parts(address: Address, position: int, *, owned: bool, with_ids: bool) -> list[dict[str, Any]]:
    # The index and the parts' primary flags read from Rechat go back on any write of its own
    # record (index 0 is a real index); the attribute ids only on an update.
    extras = address.extras if owned else {}
    kept_index = extras.get("index")
    index = kept_index if isinstance(kept_index, int) and not isinstance(kept_index, bool) else position + 1
    ids = extras.get("ids") if with_ids and isinstance(extras.get("ids"), dict) else {}
    kept_primary = extras.get("is_primary")
    primary: dict[str, Any] = kept_primary if isinstance(kept_primary, dict) else {}
    parts: dict[str, str | None] = dict.fromkeys(_ADDRESS_PARTS)
    street = address.extras.get("street")
    kept_street = street if isinstance(street, dict) else {}
    if " ".join(str(v) for v in kept_street.values() if v) == (address.line1 or "") and kept_street:
        parts.update({p: v for p, v in kept_street.items() if p in _STREET_PARTS and isinstance(v, str)})
    else:
        parts["street_name"] = address.line1
    # A flattened (stdaddr) address has Rechat's computed "city state zip" line in line2.
    if address.extras.get("type") != "stdaddr":
        parts["unit_number"] = address.line2
    parts.update(city=address.city, state=address.region, country=address.country, postal_code=address.postal_code)
    out: list[dict[str, Any]] = []
    for kind, text in parts.items():
        if not text:
            continue
        attribute = _attr(kind, ids.get(kind) if isinstance(ids, dict) else None, text=text, index=index)
        if address.kind is not None:
            attribute["label"] = address.kind
        if isinstance(primary.get(kind), bool):
            attribute["is_primary"] = primary[kind]
        out.append(attribute)
    return out


def _partner(contact: Contact) -> Person | None:
    return next((p for p in contact.related_people if p.relation == "partner"), None)


def _partner_attributes(contact: Contact, known_ids: dict[str, Any], labels: dict[str, Any]) -> list[dict[str, Any]]:
    partner = _partner(contact)
    if partner is None:
        return []
    values = {
        "first_name": partner.first_name,
        "last_name": partner.last_name,
        "email": partner.email,
        "phone_number": partner.phone,
    }
    return [
        {**_attr(kind, known_ids.get(f"partner:{kind}"), labels.get(f"partner:{kind}"), text=text), "is_partner": True}
        for kind, text in values.items()
        if text is not None
    ]


def _clean_attribute(raw: dict[str, Any], with_ids: bool) -> dict[str, Any]:
    attribute = {k: v for k, v in raw.items() if k not in _ATTRIBUTE_READ_ONLY and (with_ids or k != "id")}
    definition = attribute.get("attribute_def")
    if isinstance(definition, dict) and "id" in definition:
        attribute["attribute_def"] = definition["id"]
    return attribute


def _owner(adapter: Adapter, contact: Contact, resolve: Resolver | None) -> str:
    if not contact.owners:
        # Rechat requires an owner; a contact from a CRM without one takes the adapter's default.
        default = getattr(adapter, "default_owner", None)
        if default is not None:
            return str(default)
        raise MappingError(
            SYSTEM,
            KIND,
            "owners",
            "Rechat requires an owner user (ContactInput.user): set the option default_owner"
            " (on the command line: --to-option default_owner=USER_UUID)",
        )
    local = adapter.local_ref(contact.owners[0], path="owners[0]", record_kind=KIND, resolve=resolve)
    return ref_uuid(local, expected_kind="user", record_kind=KIND, path="owners[0]")


# -- what Rechat cannot store ------------------------------------------------------------------

_SET_BY_RECHAT = ("created_by", "updated_by", "created_at", "updated_at", "deleted_at")


def contact_unsupported(adapter: Adapter, contact: Contact) -> list[str]:
    """Paths of ``contact`` holding values a write to Rechat would not carry."""
    found = adapter.foreign_extras(contact)
    found += [name for name in ("is_company", "is_lead", "converted_at") if getattr(contact, name) is not None]
    if contact.display_name is not None and not any(
        (contact.first_name, contact.last_name, contact.nickname, contact.company_name)
    ):
        found.append("display_name")  # Rechat computes it from the names; alone it is lost
    if contact.source is not None and contact.source.name is None:
        found.append("source")
    found += [f"tags[{i}]" for i, tag in enumerate(contact.tags) if tag.name is None]
    found += [f"custom_fields[{i}]" for i, custom in enumerate(contact.custom_fields) if not _own_custom(custom)]
    found += [f"owners[{i}]" for i in range(1, len(contact.owners))]
    for i, phone in enumerate(contact.phones):
        found += [f"phones[{i}].{name}" for name in ("e164", "extension", "note") if getattr(phone, name) is not None]
    found += [f"emails[{i}].note" for i, email in enumerate(contact.emails) if email.note is not None]
    partner = _partner(contact)
    for i, person in enumerate(contact.related_people):
        if person is not partner:
            found.append(f"related_people[{i}]")
        elif person.note is not None:
            found.append(f"related_people[{i}].note")
    if not adapter.owns(contact):
        found += [name for name in _SET_BY_RECHAT if getattr(contact, name) is not None]
    return found
