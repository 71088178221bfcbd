"""Write bodies: create, update (unchanged vs clear), refs of other systems, extras and unsupported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from crmbridge import (
    Activity,
    Address,
    Call,
    Contact,
    EmailAddress,
    EmailMessage,
    Event,
    Lookup,
    MappingError,
    Person,
    Phone,
    Ref,
    RemoteMeeting,
    Task,
    UnresolvedReference,
    UnsupportedKind,
    Video,
)
from crmbridge.adapters.estateprime import EstatePrimeAdapter
from crmbridge.sandbox import example_payloads

LoadExample = Callable[[str, str], dict[str, Any]]


def ep(kind: str, ident: str) -> Ref:
    return Ref("estateprime", kind, ident)


def rechat(kind: str, ident: str) -> Ref:
    return Ref("rechat", kind, ident)


# -- update bodies ----------------------------------------------------------------------------


def test_update_sends_only_the_given_fields(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """to_update with fields gives the calendar PATCH example: new status, tags cleared with null."""
    event = adapter.to_canonical("event", load_example("event", "object"))
    changed = event.model_copy(update={"status": Lookup(ref=ep("event_status", "2")), "tags": []})
    assert adapter.to_update(changed, fields=["status", "tags"]) == {"status_id": 2, "tags": None}


def test_update_leaves_unlisted_fields_out(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """Fields not listed are absent from the body (unchanged), and None becomes null (clear)."""
    event = adapter.to_canonical("event", load_example("event", "object"))
    changed = event.model_copy(update={"description": None, "remote_meeting": None})
    assert adapter.to_update(changed, fields=["description", "remote_meeting"]) == {
        "description": None,
        "remote_meeting": None,
    }


def test_update_of_all_day_sends_both_bounds(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """Switching all_day re-sends full_day and both bounds in the matching format."""
    event = adapter.to_canonical("event", load_example("event", "object"))
    all_day = event.model_copy(update={"all_day": True, "start_date": date(2025, 1, 20), "end_date": date(2025, 1, 20)})
    assert adapter.to_update(all_day, fields=["all_day"]) == {
        "full_day": True,
        "date_starting": "2025-01-20",
        "date_ending": "2025-01-20",
    }


def test_full_update_has_every_writable_field_and_null_tags(
    adapter: EstatePrimeAdapter, load_example: LoadExample
) -> None:
    """to_update without fields sends every writable key, with an empty tag list as null."""
    payload = load_example("event", "update-response")
    body = adapter.to_update(adapter.to_canonical("event", payload))
    expected = {k: v for k, v in payload.items() if k not in {"id", "date_created"}} | {"tags": None}
    assert body == expected


def test_update_does_not_resolve_unlisted_refs(adapter: EstatePrimeAdapter) -> None:
    """A foreign ref in a field that is not updated is not resolved (no UnresolvedReference)."""
    event = Event(ref=rechat("event", "e"), title="New", contacts=[rechat("contact", "c")])
    assert adapter.to_update(event, fields=["title"]) == {"title": "New"}


def test_update_of_unknown_or_read_only_field_is_an_error(adapter: EstatePrimeAdapter) -> None:
    """Naming a field EstatePrime cannot update raises MappingError naming it."""
    with pytest.raises(MappingError) as caught:
        adapter.to_update(Event(title="x"), fields=["created_at"])
    assert caught.value.path == "created_at"


def test_contact_and_activity_updates_follow_the_same_rules(
    adapter: EstatePrimeAdapter, load_example: LoadExample
) -> None:
    """Contacts and communications (no documented update endpoint) get the same partial bodies."""
    contact = adapter.to_canonical("contact", load_example("contact", "object"))
    assert adapter.to_update(contact.model_copy(update={"tags": []}), fields=["tags", "notes"]) == {
        "tags": None,
        "notes": "Important client",
    }
    activity = adapter.to_canonical("activity", load_example("activity", "object"))
    assert adapter.to_update(activity, fields=["notes", "occurred_at"]) == {
        "comments": "Discussed property viewing for next Tuesday.",
        "communication_date": "2025-03-12 09:30:00",
    }


# -- refs of other systems --------------------------------------------------------------------


def test_foreign_refs_are_resolved(adapter: EstatePrimeAdapter) -> None:
    """Refs of another system go through the resolver and become integer ids."""
    table = {rechat("contact", "c1"): ep("contact", "45"), rechat("user", "u1"): ep("user", "3")}

    def resolve(ref: Ref, system: str) -> Ref | None:
        return table.get(ref) if system == "estateprime" else None

    event = Event(
        ref=rechat("event", "e1"),
        all_day=False,
        starts_at=datetime(2025, 5, 1, 7, 0, tzinfo=UTC),
        ends_at=datetime(2025, 5, 1, 8, 0, tzinfo=UTC),
        contacts=[rechat("contact", "c1")],
        users=[rechat("user", "u1"), ep("user", "9")],
    )
    body = adapter.from_canonical(event, resolve=resolve)
    assert body["contacts"] == [45]
    assert body["users"] == [3, 9]
    assert (body["date_starting"], body["date_ending"]) == ("2025-05-01 10:00:00", "2025-05-01 11:00:00")


def test_unresolved_foreign_ref_names_the_field(adapter: EstatePrimeAdapter) -> None:
    """A foreign ref without a counterpart raises UnresolvedReference with its path."""
    event = Event(
        starts_at=datetime(2025, 5, 1, tzinfo=UTC),
        ends_at=datetime(2025, 5, 1, tzinfo=UTC),
        users=[ep("user", "1"), rechat("user", "u1")],
    )
    with pytest.raises(UnresolvedReference) as caught:
        adapter.from_canonical(event)
    assert caught.value.path == "users[1]"


@pytest.mark.parametrize(
    ("ref", "message"),
    [(ep("user", "abc"), "must be a positive integer"), (ep("contact", "4"), "expected a user reference")],
)
def test_bad_estateprime_ref_is_a_mapping_error(adapter: EstatePrimeAdapter, ref: Ref, message: str) -> None:
    """An EstatePrime Ref with a non-integer id or the wrong kind is a MappingError naming the field."""
    event = Event(starts_at=datetime(2025, 5, 1, tzinfo=UTC), ends_at=datetime(2025, 5, 1, tzinfo=UTC), created_by=ref)
    with pytest.raises(MappingError) as caught:
        adapter.from_canonical(event)
    assert caught.value.path == "created_by"
    assert message in caught.value.message


def test_name_only_lookups_resolve_by_name(adapter: EstatePrimeAdapter) -> None:
    """A tag or status known only by name is written with the id of the lookup of that name."""
    event = Event(
        starts_at=datetime(2025, 5, 1, tzinfo=UTC),
        ends_at=datetime(2025, 5, 1, tzinfo=UTC),
        status=Lookup(name="Completed"),
        tags=[Lookup(name="Lost")],
    )
    body = adapter.from_canonical(event)
    assert (body["status_id"], body["tags"]) == (3, [2])
    unknown = event.model_copy(update={"tags": [Lookup(name="Lost"), Lookup(name="Nope")]})
    assert adapter.from_canonical(unknown)["tags"] == [2], "an unknown tag is not written..."
    assert "tags[1]" in adapter.unsupported(unknown), "...and is reported as lost"


def test_foreign_lookups_resolve_by_crosswalk_then_by_name(adapter: EstatePrimeAdapter) -> None:
    """A tag from another CRM is written through the resolver, else by its name, else dropped and reported."""
    event = Event(
        starts_at=datetime(2025, 5, 1, tzinfo=UTC),
        ends_at=datetime(2025, 5, 1, tzinfo=UTC),
        tags=[
            Lookup(ref=Ref("rechat", "tag", "a"), name="x"),
            Lookup(ref=Ref("rechat", "tag", "b"), name="Lost"),
            Lookup(ref=Ref("rechat", "tag", "c"), name="Nope"),
        ],
    )
    crosswalk = {Ref("rechat", "tag", "a"): ep("event_tag", "1")}
    body = adapter.from_canonical(event, resolve=lambda ref, system: crosswalk.get(ref))
    assert body["tags"] == [1, 2]
    assert "tags[2]" in adapter.unsupported(event)


def test_activity_channel_kind_resolves_to_a_channel_id(adapter: EstatePrimeAdapter) -> None:
    """An activity with channel "sms" and no channel_lookup writes the sms channel's id."""
    activity = Activity(
        direction="incoming",
        channel="sms",
        occurred_at=datetime(2025, 5, 1, tzinfo=UTC),
        user=ep("user", "3"),
        contact=ep("contact", "45"),
        office=ep("office", "2"),
    )
    body = adapter.from_canonical(activity)
    assert body["channel"] == 3
    assert body["communication_date"] == "2025-05-01 03:00:00"


def test_create_requires_the_documented_required_fields(adapter: EstatePrimeAdapter) -> None:
    """A communication without a user, or an event without a start, is a MappingError naming the field."""
    activity = Activity(
        channel="sms",
        direction="incoming",
        occurred_at=datetime(2025, 5, 1, tzinfo=UTC),
        contact=ep("contact", "1"),
        office=ep("office", "2"),
    )
    with pytest.raises(MappingError) as caught:
        adapter.from_canonical(activity)
    assert caught.value.path == "user"
    with pytest.raises(MappingError) as caught:
        adapter.from_canonical(Event(title="x", ends_at=datetime(2025, 5, 1, tzinfo=UTC)))
    assert caught.value.path == "starts_at"


# -- extras -----------------------------------------------------------------------------------


def test_unknown_fields_go_to_extras_and_back(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """Unknown top-level and nested keys land in the right extras and are written back."""
    payload = load_example("contact", "object")
    payload["rating"] = 5
    payload["phones"][0]["verified"] = True
    payload["emails"][1]["bounced"] = False
    payload["contact_details"][0]["role"] = "boss"
    contact = adapter.to_canonical("contact", payload)
    assert isinstance(contact, Contact)
    assert contact.extras == {"rating": 5}
    assert contact.phones[0].extras == {"verified": True}
    assert contact.emails[1].extras == {"bounced": False}
    assert contact.related_people[0].extras == {"role": "boss"}
    body = adapter.from_canonical(contact)
    assert body["rating"] == 5
    assert body["phones"][0] == payload["phones"][0]
    assert body["emails"][1] == payload["emails"][1]
    assert body["contact_details"][0] == payload["contact_details"][0]


def test_unknown_remote_meeting_keys_and_absent_ones_round_trip(
    adapter: EstatePrimeAdapter, load_example: LoadExample
) -> None:
    """remote_meeting keeps unknown keys in its extras and leaves absent keys absent."""
    payload = load_example("event", "object")
    payload["remote_meeting"] = {"type": "Zoom", "meeting_url": "https://zoom.us/j/1", "passcode": "x"}
    event = adapter.to_canonical("event", payload)
    assert isinstance(event, Event)
    assert event.remote_meeting is not None
    assert event.remote_meeting.extras == {"passcode": "x", "_absent": ["meeting_id"]}
    assert adapter.from_canonical(event)["remote_meeting"] == payload["remote_meeting"]


def test_foreign_extras_are_not_written(adapter: EstatePrimeAdapter) -> None:
    """Extras of a record read from another system never reach an EstatePrime body."""
    contact = Contact(
        ref=rechat("contact", "c"),
        first_name="A",
        phones=[Phone(number="1", extras={"label": "x"})],
        extras={"rating": 5},
    )
    body = adapter.from_canonical(contact)
    assert "rating" not in body
    assert body["phones"] == [{"type": None, "number": "1", "notes": None}]


# -- unsupported ------------------------------------------------------------------------------


def test_unsupported_lists_every_contact_field_without_a_home(adapter: EstatePrimeAdapter) -> None:
    """unsupported names each contact field EstatePrime cannot store, nested paths included."""
    contact = Contact(
        ref=rechat("contact", "c"),
        title="Dr",
        middle_name="Q",
        nickname="Jo",
        display_name="Jo Doe",
        job_title="CEO",
        addresses=[Address(city="Athens")],
        birthday=date(1980, 1, 1),
        websites=["https://x"],
        updated_by=rechat("user", "u"),
        deleted_at=datetime(2025, 1, 1, tzinfo=UTC),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
        created_by=rechat("user", "u"),
        phones=[Phone(number="1", extension="12", is_primary=True, extras={"label": "x"})],
        emails=[EmailAddress(address="a@b", is_primary=True, extras={"y": 1})],
        related_people=[Person(first_name="P", relation="partner", extras={"z": 1})],
        tags=[Lookup(name="No such tag")],
        source=Lookup(name="Social Media"),
        extras={"rating": 5},
    )
    assert adapter.unsupported(contact) == [
        "extras.rating",
        "title",
        "middle_name",
        "nickname",
        "display_name",
        "job_title",
        "addresses",
        "birthday",
        "websites",
        "updated_by",
        "deleted_at",
        "created_at",
        "updated_at",
        "created_by",
        "phones[0].extension",
        "phones[0].is_primary",
        "phones[0].extras.label",
        "emails[0].is_primary",
        "emails[0].extras.y",
        "related_people[0].relation",
        "related_people[0].extras.z",
        "tags[0]",
    ]


def test_unsupported_activity_fields(adapter: EstatePrimeAdapter) -> None:
    """Calls, emails, videos, updated_at and an unknown channel kind are unsupported on a communication."""
    activity = Activity(
        ref=rechat("activity", "a"),
        channel="video",
        call=Call(duration_s=5),
        email=EmailMessage(subject="s"),
        video=Video(url="https://v"),
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
        tags=[Lookup(name="Hot Lead"), Lookup(name="Cold")],
    )
    assert adapter.unsupported(activity) == [
        "call",
        "email",
        "video",
        "updated_at",
        "created_at",
        "channel",
        "tags[1]",
    ]


def test_unsupported_event_fields(adapter: EstatePrimeAdapter) -> None:
    """An event with both bound forms, foreign meeting extras and an unknown option lists them all."""
    from crmbridge import CustomFieldValue

    event = Event(
        ref=rechat("event", "e"),
        all_day=True,
        starts_at=datetime(2025, 1, 1, tzinfo=UTC),
        start_date=date(2025, 1, 1),
        end_date=date(2025, 1, 2),
        updated_at=datetime(2025, 1, 1, tzinfo=UTC),
        remote_meeting=RemoteMeeting(provider="Zoom", extras={"passcode": "x"}),
        status=Lookup(name="Nope"),
        custom_fields=[
            CustomFieldValue(field=ep("event_custom_field", "9"), type="select", value=Lookup(name="Unknown option"))
        ],
    )
    assert adapter.unsupported(event) == [
        "updated_at",
        "starts_at",
        "remote_meeting.extras.passcode",
        "status",
        "custom_fields[0].value",
    ]


def test_own_records_have_nothing_unsupported(adapter: EstatePrimeAdapter) -> None:
    """Every vendor example read back is fully storable: unsupported is empty."""
    for kind, _, payload in example_payloads(adapter.system, frozenset(adapter.kinds)):
        assert adapter.unsupported(adapter.to_canonical(kind, payload)) == []


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "change", "path"),
    [
        ("contact", {"id": "1489"}, "id"),
        ("contact", {"phones": "1234"}, "phones"),
        ("contact", {"phones": [{"number": "1"}, {"number": 2}]}, "phones[1].number"),
        ("contact", {"tags": [1, None]}, "tags[1]"),
        ("contact", {"date_created": "yesterday"}, "date_created"),
        ("contact", {"custom_fields": [{"value": 1}]}, "custom_fields[0].custom_field_id"),
        ("activity", {"channel": None}, "channel"),
        ("activity", {"user_id": 3.0}, "user_id"),
        ("event", {"full_day": "no"}, "full_day"),
        ("event", {"remote_meeting": []}, "remote_meeting"),
        ("event", {"date_starting": "2025-02-30 10:00:00"}, "date_starting"),
    ],
)
def test_wrong_types_are_mapping_errors_with_paths(
    adapter: EstatePrimeAdapter, load_example: LoadExample, kind: str, change: dict[str, Any], path: str
) -> None:
    """A wrong type anywhere raises MappingError(system, kind, path) and nothing else."""
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical(kind, {**load_example(kind, "object"), **change})
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("estateprime", kind, path)


def test_missing_required_key_is_a_mapping_error(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """A communication without communication_date raises MappingError naming the key."""
    payload = load_example("activity", "object")
    del payload["communication_date"]
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("activity", payload)
    assert caught.value.path == "communication_date"
    assert "required" in caught.value.message


def test_non_object_payload_is_a_mapping_error(adapter: EstatePrimeAdapter) -> None:
    """A payload that is not a JSON object raises MappingError with an empty path."""
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("event", [1, 2])  # type: ignore[arg-type]
    assert caught.value.path == ""


def test_unknown_kind_is_unsupported(adapter: EstatePrimeAdapter) -> None:
    """Kinds other than contact, activity and event raise UnsupportedKind both ways."""
    with pytest.raises(UnsupportedKind):
        adapter.to_canonical("task", {})
    with pytest.raises(UnsupportedKind):
        adapter.from_canonical(Task(title="x"))


def test_bad_lookups_are_reported(lookups: dict[str, Any]) -> None:
    """An unknown lookup endpoint is a ValueError; a malformed item is a MappingError with its path."""
    from crmbridge import get_adapter

    with pytest.raises(ValueError, match="unknown EstatePrime lookup"):
        get_adapter("estateprime", lookups={"contacts/tag": []})
    with pytest.raises(MappingError) as caught:
        get_adapter("estateprime", lookups={"contacts/tags": [{"id": 1, "name": "a"}, {"id": "2", "name": "b"}]})
    assert caught.value.path == "contacts/tags[1].id"


# -- instants with no local time in the account's zone ------------------------------------------

FIRST_INSTANT = datetime(1, 1, 1, 0, 0, tzinfo=UTC)  # still year 0 in Chicago
LAST_INSTANT = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)  # already year 10000 in Athens
EXTREMES = [("America/Chicago", FIRST_INSTANT), ("Europe/Athens", LAST_INSTANT)]
DATETIME_FIELD = {"contacts/custom-fields": [{"id": 4, "name": "Met", "type": "datetime"}]}


def extreme_records(when: datetime) -> list[tuple[Contact | Activity | Event, str]]:
    """Records holding ``when`` in one datetime field each, with the canonical path of that field."""
    people = {"contact": ep("contact", "1"), "user": ep("user", "1"), "office": ep("office", "1")}
    return [
        (Contact(first_name="A", converted_at=when), "converted_at"),
        (Activity(occurred_at=when, direction="outgoing", channel="phone", **people), "occurred_at"),
        (Event(ref=ep("event", "3"), title="t", starts_at=when, all_day=False), "starts_at"),
        (Event(ref=ep("event", "3"), title="t", starts_at=datetime(2025, 1, 1, tzinfo=UTC), ends_at=when), "ends_at"),
        (Event(ref=ep("event", "3"), title="t", starts_at=when, all_day=True), "starts_at"),
        (
            Contact(
                first_name="A",
                custom_fields=[{"field": ep("contact_custom_field", "4"), "type": "datetime", "value": when}],
            ),
            "custom_fields[0].value",
        ),
    ]


@pytest.mark.parametrize(("zone", "when"), EXTREMES, ids=[zone for zone, _ in EXTREMES])
def test_instants_with_no_local_time_are_mapping_errors_naming_the_field(zone: str, when: datetime) -> None:
    """An instant whose local time in the account's zone is outside years 1..9999 is a MappingError naming the field."""
    adapter = EstatePrimeAdapter(timezone=zone, lookups=DATETIME_FIELD)
    for record, path in extreme_records(when):
        for write in (adapter.from_canonical, adapter.to_update):
            with pytest.raises(MappingError) as caught:
                write(record)
            assert (caught.value.system, caught.value.kind, caught.value.path) == ("estateprime", record.KIND, path)
            assert "out of range" in caught.value.message or "between years 1 and 9999" in caught.value.message


def test_the_same_instants_write_in_zones_that_have_them() -> None:
    """The first and last instants do have local times in UTC (and east or west of it): they are written."""
    utc = EstatePrimeAdapter(timezone="UTC").from_canonical(Contact(converted_at=FIRST_INSTANT))
    assert utc["date_converted_to_client"] == "0001-01-01 00:00:00"
    athens = EstatePrimeAdapter(timezone="Europe/Athens").from_canonical(Contact(converted_at=FIRST_INSTANT))
    assert athens["date_converted_to_client"] == "0001-01-01 01:34:52"
    chicago = EstatePrimeAdapter(timezone="America/Chicago").from_canonical(Contact(converted_at=LAST_INSTANT))
    assert chicago["date_converted_to_client"] == "9999-12-31 17:59:00"
