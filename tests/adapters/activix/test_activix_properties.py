"""Property tests: valid communications and leads round-trip; broken payloads give only MappingError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmbridge.adapters.activix import ActivixAdapter
from crmbridge.adapters.activix.wire import CALL_STATUSES, METHODS
from crmbridge.canonical import Activity, Contact
from crmbridge.errors import MappingError
from crmbridge.sandbox import example_payloads

ADAPTER = ActivixAdapter(default_region="CA")
EXAMPLES = [(kind, payload) for kind, _name, payload in example_payloads(ADAPTER.system, frozenset(ADAPTER.kinds))]

ids = st.integers(min_value=1, max_value=2**40)
texts = st.text(max_size=30)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
instants = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)
)


@st.composite
def iso_times(draw: st.DrawFn) -> tuple[datetime, str]:
    """An instant and one of the ways Activix may write it (Z, +00:00 or another offset)."""
    instant = draw(instants)
    zone = draw(offsets)
    text = instant.astimezone(zone).isoformat()
    if zone is UTC and draw(st.booleans()):
        text = text.replace("+00:00", "Z")
    return instant, text


@st.composite
def communications(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Communication payload, with call attributes when its method is phone."""
    method = draw(st.sampled_from(METHODS) | st.from_regex(r"[a-z_]{3,12}", fullmatch=True))
    _, executed = draw(iso_times())
    payload: dict[str, Any] = {
        "id": draw(ids),
        "lead_id": draw(ids),
        "user_id": draw(st.none() | ids),
        "created_at": draw(iso_times())[1],
        "updated_at": draw(iso_times())[1],
        "executed_at": executed,
        "method": method,
        "type": draw(st.sampled_from(["incoming", "outgoing"])),
        "description": draw(st.none() | texts),
        "call_duration": None,
        "call_phone": None,
        "call_status": None,
        "email_subject": None,
        "email_body": None,
        "email_user": None,
        "url": None,
    }
    if method == "phone":
        payload["call_duration"] = draw(st.integers(min_value=0, max_value=10**6))
        payload["call_phone"] = "+1514555" + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        payload["call_status"] = draw(st.sampled_from(CALL_STATUSES) | st.from_regex(r"[a-z]{3,10}", fullmatch=True))
    return payload


@st.composite
def leads(draw: st.DrawFn) -> dict[str, Any]:
    """A valid Lead payload with up to two emails and three phones of distinct types."""
    email_types = draw(st.lists(st.sampled_from(["home", "work"]), unique=True))
    phone_types = draw(st.lists(st.sampled_from(["home", "work", "mobile"]), unique=True))
    return {
        "id": draw(ids),
        "first_name": draw(st.none() | texts),
        "last_name": draw(st.none() | texts),
        "civility": draw(st.none() | st.sampled_from(["mr", "ms", "miss", "dr", "me", "mx"])),
        "business": draw(st.none() | st.booleans()),
        "business_name": draw(st.none() | texts),
        "birth_date": draw(st.none() | st.dates().map(lambda d: d.isoformat())),
        "address_line1": draw(st.none() | texts),
        "city": draw(st.none() | texts),
        "province": draw(st.none() | st.sampled_from(["QC", "ON"])),
        "country": draw(st.none() | st.just("CA")),
        "comment": draw(st.none() | texts),
        "advisor": draw(st.none() | ids.map(lambda i: {"id": i})),
        "rating": draw(st.none() | st.integers(1, 5)),
        "emails": [{"id": i + 1, "address": f"{t}@x.example", "type": t} for i, t in enumerate(email_types)],
        "phones": [
            {"id": i + 1, "number": f"+1514555010{i}", "extension": draw(st.none() | st.integers(1, 9999)), "type": t}
            for i, t in enumerate(phone_types)
        ],
    }


@given(communications())
def test_valid_communications_round_trip(payload: dict[str, Any]) -> None:
    """Reading, writing and reading back a valid communication gives the same Activity (bar read-only times)."""
    record = ADAPTER.to_canonical("activity", payload)
    assert isinstance(record, Activity)
    body = ADAPTER.from_canonical(record)
    assert body["lead_id"] == payload["lead_id"]
    assert body["method"] == payload["method"]
    assert body["type"] == payload["type"]
    assert datetime.fromisoformat(body["executed_at"]) == datetime.fromisoformat(payload["executed_at"])
    assert body["executed_at"].endswith("Z")
    assert body.get("executed_by") == payload["user_id"]
    for key in ("call_duration", "call_phone", "call_status"):
        assert body.get(key) == payload[key]
    user_id = body.pop("executed_by", None)
    again = ADAPTER.to_canonical("activity", {**body, "id": payload["id"], "user_id": user_id})
    assert again == record.model_copy(update={"created_at": None, "updated_at": None})


@given(leads())
def test_valid_leads_round_trip(payload: dict[str, Any]) -> None:
    """Reading, writing and reading back a valid lead gives the same Contact fields."""
    record = ADAPTER.to_canonical("contact", payload)
    assert isinstance(record, Contact)
    assert ADAPTER.unsupported(record) == []
    body = ADAPTER.from_canonical(record)
    assert body.get("rating") == payload["rating"]
    assert body.get("advisor") == payload["advisor"]
    again = ADAPTER.to_canonical("contact", {**body, "id": payload["id"]})
    assert isinstance(again, Contact)
    for name in ("title", "first_name", "last_name", "is_company", "company_name", "birthday", "notes", "owners"):
        assert getattr(again, name) == getattr(record, name), name
    assert again.addresses == record.addresses
    assert [(e.address, e.kind) for e in again.emails] == [(e.address, e.kind) for e in record.emails]
    assert [(p.e164, p.kind, p.extension) for p in again.phones] == [
        (p.e164, p.kind, p.extension) for p in record.phones
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
bad_dates = st.sampled_from(
    ["", "2022-13-01T00:00:00Z", "yesterday", "2022-01-22T25:00:00", "0001-01-01T00:00:00+01:00"]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool) -> Any:
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if rest:
        copy[head] = _replace(copy[head], rest, new, delete=delete)
    elif delete and isinstance(copy, dict):
        del copy[head]
    else:
        copy[head] = new
    return copy


@st.composite
def broken_payloads(draw: st.DrawFn) -> tuple[str, Any]:
    """An example payload with one value replaced (wrong type or bad date) or one key deleted, or a non-object."""
    kind, payload = draw(st.sampled_from(EXAMPLES))
    if draw(st.integers(0, 9)) == 0:
        return kind, draw(json_values.filter(lambda v: not isinstance(v, dict)))
    path = draw(st.sampled_from(_paths(payload)))
    delete = draw(st.booleans())
    new = draw(bad_dates | json_values)
    return kind, _replace(payload, path, new, delete=delete)


@given(broken_payloads())
def test_broken_payloads_raise_only_mapping_errors(case: tuple[str, Any]) -> None:
    """Any payload damaged at a random path either translates (both ways) or raises MappingError only."""
    kind, payload = case
    failure: MappingError | None = None
    try:
        record = ADAPTER.to_canonical(kind, payload)
        if kind == "contact":
            ADAPTER.embedded_activities(payload)
        ADAPTER.unsupported(record)
        ADAPTER.from_canonical(record)
        ADAPTER.to_update(record)
    except MappingError as error:
        failure = error
    if failure is not None:
        assert failure.system == "activix"
        assert failure.kind in {"activity", "contact"}
