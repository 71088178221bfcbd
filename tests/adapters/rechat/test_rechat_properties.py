"""Property tests: exact timestamps, round-tripping tasks, and broken payloads giving only MappingError."""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge import Task, get_adapter
from crmbridge.adapters.rechat._time import datetime_to_epoch, epoch_to_datetime
from crmbridge.errors import MappingError

from ._helpers import example

ADAPTER = get_adapter("rechat")
# Realistic epoch seconds (1970..2100) with up to six fractional digits.
MICROS = st.integers(min_value=0, max_value=4_102_444_800 * 10**6)


@st.composite
def epoch_floats(draw: st.DrawFn) -> float:
    digits = draw(st.integers(min_value=0, max_value=6))
    micros = draw(MICROS) // 10 ** (6 - digits) * 10 ** (6 - digits)
    return float(Decimal(micros) / 10**6)


@given(epoch_floats())
def test_timestamps_round_trip_exactly(value: float) -> None:
    """Any float epoch with at most six fractional digits comes back as exactly the same float."""
    assert datetime_to_epoch(epoch_to_datetime(value)) == value


def test_document_timestamps_exact() -> None:
    """The document's millisecond and microsecond timestamps convert to the right instants and back."""
    assert epoch_to_datetime(1765163654.099).isoformat() == "2025-12-08T03:14:14.099000+00:00"
    assert epoch_to_datetime(1765163654.156179).microsecond == 156179
    assert datetime_to_epoch(epoch_to_datetime(1765163654.156179)) == 1765163654.156179


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, True, "1765163654.099", None, 1e300])
def test_bad_timestamps_are_mapping_errors(value: Any) -> None:
    """NaN, infinity, booleans, strings, nulls and out-of-range numbers as due_date are MappingErrors."""
    with pytest.raises(MappingError) as caught:
        ADAPTER.to_canonical("task", {**example("task.list-item"), "due_date": value})
    assert caught.value.path == "due_date"


reminders = st.lists(st.tuples(epoch_floats(), st.booleans()), max_size=3)
uuids = st.uuids().map(str)


@given(
    title=st.text(min_size=1, max_size=20),
    due=epoch_floats(),
    task_type=st.sampled_from(["Call", "Message", "Todo", "Showing"]),
    status=st.sampled_from(["PENDING", "DONE", "OTHER"]),
    assignees=st.lists(uuids, max_size=2, unique=True),
    contacts=st.lists(uuids, max_size=3, unique=True),
    reminder_list=reminders,
)
def test_generated_tasks_round_trip(
    title: str,
    due: float,
    task_type: str,
    status: str,
    assignees: list[str],
    contacts: list[str],
    reminder_list: list[tuple[float, bool]],
) -> None:
    """A generated create body reads to a Task whose create body equals it."""
    body: dict[str, Any] = {
        "title": title,
        "due_date": due,
        "status": status,
        "task_type": task_type,
        "assignees": assignees,
        "reminders": [{"is_relative": rel, "timestamp": at} for at, rel in reminder_list],
        "associations": [{"association_type": "contact", "contact": c} for c in contacts],
    }
    body = {k: v for k, v in body.items() if v != []}
    task = ADAPTER.to_canonical("task", body)
    assert isinstance(task, Task)
    assert ADAPTER.from_canonical(task) == body


JSON_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
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


BROKEN_BASES = ["task.by-id-expanded", "task.relative-reminder-response", "task.bulk-associations-body"]


@given(st.sampled_from(BROKEN_BASES), st.data(), JSON_JUNK, st.booleans())
def test_broken_tasks_raise_only_mapping_error(name: str, data: st.DataObject, junk: Any, delete: bool) -> None:
    """Replacing or deleting any value of a task gives a Task or a MappingError, nothing else."""
    payload = copy.deepcopy(example(name))
    path = data.draw(st.sampled_from(_paths(payload)))
    parent: Any = payload
    for part in path[:-1]:
        parent = parent[part]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk
    try:
        record = ADAPTER.to_canonical("task", payload)
        ADAPTER.embedded_contacts(payload)
    except MappingError:
        return  # the one error allowed out
    assert isinstance(record, Task)


@given(JSON_JUNK.filter(lambda value: not isinstance(value, dict)))
def test_non_objects_are_mapping_errors(junk: Any) -> None:
    """A payload that is not a JSON object is a MappingError for tasks and contacts."""
    for kind in ("task", "contact"):
        with pytest.raises(MappingError):
            ADAPTER.to_canonical(kind, junk)


@pytest.mark.parametrize("bad", ["nope", "736ddda0-f1c0-49e6-8aa7-9d3bef095f4", 12])
def test_bad_uuids_name_the_path(bad: Any) -> None:
    """A malformed UUID is a MappingError with its path, and the message does not quote it."""
    payload = copy.deepcopy(example("task.by-id-expanded"))
    payload["associations"][2]["id"] = bad
    with pytest.raises(MappingError) as caught:
        ADAPTER.to_canonical("task", payload)
    assert caught.value.path == "associations[2].id"
    assert str(bad) not in str(caught.value)


@pytest.mark.parametrize("missing", ["title", "due_date", "task_type"])
def test_missing_required_keys(missing: str) -> None:
    """A task without a required key is a MappingError naming it."""
    payload = {k: v for k, v in example("task.list-item").items() if k != missing}
    with pytest.raises(MappingError) as caught:
        ADAPTER.to_canonical("task", payload)
    assert caught.value.path == missing
