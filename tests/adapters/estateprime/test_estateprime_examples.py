"""Every vendor example maps to canonical field by field and back to its writable part."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from crmbridge import Activity, Contact, Event, Lookup, Ref, get_adapter
from crmbridge.adapters.estateprime import EstatePrimeAdapter, wire
from crmbridge.sandbox import example_payloads

LoadExample = Callable[[str, str], dict[str, Any]]
LoadFixture = Callable[[str], Any]

READ_ONLY = {
    "contact": {"id", "date_created", "date_updated", "created_by"},
    "activity": {"id", "date_created"},
    "event": {"id", "date_created"},
}


def ep(kind: str, ident: str) -> Ref:
    return Ref("estateprime", kind, ident)


def writable(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key not in READ_ONLY[kind]}


def test_registry_builds_the_adapter() -> None:
    """get_adapter("estateprime", ...) returns an EstatePrimeAdapter with the three kinds."""
    made = get_adapter("estateprime", timezone="Europe/Athens")
    assert isinstance(made, EstatePrimeAdapter)
    assert made.kinds == frozenset({"contact", "activity", "event"})
    assert made.system == "estateprime"


def test_every_vendor_example_is_shipped(adapter: EstatePrimeAdapter) -> None:
    """example_payloads yields the 13 vendor example objects of the three documents."""
    names = sorted(f"{kind}.{name}" for kind, name, _ in example_payloads(adapter.system, frozenset(adapter.kinds)))
    assert names == [
        "activity.create-body",
        "activity.list-item",
        "activity.object",
        "activity.single",
        "contact.create-body",
        "contact.list-item",
        "contact.object",
        "contact.single",
        "event.create-body",
        "event.list-item",
        "event.object",
        "event.single",
        "event.update-response",
    ]


@pytest.mark.parametrize("timezone", ["UTC", "Europe/Athens", "America/Chicago"])
@pytest.mark.parametrize("with_lookups", [True, False])
def test_every_example_round_trips(timezone: str, with_lookups: bool, lookups: dict[str, Any]) -> None:
    """from_canonical(to_canonical(p)) equals the writable part of p, key by key, for every example."""
    made = get_adapter("estateprime", timezone=timezone, lookups=lookups if with_lookups else None)
    for kind, name, payload in example_payloads(made.system, frozenset(made.kinds)):
        body = made.from_canonical(made.to_canonical(kind, payload))
        assert body == writable(kind, payload), f"{kind}.{name}"


def test_contact_object_maps_field_by_field(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """The contact example's every field lands in its canonical field, with lookup names."""
    contact = adapter.to_canonical("contact", load_example("contact", "object"))
    assert isinstance(contact, Contact)
    assert contact.ref == ep("contact", "1489")
    assert (contact.first_name, contact.last_name) == ("John", "Doe")
    assert contact.source == Lookup(ref=ep("source", "2"), name="Social Media")
    assert (contact.is_lead, contact.is_company, contact.company_name) == (False, False, None)
    assert [(p.kind, p.number, p.note) for p in contact.phones] == [
        ("mobile", "1234567890", "Personal phone number"),
        ("work", "0987654321", "Work phone number"),
    ]
    assert [(e.kind, e.address, e.note) for e in contact.emails] == [
        ("personal", "[email protected]", "Primary email"),
        ("work", "[email protected]", "Work email"),
    ]
    assert contact.notes == "Important client"
    website, bank, methods = contact.custom_fields
    assert (website.field, website.name, website.type, website.value) == (
        ep("contact_custom_field", "1"),
        "Website",
        "url",
        "Preferred buyer",
    )
    assert (bank.name, bank.type, bank.value) == ("Bank Accounts", "textarea", "VIP")
    assert methods.type == "select_multi"
    assert methods.value == [
        Lookup(ref=ep("custom_field_option", "2"), name="Email"),
        Lookup(ref=ep("custom_field_option", "3"), name=None),
    ]
    adam, diane = contact.related_people
    assert (adam.first_name, adam.last_name, adam.phone, adam.email, adam.note) == (
        "Adam",
        "Simpson",
        "+306987411111",
        None,
        "CEO",
    )
    assert (diane.first_name, diane.phone, diane.note) == ("Diane", None, "Marketing assistant")
    assert contact.tags == [Lookup(ref=ep("contact_tag", "1"), name="VIP client"), Lookup(ref=ep("contact_tag", "4"))]
    # 18:00:05 in Athens (UTC+2 in January) is 16:00:05 UTC.
    assert contact.created_at == datetime(2025, 1, 15, 16, 0, 5, tzinfo=UTC)
    assert contact.updated_at == datetime(2025, 1, 15, 16, 0, 5, tzinfo=UTC)
    assert contact.created_by == ep("user", "10")
    assert contact.owners == [ep("user", "2"), ep("user", "5"), ep("user", "7")]
    assert contact.converted_at is None
    assert contact.extras == {}


def test_contact_create_body_keeps_absent_keys_absent(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """A partial create body reads with its absent keys listed and writes back without them."""
    payload = load_example("contact", "create-body")
    contact = adapter.to_canonical("contact", payload)
    assert contact.ref is None
    assert contact.emails == []
    assert contact.tags == []
    assert contact.extras["_absent"] == [
        "contact_details",
        "custom_fields",
        "date_converted_to_client",
        "emails",
        "notes",
        "tags",
        "users",
    ]
    body = adapter.from_canonical(contact)
    assert list(body) == list(payload)


def test_communication_object_maps_field_by_field(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """The communication example maps to an Activity with channel, refs, tags and UTC times."""
    activity = adapter.to_canonical("activity", load_example("activity", "object"))
    assert isinstance(activity, Activity)
    assert activity.ref == ep("communication", "301")
    assert activity.created_at == datetime(2025, 3, 12, 8, 5, tzinfo=UTC)
    assert activity.occurred_at == datetime(2025, 3, 12, 7, 30, tzinfo=UTC)
    assert activity.user == ep("user", "3")
    assert activity.office == ep("office", "2")
    assert activity.direction == "outgoing"
    assert activity.channel == "phone"
    assert activity.channel_lookup == Lookup(ref=ep("channel", "1"), name="Phone Call")
    assert activity.contact == ep("contact", "45")
    assert activity.request is None
    assert activity.notes == "Discussed property viewing for next Tuesday."
    assert activity.tags == [
        Lookup(ref=ep("communication_tag", "4"), name="Follow Up"),
        Lookup(ref=ep("communication_tag", "9"), name="Hot Lead"),
    ]
    assert activity.listings == [ep("listing", "120"), ep("listing", "135")]
    assert activity.custom_fields == []
    assert activity.extras == {}


def test_communication_without_lookups_keeps_the_channel_id(
    bare: EstatePrimeAdapter, load_example: LoadExample
) -> None:
    """Without lookups the channel is a nameless Lookup, the kind is unknown, and it round-trips."""
    payload = load_example("activity", "object")
    activity = bare.to_canonical("activity", payload)
    assert isinstance(activity, Activity)
    assert activity.channel is None
    assert activity.channel_lookup == Lookup(ref=ep("channel", "1"))
    assert activity.tags == [Lookup(ref=ep("communication_tag", "4")), Lookup(ref=ep("communication_tag", "9"))]
    assert activity.occurred_at == datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
    assert bare.from_canonical(activity)["channel"] == 1


def test_channel_with_null_type_gives_no_channel_kind(lookups: dict[str, Any], load_example: LoadExample) -> None:
    """A channel whose type is null resolves to channel None but keeps its name in channel_lookup."""
    lookups["communication/channels"] = [{"id": 7, "name": "WhatsApp", "type": None}]
    made = get_adapter("estateprime", lookups=lookups)
    activity = made.to_canonical("activity", {**load_example("activity", "object"), "channel": 7})
    assert isinstance(activity, Activity)
    assert activity.channel is None
    assert activity.channel_lookup == Lookup(ref=ep("channel", "7"), name="WhatsApp")


def test_event_object_maps_field_by_field(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """The timed event example maps to starts_at/ends_at in UTC with its lookups and meeting."""
    event = adapter.to_canonical("event", load_example("event", "object"))
    assert isinstance(event, Event)
    assert event.ref == ep("event", "1489")
    assert event.all_day is False
    assert event.starts_at == datetime(2025, 1, 20, 8, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2025, 1, 20, 9, 0, tzinfo=UTC)
    assert (event.start_date, event.end_date) == (None, None)
    assert event.created_at == datetime(2025, 1, 15, 16, 0, 5, tzinfo=UTC)
    assert event.created_by == ep("user", "10")
    assert event.status == Lookup(ref=ep("event_status", "1"), name="Upcoming")
    assert event.category == Lookup(ref=ep("event_category", "3"), name="Team Meeting")
    assert event.contacts == [ep("contact", "23"), ep("contact", "45"), ep("contact", "67")]
    assert event.users == [ep("user", "2"), ep("user", "5"), ep("user", "7")]
    assert (event.title, event.description) == ("Team Meeting", "Monthly update and strategy planning.")
    assert (event.is_public, event.is_online) == (False, True)
    assert event.tags == [Lookup(ref=ep("event_tag", "12")), Lookup(ref=ep("event_tag", "34"))]
    assert event.remote_meeting is not None
    assert event.remote_meeting.provider == "Google Meet"
    assert event.remote_meeting.url == "https://meet.google.com/abc-defg-hij"
    assert event.remote_meeting.meeting_id == "1x0g1q8ppes9681fpjaiq85dh1"
    assert event.extras == {}


def test_all_day_create_body_maps_to_dates(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """The all-day create example maps to start_date/end_date and writes dates back."""
    payload = load_example("event", "create-body")
    event = adapter.to_canonical("event", payload)
    assert isinstance(event, Event)
    assert event.all_day is True
    assert (event.start_date, event.end_date) == (date(2025, 1, 20), date(2025, 1, 21))
    assert (event.starts_at, event.ends_at) == (None, None)
    assert event.extras == {"_absent": ["remote_meeting"]}
    body = adapter.from_canonical(event)
    assert (body["date_starting"], body["date_ending"], body["created_by"]) == ("2025-01-20", "2025-01-21", 10)
    assert "remote_meeting" not in body


def test_update_response_reads_the_cleared_tags(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """The PATCH response example reads with the new status and an empty tag list."""
    event = adapter.to_canonical("event", load_example("event", "update-response"))
    assert isinstance(event, Event)
    assert event.status == Lookup(ref=ep("event_status", "2"), name="In progress")
    assert event.tags == []


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("contacts.list-response.json", wire.Contact),
        ("communication.list-response.json", wire.Communication),
        ("calendar.list-response.json", wire.Event),
    ],
)
def test_list_envelopes_structure(name: str, item: type, load_fixture: LoadFixture) -> None:
    """The list response examples structure into ListPage with their paging numbers."""
    page = wire.make_converter().structure(load_fixture(name), wire.ListPage[item])  # type: ignore[valid-type]
    assert page.status == 200
    assert page.page == 1
    assert page.results_per_page == 50
    assert len(page.data) == 1
    assert isinstance(page.data[0], item)


def test_single_created_and_deleted_envelopes_structure(load_fixture: LoadFixture) -> None:
    """The single, created and deleted response examples structure into their envelopes."""
    converter = wire.make_converter()
    single = converter.structure(load_fixture("calendar.update-response.json"), wire.Single[wire.Event])
    assert single.data.status_id == 2
    assert single.data.tags == []
    assert converter.structure(load_fixture("contacts.create-response.json"), wire.Created).created_id == 789
    assert converter.structure(load_fixture("communication.delete-response.json"), wire.Deleted).deleted_id == 301


def test_lookup_lists_structure(load_fixture: LoadFixture) -> None:
    """The lookup list examples structure into items, channels and custom field definitions."""
    converter = wire.make_converter()
    channels = converter.structure(load_fixture("communication.channels.json")["data"], list[wire.Channel])
    assert [(c.id, c.name, c.type) for c in channels] == [
        (1, "Phone Call", "phone"),
        (2, "Email", "email"),
        (3, "SMS", "sms"),
    ]
    fields = converter.structure(load_fixture("contacts.custom-fields.json")["data"], list[wire.CustomFieldDefinition])
    assert fields[2].options is not None
    assert [(o.id, o.name) for o in fields[2].options] == [(1, "Phone"), (2, "Email")]
    assert fields[4].type == "phone"
