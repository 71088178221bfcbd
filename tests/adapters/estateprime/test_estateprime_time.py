"""EstatePrime local times: exact formats, timezone conversion and DST gaps and folds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from crmbridge import Activity, Contact, Event, MappingError, Ref, get_adapter
from crmbridge.adapters.estateprime import EstatePrimeAdapter

LoadExample = Callable[[str, str], dict[str, Any]]

# (zone, a time inside the spring gap, its UTC reading, a time inside the autumn fold, its first UTC reading)
DST_CASES = [
    (
        "Europe/Athens",
        "2025-03-30 03:30:00",
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
        "2025-10-26 03:30:00",
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
    ),
    (
        "America/Chicago",
        "2025-03-09 02:30:00",
        datetime(2025, 3, 9, 8, 30, tzinfo=UTC),
        "2025-11-02 01:30:00",
        datetime(2025, 11, 2, 6, 30, tzinfo=UTC),
    ),
]


def made(zone: str) -> EstatePrimeAdapter:
    adapter = get_adapter("estateprime", timezone=zone)
    assert isinstance(adapter, EstatePrimeAdapter)
    return adapter


@pytest.mark.parametrize(("zone", "gap", "gap_utc", "fold", "fold_utc"), DST_CASES)
def test_spring_gap_time_reads_and_round_trips(
    zone: str, gap: str, gap_utc: datetime, fold: str, fold_utc: datetime, load_example: LoadExample
) -> None:
    """A non-existent local time reads with the pre-gap offset, is kept in extras and written back unchanged."""
    del fold, fold_utc
    adapter = made(zone)
    activity = adapter.to_canonical("activity", {**load_example("activity", "object"), "communication_date": gap})
    assert isinstance(activity, Activity)
    assert activity.occurred_at == gap_utc
    assert activity.extras == {"_wire": {"communication_date": gap}}
    assert adapter.from_canonical(activity)["communication_date"] == gap


@pytest.mark.parametrize(("zone", "gap", "gap_utc", "fold", "fold_utc"), DST_CASES)
def test_spring_gap_memo_is_ignored_once_the_time_changes(
    zone: str, gap: str, gap_utc: datetime, fold: str, fold_utc: datetime, load_example: LoadExample
) -> None:
    """When the canonical time is edited, the kept gap string is stale and the new local time is written."""
    del fold, fold_utc, gap_utc
    adapter = made(zone)
    activity = adapter.to_canonical("activity", {**load_example("activity", "object"), "communication_date": gap})
    moved = activity.model_copy(update={"occurred_at": datetime(2025, 6, 1, 12, 0, tzinfo=UTC)})
    expected = "2025-06-01 15:00:00" if zone == "Europe/Athens" else "2025-06-01 07:00:00"
    assert adapter.from_canonical(moved)["communication_date"] == expected


@pytest.mark.parametrize(("zone", "gap", "gap_utc", "fold", "fold_utc"), DST_CASES)
def test_autumn_fold_reads_first_occurrence(
    zone: str, gap: str, gap_utc: datetime, fold: str, fold_utc: datetime, load_example: LoadExample
) -> None:
    """An ambiguous local time reads as its first occurrence and writes back the same string without a memo."""
    del gap, gap_utc
    adapter = made(zone)
    event = adapter.to_canonical("event", {**load_example("event", "object"), "date_starting": fold})
    assert isinstance(event, Event)
    assert event.starts_at == fold_utc
    assert "_wire" not in event.extras
    assert adapter.from_canonical(event)["date_starting"] == fold


@pytest.mark.parametrize(("zone", "gap", "gap_utc", "fold", "fold_utc"), DST_CASES)
def test_second_occurrence_of_a_fold_writes_the_same_wall_time(
    zone: str, gap: str, gap_utc: datetime, fold: str, fold_utc: datetime
) -> None:
    """The instant one hour after the first occurrence has the same wall time, which is what EstatePrime stores."""
    del gap, gap_utc
    adapter = made(zone)
    second = fold_utc.replace(hour=fold_utc.hour + 1)
    event = Event(starts_at=second, ends_at=second, all_day=False)
    assert adapter.from_canonical(event)["date_starting"] == fold


@pytest.mark.parametrize(("zone", "gap", "gap_utc", "fold", "fold_utc"), DST_CASES)
def test_gap_in_an_event_bound_round_trips(
    zone: str, gap: str, gap_utc: datetime, fold: str, fold_utc: datetime, load_example: LoadExample
) -> None:
    """A spring-gap event end reads, is remembered under its wire key and comes back as sent."""
    del fold, fold_utc
    adapter = made(zone)
    payload = {**load_example("event", "object"), "date_ending": gap}
    event = adapter.to_canonical("event", payload)
    assert isinstance(event, Event)
    assert event.ends_at == gap_utc
    assert event.extras["_wire"] == {"date_ending": gap}
    assert adapter.from_canonical(event)["date_ending"] == gap


@pytest.mark.parametrize(
    "bad",
    [
        "2025-1-5 10:00:00",
        "2025-01-05T10:00:00",
        "2025-01-05 10:00",
        "2025-13-01 10:00:00",
        "2025-01-05",
        20250105,
        None,
    ],
)
def test_badly_formatted_datetimes_are_mapping_errors(bad: Any, load_example: LoadExample) -> None:
    """Anything but YYYY-MM-DD HH:MM:SS in communication_date is a MappingError naming it, without the value."""
    adapter = made("Europe/Athens")
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("activity", {**load_example("activity", "object"), "communication_date": bad})
    assert caught.value.path == "communication_date"
    assert caught.value.kind == "activity"
    assert str(bad) not in str(caught.value)


def test_full_day_event_sent_with_times_keeps_them(load_example: LoadExample) -> None:
    """A full-day event whose bounds are date-times reads as dates and writes the original strings back."""
    adapter = made("Europe/Athens")
    payload = {
        **load_example("event", "object"),
        "full_day": True,
        "date_starting": "2025-01-20 00:00:00",
        "date_ending": "2025-01-20 23:59:59",
    }
    event = adapter.to_canonical("event", payload)
    assert isinstance(event, Event)
    assert (event.start_date, event.end_date) == (date(2025, 1, 20), date(2025, 1, 20))
    assert event.starts_at is None
    body = adapter.from_canonical(event)
    assert (body["date_starting"], body["date_ending"]) == ("2025-01-20 00:00:00", "2025-01-20 23:59:59")
    moved = event.model_copy(update={"start_date": date(2025, 1, 19)})
    assert adapter.from_canonical(moved)["date_starting"] == "2025-01-19"


def test_foreign_all_day_event_writes_local_dates() -> None:
    """An all-day event from another system with only instants writes the local dates of its bounds."""
    adapter = made("America/Chicago")
    event = Event(
        ref=Ref("rechat", "event", "x"),
        all_day=True,
        starts_at=datetime(2025, 1, 20, 3, 0, tzinfo=UTC),
        ends_at=datetime(2025, 1, 21, 3, 0, tzinfo=UTC),
    )
    body = adapter.from_canonical(event)
    assert (body["date_starting"], body["date_ending"]) == ("2025-01-19", "2025-01-20")


def test_conversion_date_sent_as_a_date_round_trips(load_example: LoadExample) -> None:
    """A date_converted_to_client sent as YYYY-MM-DD reads as local midnight and writes back as a date."""
    adapter = made("Europe/Athens")
    payload = {**load_example("contact", "object"), "date_converted_to_client": "2025-02-01"}
    contact = adapter.to_canonical("contact", payload)
    assert isinstance(contact, Contact)
    assert contact.converted_at == datetime(2025, 1, 31, 22, 0, tzinfo=UTC)
    assert adapter.from_canonical(contact)["date_converted_to_client"] == "2025-02-01"


def test_default_timezone_is_utc(load_example: LoadExample) -> None:
    """Without a timezone option the wire times are UTC wall times."""
    adapter = made("UTC")
    activity = adapter.to_canonical("activity", load_example("activity", "object"))
    assert isinstance(activity, Activity)
    assert activity.occurred_at == datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
    assert get_adapter("estateprime").from_canonical(activity)["communication_date"] == "2025-03-12 09:30:00"


def test_unknown_timezone_is_a_value_error() -> None:
    """A timezone name that is not an IANA zone is refused when the adapter is built."""
    with pytest.raises(ValueError, match="unknown IANA timezone"):
        get_adapter("estateprime", timezone="Mars/Olympus")


WIRE_TIMES = [
    datetime(1, 1, 1),
    datetime(999, 12, 31, 23, 59, 59, 999_999),
    datetime(2025, 3, 30, 3, 30, 0, 1),
    datetime(9999, 12, 31, 23, 59, 59),
]


@pytest.mark.parametrize("local", WIRE_TIMES)
def test_every_written_time_fits_the_one_layout_the_adapter_and_sandbox_check(local: datetime) -> None:
    """The adapter and the sandbox write the same text for a local time, and both shapes accept it."""
    from crmbridge.adapters.estateprime import _time
    from crmbridge.sandbox.estateprime import _validate

    text = _time.format_datetime(local)
    assert text == _validate.wire_datetime(local)
    assert len(text) == len(_time.DATETIME_LAYOUT)
    assert _time.DATETIME_SHAPE.fullmatch(text)
    assert _validate.datetime_text(text, "at") == text
    assert _time.parse_datetime(text) == local.replace(microsecond=0)
    day = _time.format_date(local.date())
    assert _time.DATE_SHAPE.fullmatch(day)
    assert _validate.event_bound(day, "at") == _time.format_datetime(datetime(local.year, local.month, local.day))


def test_the_sandbox_spells_the_same_layouts_as_the_adapter() -> None:
    """The sandbox keeps its own copy of the layouts (it imports no adapter): they must agree."""
    from crmbridge.adapters.estateprime import _time
    from crmbridge.sandbox.estateprime import _validate

    assert (_validate.DATETIME_LAYOUT, _validate.DATE_LAYOUT) == (_time.DATETIME_LAYOUT, _time.DATE_LAYOUT)
    assert _time.DATETIME_PATTERN == "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
    assert _time.DATE_PATTERN == "[0-9]{4}-[0-9]{2}-[0-9]{2}"


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-30T03:30:00",
        "2025-03-30 03:30",
        "2025-03-30 03:30:00.5",
        "\uff12\uff10\uff12\uff15-03-30 03:30:00",
        "25-03-30 03:30:00",
    ],
)
def test_other_shapes_are_refused_by_the_parser_the_wire_schema_and_the_sandbox(
    text: str, load_example: LoadExample
) -> None:
    """A string off the layout fails in all three places that check it, each naming the layout."""
    from crmbridge.adapters.estateprime import _time
    from crmbridge.sandbox.estateprime import _validate

    with pytest.raises(ValueError, match="YYYY-MM-DD HH:MM:SS"):
        _time.parse_datetime(text)
    with pytest.raises(_validate.Invalid, match="YYYY-MM-DD HH:MM:SS"):
        _validate.datetime_text(text, "at")
    payload = {**load_example("activity", "object"), "communication_date": text}
    with pytest.raises(MappingError) as refused:
        get_adapter("estateprime").to_canonical("activity", payload)
    assert refused.value.path == "communication_date"
