"""Rechat contacts: the embedded flattened contacts, the attribute-expanded form and the ContactInput body."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crmbridge import Address, Contact, CustomFieldValue, EmailAddress, Lookup, Person, Phone, Ref, get_adapter
from crmbridge.adapters.rechat import RechatAdapter
from crmbridge.errors import MappingError

from ._helpers import BRAND, USER_ID, example, fixture

JOHNNY = "a33dc03d-a489-40e3-8452-3be8fb777182"


@pytest.fixture
def adapter() -> RechatAdapter:
    """The adapter as the registry builds it."""
    built = get_adapter("rechat")
    assert isinstance(built, RechatAdapter)
    return built


def read(adapter: RechatAdapter, payload: object) -> Contact:
    record = adapter.to_canonical("contact", payload)  # type: ignore[arg-type]
    assert isinstance(record, Contact)
    return record


def test_embedded_johnny_fields(adapter: RechatAdapter) -> None:
    """Every canonical field of the flattened Johnny contact comes from its Rechat field."""
    contact = read(adapter, example("contact.embedded-johnny"))
    assert contact.ref == Ref("rechat", "contact", JOHNNY)
    assert (contact.first_name, contact.middle_name, contact.last_name) == ("John", "M.", "Doe")
    assert contact.nickname == "Johnny"
    assert contact.display_name == "Johnny"
    assert contact.company_name == "Rechat"
    assert contact.job_title == "Contact Test Subject"
    assert contact.birthday == date(1970, 1, 12)
    assert contact.emails == [EmailAddress(address="[email protected]", is_primary=True, extras={})]
    assert contact.phones == [Phone(number="+989124834198", is_primary=True, extras={})]
    assert contact.websites == ["http://www.gholi.com"]
    assert contact.tags == [Lookup(name="poo"), Lookup(name="foo"), Lookup(name="New")]
    assert contact.related_people == [
        Person(first_name="Jane", last_name="Doe", email="[email protected]", relation="partner", extras={})
    ]
    assert contact.owners == [Ref("rechat", "user", USER_ID)]  # the embedded form names the owner user_id
    address = contact.addresses[0]
    assert (address.line1, address.line2, address.city, address.region) == (
        "Street",
        "Dallas Texas 72890",
        "Dallas",
        "Texas",
    )
    assert (address.postal_code, address.country, address.full) == ("72890", "US", "Street, Dallas Texas 72890")
    assert address.extras == {"name": "Street", "type": "stdaddr", "extra": "Office"}
    assert contact.created_at == datetime(2025, 12, 8, 3, 14, 15, 419818, tzinfo=UTC)
    assert contact.extras["brand"] == BRAND
    assert contact.extras["source_type"] == "ExplicitlyCreated"


def test_embedded_kate_bell_phones_and_birthday(adapter: RechatAdapter) -> None:
    """Kate Bell's second phone is not primary, her birthday is a date, she has no partner."""
    contact = read(adapter, example("contact.embedded-kate-bell"))
    assert [(p.number, p.is_primary) for p in contact.phones] == [("(415) 555-3695", True), ("(555) 564-8583", False)]
    assert contact.birthday == date(1978, 1, 13)
    assert contact.related_people == []
    assert contact.tags == []
    assert contact.websites == []
    assert contact.owners == [Ref("rechat", "user", USER_ID)]


def test_embedded_daniel_higgins_create_body(adapter: RechatAdapter) -> None:
    """Daniel Higgins' create body carries his names, emails, phones and address parts grouped by index."""
    contact = read(adapter, example("contact.embedded-daniel-higgins"))
    assert contact.birthday is None
    body = adapter.from_canonical(contact)
    assert body["user"] == USER_ID
    assert body["attributes"] == [
        {"attribute_type": "first_name", "text": "Daniel"},
        {"attribute_type": "last_name", "text": "Higgins"},
        {"attribute_type": "email", "text": "[email protected]", "is_primary": True},
        {"attribute_type": "phone_number", "text": "(408) 555-3514", "is_primary": True},
        {"attribute_type": "phone_number", "text": "(408) 555-5270", "is_primary": False},
        {"attribute_type": "phone_number", "text": "555-478-7672", "is_primary": False},
        {"attribute_type": "street_name", "text": "322 Laguna Street", "index": 1},
        {"attribute_type": "city", "text": "Corte Madera", "index": 1},
        {"attribute_type": "state", "text": "CA", "index": 1},
        {"attribute_type": "postal_code", "text": "94925", "index": 1},
    ]


def test_attributes_are_the_richer_source(adapter: RechatAdapter) -> None:
    """With attributes expanded, labels, primary and partner flags and notes come from them."""
    contact = read(adapter, fixture("contact.with-attributes"))
    assert [(e.address, e.kind, e.is_primary) for e in contact.emails] == [
        ("[email protected]", "Work", True),
        ("[email protected]", "Personal", False),
    ]
    assert contact.emails[0].extras == {"id": "00000005-aaaa-4bbb-8ccc-000000000005"}
    assert [(p.number, p.kind, p.is_primary) for p in contact.phones] == [("+989124834198", "Mobile", True)]
    assert contact.notes == "Met at the open house."
    assert contact.birthday == date(1970, 1, 12)
    assert contact.source == Lookup(name="Open House")
    assert contact.owners == [Ref("rechat", "user", USER_ID)]
    assert contact.related_people[0].first_name == "Jane"
    assert contact.related_people[0].email == "[email protected]"
    address = contact.addresses[0]
    assert (address.line1, address.city, address.region, address.postal_code, address.country, address.kind) == (
        "Street",
        "Dallas",
        "Texas",
        "72890",
        "US",
        "Office",
    )
    leftovers = contact.extras["attributes"]
    assert isinstance(leftovers, list)
    assert [a["attribute_type"] for a in leftovers] == ["marketing_name"]  # type: ignore[index,call-overload]


def test_attribute_contact_update_round_trips(adapter: RechatAdapter) -> None:
    """The update body of an attribute-read contact reads back to the same canonical fields."""
    payload = fixture("contact.with-attributes")
    contact = read(adapter, payload)
    body = adapter.to_update(contact)
    assert body["user"] == USER_ID
    assert body["parked"] is False
    by_id = {a["id"]: a for a in body["attributes"]}
    assert by_id["00000010-aaaa-4bbb-8ccc-000000000010"] == {
        "attribute_type": "birthday",
        "date": 950400.0,
        "id": "00000010-aaaa-4bbb-8ccc-000000000010",
    }
    assert by_id["00000020-aaaa-4bbb-8ccc-000000000020"]["is_partner"] is True
    assert by_id["00000023-aaaa-4bbb-8ccc-000000000023"] == {
        "id": "00000023-aaaa-4bbb-8ccc-000000000023",
        "attribute_type": "marketing_name",
        "text": "The Does",
        "number": None,
        "date": None,
        "label": None,
        "is_primary": False,
        "is_partner": False,
        "index": None,
    }
    again = read(adapter, {**payload, "attributes": body["attributes"]})
    fields = ["first_name", "last_name", "emails", "phones", "addresses", "tags", "websites", "notes", "birthday"]
    fields += ["related_people", "source", "nickname", "company_name", "job_title", "middle_name"]
    for name in fields:
        assert getattr(again, name) == getattr(contact, name), name


def test_create_body_has_no_attribute_ids(adapter: RechatAdapter) -> None:
    """The create body of an attribute-read contact carries no attribute ids."""
    body = adapter.from_canonical(read(adapter, fixture("contact.with-attributes")))
    assert all("id" not in a for a in body["attributes"])
    assert {"attribute_type": "tag", "text": "poo"} in body["attributes"]


def test_update_fields_limit_attributes(adapter: RechatAdapter) -> None:
    """fields=["emails"] sends only the email attributes (PATCH leaves the others)."""
    body = adapter.to_update(read(adapter, fixture("contact.with-attributes")), fields=["emails"])
    assert [a["text"] for a in body["attributes"]] == ["[email protected]", "[email protected]"]


def test_missing_owner_is_a_mapping_error(adapter: RechatAdapter) -> None:
    """A contact with no owner cannot be written: the error names owners."""
    with pytest.raises(MappingError) as caught:
        adapter.from_canonical(Contact(first_name="A"))
    assert caught.value.path == "owners"


def test_bad_birthday_is_a_mapping_error(adapter: RechatAdapter) -> None:
    """A birthday that is not an ISO date is a MappingError naming birthday."""
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("contact", {**example("contact.embedded-johnny"), "birthday": "soon"})
    assert caught.value.path == "birthday"
    assert "soon" not in str(caught.value)


def test_unsupported_contact_fields(adapter: RechatAdapter) -> None:
    """Every canonical Contact value with no Rechat home is listed by its path."""
    owner = Ref("rechat", "user", USER_ID)
    contact = Contact(
        ref=Ref("estateprime", "contact", "9"),
        display_name="Only a display name",
        is_company=True,
        is_lead=True,
        converted_at=datetime(2024, 1, 1, tzinfo=UTC),
        source=Lookup(ref=Ref("estateprime", "source", "3")),
        tags=[Lookup(ref=Ref("estateprime", "tag", "4")), Lookup(name="ok")],
        custom_fields=[CustomFieldValue(field=Ref("estateprime", "field", "1"), value="x")],
        owners=[owner, owner],
        phones=[Phone(number="1", e164="+1", extension="2", note="n", extras={})],
        emails=[EmailAddress(address="[email protected]", note="n", extras={})],
        related_people=[
            Person(first_name="P", relation="partner", note="n", extras={}),
            Person(first_name="C", relation="child", extras={}),
        ],
        addresses=[Address(line1="x", extras={})],
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        extras={"legacy": 1},
    )
    assert adapter.unsupported(contact) == [
        "extras.legacy",
        "is_company",
        "is_lead",
        "converted_at",
        "display_name",
        "source",
        "tags[0]",
        "custom_fields[0]",
        "owners[1]",
        "phones[0].e164",
        "phones[0].extension",
        "phones[0].note",
        "emails[0].note",
        "related_people[0].note",
        "related_people[1]",
        "created_at",
    ]
    own = read(adapter, fixture("contact.with-attributes"))
    assert adapter.unsupported(own) == []


def test_embedded_contact_errors_carry_the_task_path(adapter: RechatAdapter) -> None:
    """A bad embedded contact inside a task is reported under its association path."""
    payload = example("task.bulk-associations-response")
    payload["associations"][0]["contact"]["emails"] = "not-a-list"
    with pytest.raises(MappingError) as caught:
        adapter.embedded_contacts(payload)
    assert caught.value.path == "associations[0].contact.emails"


def test_default_owner_owns_contacts_that_have_none() -> None:
    """A contact without owners takes default_owner as its Rechat user; without the option it is an error."""
    from crmbridge import get_adapter
    from crmbridge.canonical import Contact
    from crmbridge.errors import MappingError

    contact = Contact(first_name="Ann")
    owner = "80A227B2-29A0-11E7-B636-E4A7A08E15D4"
    body = get_adapter("rechat", default_owner=owner).from_canonical(contact)
    assert body["user"] == owner.lower()
    with pytest.raises(MappingError, match="default_owner"):
        get_adapter("rechat").from_canonical(contact)
