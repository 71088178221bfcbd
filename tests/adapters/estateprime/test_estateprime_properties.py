"""Property tests: valid wire objects round-trip exactly; broken ones only ever raise MappingError."""

from __future__ import annotations

import contextlib
import json
import string
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge import MappingError, Record
from crmbridge.adapters.estateprime import EstatePrimeAdapter
from crmbridge.canonical import CUSTOM_FIELD_TYPES

READ_ONLY = {
    "contact": {"id", "date_created", "date_updated", "created_by"},
    "activity": {"id", "date_created"},
    "event": {"id", "date_created"},
}
KNOWN_KEYS = {
    "contact": {
        "id", "first_name", "last_name", "source_id", "is_lead", "is_company", "company_name", "phones",
        "emails", "notes", "custom_fields", "contact_details", "tags", "date_created", "created_by", "users",
        "date_updated", "date_converted_to_client",
    },
    "activity": {
        "id", "date_created", "communication_date", "user_id", "store_id", "type", "channel", "contact_id",
        "request_id", "comments", "tags", "listings", "custom_fields",
    },
    "event": {
        "id", "full_day", "date_starting", "date_ending", "date_created", "created_by", "status_id",
        "category_id", "contacts", "users", "title", "description", "is_public", "is_online", "tags",
        "remote_meeting", "custom_fields",
    },
}  # fmt: skip

OPTIONS = [{"id": 1, "name": "One"}, {"id": 2, "name": "Two"}]
DEFINITIONS = [
    {"id": i + 1, "name": t, "type": t, **({"options": OPTIONS} if t.startswith("select") else {})}
    for i, t in enumerate(CUSTOM_FIELD_TYPES)
]
LOOKUPS = {
    "contacts/custom-fields": DEFINITIONS,
    "communication/custom-fields": DEFINITIONS,
    "calendar/custom-fields": DEFINITIONS,
    "communication/channels": [{"id": 1, "name": "Phone Call", "type": "phone"}, {"id": 2, "name": "X", "type": None}],
    "contacts/tags": [{"id": 1, "name": "VIP"}],
}
ADAPTERS = {
    "athens": EstatePrimeAdapter(timezone="Europe/Athens", lookups=LOOKUPS),
    "chicago": EstatePrimeAdapter(timezone="America/Chicago"),
}

# -- wire value strategies ------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=2**40)
id_lists = st.lists(ids, max_size=4)
texts = st.text(max_size=12)
maybe_texts = st.none() | texts
bools = st.none() | st.booleans()
local_times = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31)).map(
    lambda d: d.replace(microsecond=0).isoformat(" ")
)
local_dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)).map(date.isoformat)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3), max_leaves=6
)
extra_keys = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8).map(lambda k: f"x_{k}")
grouped = st.from_regex(r"-?([1-9][0-9]{0,2}(,[0-9]{3}){0,3}|0)(\.[0-9]{1,3})?", fullmatch=True)

TYPED_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text(max_size=255),
    "textarea": st.text(max_size=300),
    "wysiwyg": texts,
    "address": texts,
    "url": texts,
    "file": texts,
    "image": texts,
    "file_multi": st.lists(texts, max_size=3),
    "image_multi": st.lists(texts, max_size=3),
    "number": st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True),
    "formatted_number": grouped | st.integers(),
    "currency": st.one_of(
        st.tuples(st.sampled_from(["", "€", "$", "EUR "]), grouped).map("".join),
        st.tuples(grouped, st.sampled_from(["€", "$", " EUR"])).map("".join),
    ),
    "select": st.integers(1, 5) | st.sampled_from(["1", "3"]),
    "select_multi": st.lists(st.integers(1, 5), max_size=3),
    "checkbox": st.booleans() | st.sampled_from([0, 1, "0", "1"]),
    "date": local_dates,
    "datetime": local_times,
    "user": ids,
    "user_multi": id_lists,
    "contact": ids | st.sampled_from(["7", "12"]),
    "contact_multi": id_lists,
}


@st.composite
def custom_fields(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Custom field entries: typed by the definitions (ids 1-21) or unknown (ids ≥ 100, any JSON)."""
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.booleans()):
            index = draw(st.integers(0, len(CUSTOM_FIELD_TYPES) - 1))
            field_type = CUSTOM_FIELD_TYPES[index]
            value = draw(
                st.none() | TYPED_VALUES[field_type] | st.just("")
                if field_type not in ("text",)
                else TYPED_VALUES[field_type]
            )
            entries.append({"custom_field_id": index + 1, "value": value})
        else:
            entries.append({"custom_field_id": draw(st.integers(100, 200)), "value": draw(json_values)})
    return entries


def nested(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {k: st.just(v) if not isinstance(v, st.SearchStrategy) else v for k, v in required.items()},
        optional={**optional, "x_extra": json_values},
    )


phones = nested({"number": texts}, {"type": maybe_texts, "notes": maybe_texts})
emails = nested({"email_address": texts}, {"type": maybe_texts, "notes": maybe_texts})
details = nested({}, dict.fromkeys(("first_name", "last_name", "mobile", "email", "notes"), maybe_texts))
meetings = nested({}, {"type": maybe_texts, "meeting_url": maybe_texts, "meeting_id": maybe_texts})


def with_extras(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(base, st.dictionaries(extra_keys, json_values, max_size=2)).map(lambda t: {**t[1], **t[0]})


def nullable_list(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | st.lists(items, max_size=3)


contacts = with_extras(
    st.fixed_dictionaries(
        {},
        optional={
            "id": ids,
            "first_name": maybe_texts,
            "last_name": maybe_texts,
            "source_id": st.none() | ids,
            "is_lead": bools,
            "is_company": bools,
            "company_name": maybe_texts,
            "phones": nullable_list(phones),
            "emails": nullable_list(emails),
            "notes": maybe_texts,
            "custom_fields": st.none() | custom_fields(),
            "contact_details": nullable_list(details),
            "tags": st.none() | id_lists,
            "date_created": st.none() | local_times,
            "created_by": st.none() | ids,
            "users": st.none() | id_lists,
            "date_updated": st.none() | local_times,
            "date_converted_to_client": st.none() | local_times | local_dates,
        },
    )
)
communications = with_extras(
    st.fixed_dictionaries(
        {
            "channel": st.sampled_from([1, 2, 3]),
            "user_id": ids,
            "contact_id": ids,
            "store_id": ids,
            "type": st.sampled_from(["incoming", "outgoing"]) | texts,
            "communication_date": local_times,
        },
        optional={
            "id": ids,
            "date_created": st.none() | local_times,
            "request_id": st.none() | ids,
            "comments": maybe_texts,
            "tags": st.none() | id_lists,
            "listings": st.none() | id_lists,
            "custom_fields": st.none() | custom_fields(),
        },
    )
)
events = with_extras(
    st.fixed_dictionaries(
        {"date_starting": local_times | local_dates, "date_ending": local_times | local_dates},
        optional={
            "id": ids,
            "full_day": bools,
            "date_created": st.none() | local_times,
            "created_by": st.none() | ids,
            "status_id": st.none() | ids,
            "category_id": st.none() | ids,
            "contacts": st.none() | id_lists,
            "users": st.none() | id_lists,
            "title": maybe_texts,
            "description": maybe_texts,
            "is_public": bools,
            "is_online": bools,
            "tags": st.none() | id_lists,
            "remote_meeting": st.none() | meetings,
            "custom_fields": st.none() | custom_fields(),
        },
    )
)
PAYLOADS = {"contact": contacts, "activity": communications, "event": events}


def exact(value: Any) -> str:
    """JSON text with sorted keys: equal only if values *and* JSON types match (1 vs 1.0 vs true)."""
    return json.dumps(value, sort_keys=True)


def round_trip(adapter: EstatePrimeAdapter, kind: str, payload: dict[str, Any]) -> None:
    body = adapter.from_canonical(adapter.to_canonical(kind, payload))
    expected = {k: v for k, v in payload.items() if k not in READ_ONLY[kind]}
    assert body == expected
    assert exact(body) == exact(expected)


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@given(payload=contacts)
def test_valid_contacts_round_trip(zone: str, payload: dict[str, Any]) -> None:
    """Any valid contact maps to canonical and back to exactly its writable keys and values."""
    round_trip(ADAPTERS[zone], "contact", payload)


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@given(payload=communications)
def test_valid_communications_round_trip(zone: str, payload: dict[str, Any]) -> None:
    """Any valid communication maps to canonical and back to exactly its writable keys and values."""
    round_trip(ADAPTERS[zone], "activity", payload)


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@given(payload=events)
def test_valid_events_round_trip(zone: str, payload: dict[str, Any]) -> None:
    """Any valid event maps to canonical and back to exactly its writable keys and values."""
    round_trip(ADAPTERS[zone], "event", payload)


# -- broken payloads ------------------------------------------------------------------------

WRONG = st.sampled_from(
    ["x", "", "2025-01-01 10:00", 1.5, -1, 0, True, [], {}, None, float("nan"), ["a"], [{}], {"a": 1}]
)


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def mutate(payload: Any, path: tuple[Any, ...], new: Any, delete: bool) -> Any:
    parent = payload
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return payload


def only_mapping_errors(adapter: EstatePrimeAdapter, kind: str, payload: Any) -> None:
    try:
        record = adapter.to_canonical(kind, payload)
    except MappingError as error:
        failure: MappingError | None = error
    else:
        failure = None
        assert isinstance(record, Record)
        with contextlib.suppress(MappingError):
            adapter.from_canonical(record)  # what was read must also write (or say why not)
    if failure is not None:
        assert (failure.system, failure.kind) == ("estateprime", kind)


@pytest.mark.parametrize("kind", ["contact", "activity", "event"])
@given(data=st.data())
def test_broken_payloads_raise_only_mapping_errors(kind: str, data: st.DataObject) -> None:
    """A valid payload with a wrong value or a missing key at a random path gives a record or a MappingError."""
    payload = data.draw(PAYLOADS[kind])
    paths = paths_of(payload)
    if not paths:
        payload["id"] = data.draw(WRONG)
    else:
        path = data.draw(st.sampled_from(paths))
        mutate(payload, path, data.draw(WRONG), delete=data.draw(st.booleans()))
    only_mapping_errors(ADAPTERS["athens"], kind, payload)


@pytest.mark.parametrize("kind", ["contact", "activity", "event"])
@given(payload=json_values | st.lists(json_values) | st.dictionaries(texts, json_values))
def test_arbitrary_json_raises_only_mapping_errors(kind: str, payload: Any) -> None:
    """Arbitrary JSON (non-objects, objects of random keys) gives only MappingError, never another exception."""
    only_mapping_errors(ADAPTERS["chicago"], kind, payload)


@given(
    payload=communications,
    key=st.sampled_from(["channel", "user_id", "contact_id", "store_id", "type", "communication_date"]),
)
def test_missing_required_communication_key_is_a_mapping_error(payload: dict[str, Any], key: str) -> None:
    """Dropping any required communication key raises MappingError naming that key."""
    del payload[key]
    with pytest.raises(MappingError) as caught:
        ADAPTERS["athens"].to_canonical("activity", payload)
    assert caught.value.path == key
