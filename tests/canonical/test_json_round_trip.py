"""Any canonical record survives a JSON dump and load unchanged, and matches its published schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import given
from hypothesis import strategies as st

from crmbridge.canonical import (
    CUSTOM_FIELD_TYPES,
    RECORD_TYPES,
    Activity,
    Address,
    Call,
    Contact,
    CustomFieldValue,
    EmailAddress,
    EmailMessage,
    Event,
    Lookup,
    Money,
    Person,
    Phone,
    Record,
    Ref,
    Reminder,
    RemoteMeeting,
    Task,
    Video,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "canonical"

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
texts = st.text(max_size=20)
opt_texts = st.none() | texts
refs = st.builds(Ref, names, names, st.text(min_size=1, max_size=12))
lookups = st.one_of(
    st.builds(Lookup, ref=refs, name=opt_texts),
    st.builds(Lookup, ref=st.none(), name=texts),
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
)
opt_instants = st.none() | instants
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=6,
)
extras = st.dictionaries(texts, json_values, max_size=3)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9)
custom_values: dict[str, st.SearchStrategy[Any]] = {
    **dict.fromkeys(("text", "textarea", "wysiwyg", "address", "url", "file", "image"), texts),
    **dict.fromkeys(("file_multi", "image_multi"), st.lists(texts, max_size=3)),
    **dict.fromkeys(("number", "formatted_number"), decimals),
    "currency": st.builds(Money, amount=decimals, currency=opt_texts),
    "select": lookups,
    "select_multi": st.lists(lookups, max_size=3),
    "checkbox": st.booleans(),
    "date": st.dates(),
    "datetime": instants,
    **dict.fromkeys(("user", "contact"), refs),
    **dict.fromkeys(("user_multi", "contact_multi"), st.lists(refs, max_size=3)),
}
custom_fields = st.one_of(
    *[
        st.builds(CustomFieldValue, field=refs, name=opt_texts, type=st.just(t), value=st.none() | custom_values[t])
        for t in CUSTOM_FIELD_TYPES
    ],
    st.builds(CustomFieldValue, field=refs, name=opt_texts, type=st.none(), value=json_values),
)
phones = st.builds(
    Phone,
    number=texts,
    kind=opt_texts,
    note=opt_texts,
    e164=opt_texts,
    extension=opt_texts,
    is_primary=st.booleans(),
    extras=extras,
)
emails = st.builds(EmailAddress, address=texts, kind=opt_texts, note=opt_texts, is_primary=st.booleans(), extras=extras)
addresses = st.builds(Address, line1=opt_texts, city=opt_texts, country=opt_texts, full=opt_texts, extras=extras)
people = st.builds(
    Person, first_name=opt_texts, last_name=opt_texts, phone=opt_texts, relation=opt_texts, extras=extras
)
open_enum = st.none() | st.sampled_from(["phone", "email", "incoming", "call", "done"]) | texts

contacts = st.builds(
    Contact,
    ref=st.none() | refs,
    extras=extras,
    first_name=opt_texts,
    last_name=opt_texts,
    is_lead=st.none() | st.booleans(),
    phones=st.lists(phones, max_size=2),
    emails=st.lists(emails, max_size=2),
    addresses=st.lists(addresses, max_size=2),
    birthday=st.none() | st.dates(),
    websites=st.lists(texts, max_size=2),
    tags=st.lists(lookups, max_size=2),
    source=st.none() | lookups,
    custom_fields=st.lists(custom_fields, max_size=3),
    related_people=st.lists(people, max_size=2),
    owners=st.lists(refs, max_size=2),
    created_at=opt_instants,
    converted_at=opt_instants,
)
activities = st.builds(
    Activity,
    ref=st.none() | refs,
    extras=extras,
    direction=open_enum,
    channel=open_enum,
    channel_lookup=st.none() | lookups,
    occurred_at=opt_instants,
    user=st.none() | refs,
    contact=st.none() | refs,
    listings=st.lists(refs, max_size=2),
    tags=st.lists(lookups, max_size=2),
    notes=opt_texts,
    call=st.none() | st.builds(Call, duration_s=st.none() | st.integers(0, 10**6), phone=opt_texts, status=open_enum),
    email=st.none() | st.builds(EmailMessage, subject=opt_texts, body=opt_texts, user_address=opt_texts),
    video=st.none() | st.builds(Video, url=opt_texts),
    custom_fields=st.lists(custom_fields, max_size=2),
)
tasks = st.builds(
    Task,
    ref=st.none() | refs,
    extras=extras,
    title=opt_texts,
    kind=open_enum,
    status=st.sampled_from(["pending", "done", "X"]),
    due_at=opt_instants,
    ends_at=opt_instants,
    all_day=st.none() | st.booleans(),
    assignees=st.lists(refs, max_size=2),
    contacts=st.lists(refs, max_size=2),
    deals=st.lists(refs, max_size=2),
    reminders=st.lists(st.builds(Reminder, at=instants, relative=st.booleans(), extras=extras), max_size=2),
    deleted_at=opt_instants,
)
events = st.builds(
    Event,
    ref=st.none() | refs,
    extras=extras,
    title=opt_texts,
    all_day=st.none() | st.booleans(),
    starts_at=opt_instants,
    start_date=st.none() | st.dates(),
    status=st.none() | lookups,
    category=st.none() | lookups,
    users=st.lists(refs, max_size=2),
    tags=st.lists(lookups, max_size=2),
    remote_meeting=st.none()
    | st.builds(RemoteMeeting, provider=opt_texts, url=opt_texts, meeting_id=opt_texts, extras=extras),
    custom_fields=st.lists(custom_fields, max_size=2),
)
records = st.one_of(contacts, activities, tasks, events)


def _schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return loaded


@given(records)
def test_record_survives_json_dump_and_load(record: Record) -> None:
    """Dumping any canonical record to JSON and loading it back gives an equal record."""
    loaded = type(record).model_validate_json(record.model_dump_json())
    assert loaded == record


@given(records)
def test_record_json_matches_published_schema(record: Record) -> None:
    """The JSON of any canonical record validates against the committed JSON Schema of its kind."""
    jsonschema.validate(record.model_dump(mode="json"), _schema(record.KIND))


def test_schema_rejects_unknown_fields() -> None:
    """The published schema refuses a field the model does not define (the contract is closed)."""
    document = Contact(first_name="x").model_dump(mode="json") | {"shoe_size": 44}
    validator = jsonschema.Draft202012Validator(_schema("contact"))
    assert not validator.is_valid(document)
    assert set(RECORD_TYPES) == {"contact", "activity", "task", "event"}
