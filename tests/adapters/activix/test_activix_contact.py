"""Activix Lead <-> canonical Contact, and the lead's embedded communications."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from crmbridge.adapters.activix import ActivixAdapter
from crmbridge.canonical import Address, Contact, EmailAddress, Lookup, Person, Phone, Ref, Task
from crmbridge.errors import MappingError, UnresolvedReference, UnsupportedKind
from crmbridge.sandbox import example_payloads

ADAPTER = ActivixAdapter(default_region="CA", default_lead_type="web_order")
EXAMPLES = {(kind, name): payload for kind, name, payload in example_payloads(ADAPTER.system, frozenset(ADAPTER.kinds))}


def lead(name: str = "lead_with_emails_phones_communications") -> dict[str, Any]:
    return dict(EXAMPLES["contact", name])


def read(payload: dict[str, Any]) -> Contact:
    record = ADAPTER.to_canonical("contact", payload)
    assert isinstance(record, Contact)
    return record


def test_lead_is_read_field_by_field() -> None:
    """The full lead becomes a Contact with names, civility, birthday, address, source and owner."""
    record = read(lead())
    assert record.ref == Ref("activix", "lead", "412877")
    assert record.is_lead is True
    assert record.title == "ms"
    assert record.first_name == "Élise"
    assert record.last_name == "Tremblay"
    assert record.is_company is False
    assert record.company_name is None
    assert record.birthday == date(1986, 7, 14)
    assert record.notes == "Prefers calls after 5 pm"
    assert record.source == Lookup(ref=Ref("activix", "source", "3"), name="Website")
    assert record.owners == [Ref("activix", "user", "2311")]
    assert record.created_at == datetime(2022, 1, 20, 14, 0, tzinfo=UTC)
    assert record.updated_at == datetime(2022, 1, 22, 6, 5, 12, tzinfo=UTC)
    assert record.addresses == [
        Address(
            line1="1200 rue Sainte-Catherine O",
            line2="App. 4",
            city="Montréal",
            region="QC",
            postal_code="H3B 1K9",
            country="CA",
        )
    ]


def test_lead_emails_and_phones_are_read_with_their_types_and_ids() -> None:
    """Each Email/Phone keeps its type as kind, its Activix id and flags in extras; phones get e164."""
    record = read(lead())
    assert [(e.address, e.kind) for e in record.emails] == [
        ("elise.tremblay@mail.example", "home"),
        ("etremblay@employer.example", "work"),
    ]
    assert record.emails[0].extras == {
        "id": 7001,
        "lead_id": 412877,
        "created_at": "2022-01-20T14:00:00+00:00",
        "updated_at": "2022-01-20T14:00:00+00:00",
        "valid": True,
    }
    assert [(p.number, p.kind, p.e164, p.extension) for p in record.phones] == [
        ("+15145550123", "mobile", "+15145550123", None),
        ("+15145550188", "home", "+15145550188", None),
        ("+14385550142", "work", "+14385550142", "204"),
    ]
    assert record.phones[2].extras["id"] == 8003
    assert record.phones[2].extras["valid"] is False


def test_a_national_lead_phone_gets_its_e164_form_when_it_parses() -> None:
    """A lead phone not in E.164 keeps its text; e164 is derived with the region, or None."""
    payload = {"id": 1, "phones": [{"number": "514 555 0123", "type": "home"}, {"number": "n/a", "type": "work"}]}
    record = read(payload)
    assert (record.phones[0].number, record.phones[0].e164) == ("514 555 0123", "+15145550123")
    assert (record.phones[1].number, record.phones[1].e164) == ("n/a", None)
    assert ActivixAdapter().to_canonical("contact", payload).phones[0].e164 is None  # type: ignore[attr-defined]


def test_unmapped_lead_fields_go_to_extras_and_communications_do_not() -> None:
    """Gender, locale, lead type, roles and dates land in extras; embedded communications are not extras."""
    record = read(lead())
    assert record.extras["gender"] == 2
    assert record.extras["locale"] == "fr"
    assert record.extras["type"] == "phone"
    assert record.extras["division"] == "used"
    assert record.extras["second_contact"] == "Marc Tremblay"
    assert record.extras["appointment_date"] == "2022-01-25T15:00:00+00:00"
    assert record.extras["bdc"]["id"] == 2402  # type: ignore[index, call-overload]
    assert "communications" not in record.extras
    assert "advisor" not in record.extras


def test_embedded_communications_are_read_as_activities() -> None:
    """embedded_activities reads include[]=communications into Activities, unknown method kept."""
    activities = ADAPTER.embedded_activities(lead())
    assert [(a.ref, a.channel, a.contact) for a in activities] == [
        (Ref("activix", "communication", "90010"), "phone", Ref("activix", "lead", "412877")),
        (Ref("activix", "communication", "90030"), "email", Ref("activix", "lead", "412877")),
        (Ref("activix", "communication", "90060"), "whatsapp", Ref("activix", "lead", "412877")),
    ]
    assert activities[0].call is not None
    assert activities[0].call.status == "answered"
    assert activities[1].email is None


def test_a_lead_without_included_communications_has_none() -> None:
    """A lead read without include[]=communications yields no embedded activities."""
    assert ADAPTER.embedded_activities(lead("lead_minimal_no_includes")) == []


def test_a_broken_embedded_communication_names_its_index() -> None:
    """A bad embedded communication is a MappingError whose path starts at the lead's communications."""
    payload = lead()
    payload["communications"] = [*payload["communications"], {"id": 1, "call_duration": "long"}]
    with pytest.raises(MappingError) as caught:
        ADAPTER.embedded_activities(payload)
    assert (caught.value.kind, caught.value.path) == ("activity", "communications[3].call_duration")
    with pytest.raises(MappingError) as caught:
        ADAPTER.embedded_activities({"communications": {"id": 1}})
    assert caught.value.path == "communications"


def test_lead_create_body_round_trips_the_writable_fields() -> None:
    """Writing back a lead read from Activix gives its fields, extras, advisor link, emails and phones."""
    body = ADAPTER.from_canonical(read(lead()))
    payload = lead()
    for key in ("first_name", "last_name", "civility", "business", "birth_date", "comment", "source_id", "source"):
        assert body[key] == payload[key], key
    for key in ("address_line1", "address_line2", "city", "postal_code", "province", "country"):
        assert body[key] == payload[key], key
    assert body["advisor"] == {"id": 2311}
    assert body["bdc"] == {"id": 2402}
    assert body["type"] == "phone"
    assert body["account_id"] == 61
    assert body["emails"] == [
        {"type": "home", "address": "elise.tremblay@mail.example"},
        {"type": "work", "address": "etremblay@employer.example"},
    ]
    assert body["phones"] == [
        {"type": "mobile", "number": "+15145550123"},
        {"type": "home", "number": "+15145550188"},
        {"type": "work", "number": "+14385550142", "extension": 204},
    ]
    for key in ("id", "created_at", "updated_at", "created_method", "communications", "business_name"):
        assert key not in body, key


def test_lead_update_only_appends_new_emails_and_phones() -> None:
    """An update sends no emails/phones that already have an Activix id, and does send new ones."""
    record = read(lead("lead_business"))
    updated = record.model_copy(
        update={
            "emails": [*record.emails, EmailAddress(address="new@x.example", kind="home")],
            "phones": record.phones,
        }
    )
    body = ADAPTER.to_update(updated)
    assert body["emails"] == [{"type": "home", "address": "new@x.example"}]
    assert "phones" not in body


def test_partial_lead_update_sends_only_chosen_fields() -> None:
    """to_update(fields=["first_name", "addresses"]) sends those columns only, clearing with null."""
    record = read(lead()).model_copy(update={"first_name": "Lise", "addresses": []})
    body = ADAPTER.to_update(record, fields=["first_name", "addresses"])
    assert body == {
        "first_name": "Lise",
        "address_line1": None,
        "address_line2": None,
        "city": None,
        "province": None,
        "postal_code": None,
        "country": None,
    }


def test_foreign_contact_is_written_with_slots_chosen_by_kind() -> None:
    """personal -> home, cell -> mobile, None -> first free type; extras and Activix-only keys stay out."""
    contact = Contact(
        ref=Ref("estateprime", "contact", "1489"),
        title="Mr.",
        first_name="John",
        last_name="Doe",
        emails=[
            EmailAddress(address="j@work.example", kind=None),
            EmailAddress(address="j@home.example", kind="personal"),
        ],
        phones=[Phone(number="(514) 555-0199", kind="cell"), Phone(number="+15145550100", kind=None, extension="7")],
        owners=[Ref("estateprime", "user", "9")],
        extras={"vip": True},
    )
    body = ADAPTER.from_canonical(contact, resolve=lambda ref, system: Ref("activix", "user", "44"))
    assert body == {
        "type": "web_order",
        "civility": "mr",
        "first_name": "John",
        "last_name": "Doe",
        "advisor": {"id": 44},
        "emails": [{"type": "work", "address": "j@work.example"}, {"type": "home", "address": "j@home.example"}],
        "phones": [
            {"type": "mobile", "number": "+15145550199"},
            {"type": "home", "number": "+15145550100", "extension": 7},
        ],
    }


def test_an_owner_without_a_resolver_is_unresolved() -> None:
    """A foreign owner with no resolver raises UnresolvedReference on owners[0]."""
    contact = Contact(first_name="A", owners=[Ref("estateprime", "user", "9")])
    with pytest.raises(UnresolvedReference) as caught:
        ADAPTER.from_canonical(contact)
    assert caught.value.path == "owners[0]"


def test_a_lead_phone_that_cannot_be_e164_is_a_mapping_error() -> None:
    """Writing a lead phone that cannot become E.164 is a MappingError naming phones[i].number."""
    contact = Contact(phones=[Phone(number="+15145550100"), Phone(number="call me maybe")])
    with pytest.raises(MappingError) as caught:
        ADAPTER.from_canonical(contact)
    assert caught.value.path == "phones[1].number"
    assert "call me maybe" not in str(caught.value)


def test_extra_emails_and_phones_are_reported_not_silently_dropped() -> None:
    """A third email, a second work email and a fourth phone are listed by unsupported() and not written."""
    contact = Contact(
        emails=[
            EmailAddress(address="a@x.example", kind="work"),
            EmailAddress(address="b@x.example", kind="work"),
            EmailAddress(address="c@x.example", kind="home"),
            EmailAddress(address="d@x.example"),
        ],
        phones=[
            Phone(number="+15145550101", kind="home"),
            Phone(number="+15145550102", kind="work"),
            Phone(number="+15145550103", kind="mobile"),
            Phone(number="+15145550104", kind="fax"),
        ],
    )
    assert ADAPTER.unsupported(contact) == ["emails[1]", "emails[3]", "phones[3]"]
    body = ADAPTER.from_canonical(contact)
    assert [e["address"] for e in body["emails"]] == ["a@x.example", "c@x.example"]
    assert [p["number"] for p in body["phones"]] == ["+15145550101", "+15145550102", "+15145550103"]


def test_an_unknown_type_read_from_activix_is_written_back_unchanged() -> None:
    """Email/phone types are open enums: a type Activix sent is kept on write for an Activix record."""
    record = read({"id": 5, "emails": [{"address": "a@x.example", "type": "other"}]})
    assert record.emails[0].kind == "other"
    assert ADAPTER.from_canonical(record)["emails"] == [{"type": "other", "address": "a@x.example"}]
    assert ADAPTER.unsupported(record) == []


def test_unsupported_lists_every_contact_field_activix_cannot_store() -> None:
    """Every canonical Contact path without a Lead home is reported, in a stable order."""
    contact = Contact(
        ref=Ref("rechat", "contact", "u-1"),
        title="Sir",
        middle_name="Q",
        nickname="Jo",
        display_name="Jo Doe",
        job_title="CEO",
        is_lead=False,
        created_by=Ref("rechat", "user", "1"),
        updated_by=Ref("rechat", "user", "2"),
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        updated_at=datetime(2024, 1, 2, tzinfo=UTC),
        converted_at=datetime(2024, 1, 3, tzinfo=UTC),
        deleted_at=datetime(2024, 1, 4, tzinfo=UTC),
        source=Lookup(ref=Ref("rechat", "source", "s"), name="Zillow"),
        websites=["https://x.example"],
        tags=[Lookup(name="vip"), Lookup(name="buyer")],
        custom_fields=[{"field": Ref("rechat", "field", "f"), "value": 1}],  # type: ignore[list-item]
        related_people=[Person(first_name="Ann")],
        owners=[Ref("activix", "user", "1"), Ref("activix", "user", "2")],
        addresses=[
            Address(line1="1 Main", full="1 Main, Town", kind="home", extras={"geo": "x"}),
            Address(line1="2 Side"),
        ],
        emails=[EmailAddress(address="a@x.example", note="old", is_primary=True, extras={"label_id": 3})],
        phones=[Phone(number="+15145550101", note="eve", extension="ext 5")],
        extras={"stage": "hot"},
    )
    assert ADAPTER.unsupported(contact) == [
        "extras.stage",
        "middle_name",
        "nickname",
        "display_name",
        "job_title",
        "created_by",
        "updated_by",
        "converted_at",
        "deleted_at",
        "created_at",
        "updated_at",
        "title",
        "is_lead",
        "source.ref",
        "websites[0]",
        "tags[0]",
        "tags[1]",
        "custom_fields[0]",
        "related_people[0]",
        "owners[1]",
        "addresses[1]",
        "addresses[0].full",
        "addresses[0].kind",
        "addresses[0].extras.geo",
        "emails[0].note",
        "emails[0].is_primary",
        "emails[0].extras.label_id",
        "phones[0].note",
        "phones[0].extension",
    ]
    body = ADAPTER.from_canonical(contact)
    assert "civility" not in body
    assert body["source"] == "Zillow"
    assert "source_id" not in body
    assert body["phones"] == [{"type": "home", "number": "+15145550101"}]


def test_unsupported_is_empty_for_leads_read_from_activix() -> None:
    """Every example lead read from Activix can be stored back whole."""
    for (kind, _name), payload in EXAMPLES.items():
        if kind == "contact":
            assert ADAPTER.unsupported(read(dict(payload))) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"birth_date": "14/07/1986"}, "birth_date"),
        ({"business": "no"}, "business"),
        ({"advisor": {"id": "2311"}}, "advisor.id"),
        ({"phones": "+15145550123"}, "phones"),
        ({"created_at": 1642831512}, "created_at"),
        ({"id": "412877"}, "id"),
    ],
)
def test_wrong_types_in_a_lead_name_the_field(change: dict[str, Any], path: str) -> None:
    """A wrong type in a lead is a MappingError with kind contact and the payload path."""
    with pytest.raises(MappingError) as caught:
        read({**lead(), **change})
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("activix", "contact", path)


@pytest.mark.parametrize(
    ("items", "path", "reason"),
    [
        ({"emails": [{"type": "home"}, {"type": "work", "address": "w@example.com"}]}, "emails[0]", "address missing"),
        ({"phones": [{"id": 9465546}]}, "phones[0]", "number missing"),
    ],
)
def test_an_email_or_phone_missing_its_value_fails_alone(items: dict[str, Any], path: str, reason: str) -> None:
    """An item without its address or number is kept in extras with its path; the lead and its other items read."""
    contact = read({**lead(), **items})
    [unread] = contact.extras["unread_items"]
    assert (unread["path"], unread["reason"]) == (path, reason)
    assert unread["item"] == items[path.partition("[")[0]][0]
    assert contact.first_name == lead()["first_name"]
    if path.startswith("emails"):
        assert [e.address for e in contact.emails] == ["w@example.com"]


@pytest.mark.parametrize(
    ("items", "path"),
    [
        ({"phones": [{"number": "+15145550123", "extension": "12"}]}, "phones[0].extension"),
        ({"phones": ["+15145550123"]}, "phones[0]"),
        ({"emails": [{"address": ["a@example.com"]}]}, "emails[0].address"),
    ],
)
def test_a_wrong_value_in_an_item_names_the_field(items: dict[str, Any], path: str) -> None:
    """A value of the wrong type in an email or phone is a MappingError naming it (not a silent drop)."""
    with pytest.raises(MappingError) as caught:
        read({**lead(), **items})
    assert caught.value.path == path


def test_items_read_without_a_type_are_reported_not_written_as_home() -> None:
    """An email and a phone Activix sent without a type get no invented type: not written, and reported."""
    typed = {"type": "work", "address": "w@example.com"}
    contact = read({**lead(), "emails": [{"address": "a@example.com"}, typed], "phones": [{"number": "+15145550123"}]})
    body = ADAPTER.from_canonical(contact)
    assert body["emails"] == [typed]
    assert "phones" not in body
    assert {"emails[0]", "phones[0]"} <= set(ADAPTER.unsupported(contact))


def test_unknown_kinds_are_refused_on_write_and_unsupported() -> None:
    """A canonical Task is UnsupportedKind for from_canonical, to_update and unsupported."""
    with pytest.raises(UnsupportedKind):
        ADAPTER.from_canonical(Task(title="x"))
    with pytest.raises(UnsupportedKind):
        ADAPTER.to_update(Task(title="x"))
    with pytest.raises(UnsupportedKind):
        ADAPTER.unsupported(Task(title="x"))


def test_lead_type_is_required_to_create_a_foreign_contact() -> None:
    """A contact from another CRM needs default_lead_type; without it the error names extras.type."""
    contact = Contact(ref=Ref("estateprime", "contact", "1"), first_name="Ann")
    with pytest.raises(MappingError) as caught:
        ActivixAdapter().from_canonical(contact)
    assert caught.value.path == "extras.type"
    assert ActivixAdapter(default_lead_type="phone").from_canonical(contact)["type"] == "phone"
    assert "type" not in ActivixAdapter().to_update(contact, fields={"first_name"})
