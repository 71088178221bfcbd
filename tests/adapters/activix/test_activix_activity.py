"""Activix Communication <-> canonical Activity: reading, writing, open enums, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crmbridge import get_adapter
from crmbridge.adapters.activix import ActivixAdapter
from crmbridge.canonical import Activity, Call, EmailMessage, Lookup, Ref, Video
from crmbridge.errors import MappingError, UnresolvedReference, UnsupportedKind
from crmbridge.sandbox import example_payloads

ADAPTER = ActivixAdapter(default_region="CA")
EXAMPLES = {(kind, name): payload for kind, name, payload in example_payloads(ADAPTER.system, frozenset(ADAPTER.kinds))}
STATUSES = ["answered", "attempted", "calling", "error", "interrupted", "pending", "unanswered"]


def example(name: str) -> dict[str, Any]:
    return dict(EXAMPLES["activity", name])


def read(payload: dict[str, Any]) -> Activity:
    record = ADAPTER.to_canonical("activity", payload)
    assert isinstance(record, Activity)
    return record


def test_get_adapter_builds_the_activix_adapter_with_its_region() -> None:
    """get_adapter("activix", default_region="CA") returns an ActivixAdapter reading numbers in CA."""
    adapter = get_adapter("activix", default_region="ca")
    assert isinstance(adapter, ActivixAdapter)
    assert adapter.default_region == "CA"
    assert adapter.kinds == frozenset({"activity", "contact"})


def test_an_unknown_region_is_refused_when_the_adapter_is_built() -> None:
    """A default_region phonenumbers does not know is a ValueError at construction, not per record."""
    with pytest.raises(ValueError, match="default_region"):
        ActivixAdapter(default_region="XX")


def test_phone_call_is_read_field_by_field() -> None:
    """An answered phone call becomes an Activity with string Refs, UTC datetimes and a Call."""
    record = read(example("phone_answered"))
    assert record.ref == Ref("activix", "communication", "90010")
    assert record.contact == Ref("activix", "lead", "412877")
    assert record.user == Ref("activix", "user", "2311")
    assert record.channel == "phone"
    assert record.direction == "outgoing"
    assert record.notes == "Call answered"
    assert record.occurred_at == datetime(2022, 1, 22, 6, 0, tzinfo=UTC)
    assert record.created_at == datetime(2022, 1, 22, 6, 5, 12, tzinfo=UTC)
    assert record.updated_at == datetime(2022, 1, 22, 6, 5, 12, tzinfo=UTC)
    assert record.call == Call(duration_s=184, phone="+15145550123", status="answered")
    assert record.email is None
    assert record.video is None
    assert record.extras == {}


@pytest.mark.parametrize("status", STATUSES)
def test_each_documented_call_status_is_read_and_written_unchanged(status: str) -> None:
    """Every one of the seven documented call statuses survives a read and a write."""
    payload = example(f"phone_{status}")
    record = read(payload)
    assert record.call is not None
    assert record.call.status == status
    body = ADAPTER.from_canonical(record)
    assert body["call_status"] == status
    assert body["call_duration"] == payload["call_duration"]
    assert body["call_phone"] == "+15145550123"


def test_interrupted_example_is_an_incoming_call() -> None:
    """The interrupted call fixture is incoming (Activix: interrupted applies to incoming calls only)."""
    assert read(example("phone_interrupted")).direction == "incoming"


def test_unknown_call_status_is_kept_exactly() -> None:
    """A call_status Activix may add later is kept as sent and written back unchanged."""
    record = read(example("phone_unknown_status"))
    assert record.call == Call(duration_s=31, phone="+15145550123", status="voicemail")
    assert ADAPTER.from_canonical(record)["call_status"] == "voicemail"


def test_unknown_method_is_kept_exactly() -> None:
    """A method Activix may add later becomes the channel as sent and is written back unchanged."""
    record = read(example("unknown_method"))
    assert record.channel == "whatsapp"
    assert record.direction == "incoming"
    assert record.call is None
    body = ADAPTER.from_canonical(record)
    assert body["method"] == "whatsapp"
    assert body["type"] == "incoming"
    assert body["executed_at"] == "2022-04-02T12:30:00.250000Z"


@pytest.mark.parametrize(("name", "method"), [("sms_incoming", "sms"), ("video_outgoing", "video")])
def test_each_other_method_is_read_as_its_channel(name: str, method: str) -> None:
    """sms and video communications become Activities with that channel and no call."""
    record = read(example(name))
    assert record.channel == method
    assert record.call is None
    assert record.video is None
    assert ADAPTER.from_canonical(record)["method"] == method


def test_offsets_and_z_are_read_as_utc() -> None:
    """Z, +00:00 and -05:00 timestamps all become aware UTC datetimes for the same instants."""
    record = read(example("sms_incoming"))
    assert record.created_at == datetime(2022, 3, 1, 15, 4, 5, tzinfo=UTC)
    assert record.occurred_at == datetime(2022, 3, 1, 15, 4, 5, tzinfo=UTC)
    assert record.occurred_at is not None
    assert record.occurred_at.tzinfo is UTC


def test_a_naive_timestamp_is_read_as_utc() -> None:
    """A timestamp without an offset is read as UTC (Activix documents every timestamp as UTC)."""
    record = read({**example("phone_answered"), "executed_at": "2022-01-22T08:30:00"})
    assert record.occurred_at == datetime(2022, 1, 22, 8, 30, tzinfo=UTC)


def test_the_body_writes_z_times_and_leaves_out_read_only_fields() -> None:
    """The create body has executed_at in Z form, executed_by, and no id/created_at/updated_at/user_id."""
    body = ADAPTER.from_canonical(read(example("phone_answered")))
    assert body == {
        "lead_id": 412877,
        "method": "phone",
        "type": "outgoing",
        "executed_at": "2022-01-22T06:00:00Z",
        "executed_by": 2311,
        "description": "Call answered",
        "call_duration": 184,
        "call_phone": "+15145550123",
        "call_status": "answered",
    }


def test_minimal_communication_writes_only_what_it_has() -> None:
    """A call with no user, time or duration writes lead_id, method, type and the status only."""
    body = ADAPTER.from_canonical(read(example("minimal_no_user")))
    assert body == {"lead_id": 412877, "method": "phone", "type": "outgoing", "call_status": "pending"}


def test_unknown_fields_go_to_extras_and_back_to_activix_only() -> None:
    """An unknown payload key lands in extras and is written back only for a record read from Activix."""
    record = read({**example("sms_incoming"), "channel_id": 17})
    assert record.extras == {"channel_id": 17}
    assert ADAPTER.from_canonical(record)["channel_id"] == 17
    foreign = record.model_copy(update={"ref": Ref("estateprime", "activity", "5")})
    assert "channel_id" not in ADAPTER.from_canonical(foreign)
    assert ADAPTER.unsupported(foreign) == ["extras.channel_id", "created_at", "updated_at"]


def test_call_attributes_on_another_method_are_kept_in_extras() -> None:
    """Non-null call_* keys on a non-phone communication are kept in extras rather than dropped."""
    record = read({**example("sms_incoming"), "call_status": "answered"})
    assert record.call is None
    assert record.extras == {"call_status": "answered"}


def test_a_phone_communication_without_call_attributes_has_no_call() -> None:
    """A phone communication whose call_* keys are all null reads as call=None, not an empty Call."""
    payload = {**example("phone_answered"), "call_duration": None, "call_phone": None, "call_status": None}
    assert read(payload).call is None


def test_write_only_fields_read_as_none_even_when_present() -> None:
    """Empty-string email_* (or url) in a payload still read as email=None / video=None and no extras."""
    record = read(example("email_empty_private_fields"))
    assert record.email is None
    assert record.video is None
    assert record.extras == {}
    video = read({**example("video_outgoing"), "url": ""})
    assert video.video is None


def test_email_attributes_are_written_when_present() -> None:
    """An email Activity writes email_subject, email_body and email_user."""
    record = Activity(
        channel="email",
        direction="outgoing",
        contact=Ref("activix", "lead", "12"),
        email=EmailMessage(subject="Your quote", body="Hello", user_address="j.roy@dealer.example"),
    )
    body = ADAPTER.from_canonical(record)
    assert body == {
        "lead_id": 12,
        "method": "email",
        "type": "outgoing",
        "email_subject": "Your quote",
        "email_body": "Hello",
        "email_user": "j.roy@dealer.example",
    }


def test_video_url_is_written_when_present() -> None:
    """A video Activity writes its url."""
    record = Activity(channel="video", direction="outgoing", contact=Ref("activix", "lead", "3"), video=Video(url="u"))
    assert ADAPTER.from_canonical(record)["url"] == "u"


@pytest.mark.parametrize(
    ("update", "path"),
    [
        ({"call": Call(duration_s=3)}, "call"),
        ({"email": EmailMessage(subject="s")}, "email"),
        ({"video": Video(url="u")}, "video"),
    ],
)
def test_attributes_of_another_method_are_refused(update: dict[str, Any], path: str) -> None:
    """Call, email or video attributes on an sms communication are a MappingError naming them."""
    record = Activity(channel="sms", direction="outgoing", contact=Ref("activix", "lead", "3"), **update)
    with pytest.raises(MappingError) as caught:
        ADAPTER.from_canonical(record)
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("activix", "activity", path)


@pytest.mark.parametrize(
    ("missing", "path"), [("contact", "contact"), ("channel", "channel"), ("direction", "direction")]
)
def test_lead_method_and_type_are_required_on_write(missing: str, path: str) -> None:
    """Writing without a lead, channel or direction is a MappingError naming the canonical field."""
    record = read(example("phone_answered")).model_copy(update={missing: None})
    with pytest.raises(MappingError) as caught:
        ADAPTER.from_canonical(record)
    assert caught.value.path == path
    with pytest.raises(MappingError):
        ADAPTER.to_update(record, fields=["notes"])


def test_call_phone_is_normalised_with_the_default_region() -> None:
    """A national-format call phone becomes E.164 using default_region."""
    record = Activity(
        channel="phone",
        direction="incoming",
        contact=Ref("activix", "lead", "3"),
        call=Call(phone="(514) 555-0123", status="answered"),
    )
    assert ADAPTER.from_canonical(record)["call_phone"] == "+15145550123"
    assert ActivixAdapter().from_canonical(record.model_copy(update={"call": Call(phone="+1 514-555-0123")}))[
        "call_phone"
    ] == ("+15145550123")


@pytest.mark.parametrize("number", ["(514) 555-0123", "not a number", "+1"])
def test_a_call_phone_that_cannot_be_e164_is_a_mapping_error(number: str) -> None:
    """Without a region (or for garbage) the call phone cannot become E.164: MappingError on call.phone."""
    record = Activity(
        channel="phone", direction="incoming", contact=Ref("activix", "lead", "3"), call=Call(phone=number)
    )
    with pytest.raises(MappingError) as caught:
        ActivixAdapter().from_canonical(record)
    assert caught.value.path == "call.phone"
    assert number not in str(caught.value)


def test_foreign_refs_go_through_the_resolver() -> None:
    """EstatePrime contact and user Refs are written as the Activix ids the resolver returns."""
    mapping = {
        Ref("estateprime", "contact", "1489"): Ref("activix", "lead", "77"),
        Ref("estateprime", "user", "9"): Ref("activix", "user", "5"),
    }
    record = Activity(
        channel="sms",
        direction="incoming",
        contact=Ref("estateprime", "contact", "1489"),
        user=Ref("estateprime", "user", "9"),
    )
    body = ADAPTER.from_canonical(record, resolve=lambda ref, system: mapping.get(ref))
    assert body["lead_id"] == 77
    assert body["executed_by"] == 5


def test_an_unresolved_foreign_ref_names_the_field() -> None:
    """Without a resolver a foreign contact Ref is an UnresolvedReference on path contact."""
    record = Activity(channel="sms", direction="incoming", contact=Ref("estateprime", "contact", "1489"))
    with pytest.raises(UnresolvedReference) as caught:
        ADAPTER.from_canonical(record)
    assert caught.value.path == "contact"


@pytest.mark.parametrize(
    ("update", "path"),
    [
        ({"contact": Ref("activix", "user", "3")}, "contact"),
        ({"contact": Ref("activix", "lead", "abc")}, "contact"),
        ({"user": Ref("activix", "lead", "3")}, "user"),
    ],
)
def test_activix_refs_must_be_integer_ids_of_the_right_kind(update: dict[str, Any], path: str) -> None:
    """A wrong-kind or non-integer Activix Ref is a MappingError naming the field."""
    record = Activity(channel="sms", direction="incoming", contact=Ref("activix", "lead", "3")).model_copy(
        update=update
    )
    with pytest.raises(MappingError) as caught:
        ADAPTER.from_canonical(record)
    assert caught.value.path == path


BAD_INT_IDS = ["0", "00", "1;DROP", " 1", "1 ", "\uff11", "-1", "1e3", "9" * 19]


@pytest.mark.parametrize("bad", BAD_INT_IDS)
@pytest.mark.parametrize(("field", "kind"), [("user", "user"), ("contact", "lead")])
def test_ids_written_into_the_body_are_checked_like_path_ids(field: str, kind: str, bad: str) -> None:
    """A Ref whose id could not be a path id (zero, not ASCII digits, too long) is a MappingError, create or update."""
    record = read(example("phone_answered")).model_copy(update={field: Ref("activix", kind, bad)})
    for write in (ADAPTER.from_canonical, ADAPTER.to_update):
        with pytest.raises(MappingError) as caught:
            write(record)
        assert (caught.value.system, caught.value.kind, caught.value.path) == ("activix", "activity", field)
        assert "positive integer" in caught.value.message


def test_ids_with_leading_zeros_are_their_number() -> None:
    """A Ref id with leading zeros is written as its number, as a path id would be read."""
    record = read(example("phone_answered")).model_copy(update={"user": Ref("activix", "user", "007")})
    assert ADAPTER.from_canonical(record)["executed_by"] == 7


def test_partial_update_sends_required_keys_plus_chosen_fields() -> None:
    """to_update(fields=[...]) sends lead_id, method, type and only the chosen fields (None as null)."""
    record = read(example("phone_answered")).model_copy(update={"notes": None})
    body = ADAPTER.to_update(record, fields=["notes", "call"])
    assert body == {
        "lead_id": 412877,
        "method": "phone",
        "type": "outgoing",
        "description": None,
        "call_duration": 184,
        "call_phone": "+15145550123",
        "call_status": "answered",
    }


def test_full_update_never_clears_the_write_only_email_fields() -> None:
    """Updating a read email communication sends no email_* keys (they were never read, so not cleared)."""
    body = ADAPTER.to_update(read(example("email_outgoing")))
    assert not {"email_subject", "email_body", "email_user"} & body.keys()
    assert body["description"] == "Sent the brochure"


def test_update_with_an_unknown_field_name_is_refused() -> None:
    """A field name that is not a canonical Activity field is a MappingError naming it."""
    with pytest.raises(MappingError) as caught:
        ADAPTER.to_update(read(example("phone_answered")), fields=["colour"])
    assert caught.value.path == "colour"


def test_unsupported_lists_every_activity_field_activix_cannot_store() -> None:
    """Tags, listings, office, request, channel lookup and custom fields are all reported."""
    record = Activity(
        channel="phone",
        direction="outgoing",
        contact=Ref("activix", "lead", "1"),
        channel_lookup=Lookup(name="Phone call"),
        office=Ref("estateprime", "office", "2"),
        request=Ref("estateprime", "request", "3"),
        listings=[Ref("estateprime", "listing", "4"), Ref("estateprime", "listing", "5")],
        tags=[Lookup(name="hot")],
        custom_fields=[{"field": Ref("estateprime", "field", "6"), "value": "x"}],  # type: ignore[list-item]
    )
    assert ADAPTER.unsupported(record) == [
        "channel_lookup",
        "office",
        "request",
        "listings[0]",
        "listings[1]",
        "tags[0]",
        "custom_fields[0]",
    ]


def test_unsupported_is_empty_for_records_read_from_activix() -> None:
    """Every example communication read from Activix can be stored back whole."""
    for (kind, _name), payload in EXAMPLES.items():
        if kind == "activity":
            assert ADAPTER.unsupported(read(dict(payload))) == []


def test_unknown_kind_is_refused() -> None:
    """Asking for a kind Activix does not have is UnsupportedKind."""
    with pytest.raises(UnsupportedKind):
        ADAPTER.to_canonical("task", {})
