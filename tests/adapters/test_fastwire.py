"""Wire readers: an attrs class compiled from its field types reads JSON payloads or names the bad field.

A :class:`~crmbridge.adapters._fastwire.WireReader` is the one check a wire object gets on read
(EstatePrime, Activix): these tests pin what it accepts, what it gives back in either output
form, and the MappingError (system, kind, field path, message) of each kind of misfit.
"""

from __future__ import annotations

import enum
import math
from collections import OrderedDict, UserDict
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import SchemaValidator, ValidationError

from crmbridge.adapters._fastwire import WireReader, parsed_by
from crmbridge.adapters.activix import wire as activix_wire
from crmbridge.adapters.estateprime import _time as estateprime_time
from crmbridge.adapters.estateprime import wire as estateprime_wire
from crmbridge.errors import MappingError


@attrs.define(kw_only=True)
class Tag:
    """A nested wire object."""

    name: str
    weight: float | None = None


@attrs.define(kw_only=True)
class Thing:
    """A wire object with a field of every kind a reader compiles."""

    id: int
    name: str
    active: bool
    score: float
    when: datetime | None = None
    tags: list[Tag] = attrs.Factory(list)
    ids: list[int] = attrs.Factory(list)
    meta: dict[str, Any] = attrs.Factory(dict)
    raw: Any = None
    parent: Thing | None = None


SCHEMAS = {datetime: parsed_by(activix_wire.parse_datetime)}
VALID: dict[str, Any] = {
    "id": 7,
    "name": "Ann",
    "active": True,
    "score": 2,
    "when": "2025-01-15T18:00:05+01:00",
    "tags": [{"name": "vip", "weight": 0.5}],
    "ids": [1, 2],
    "meta": {"a": [1]},
    "raw": {"anything": None},
    "parent": {"id": 1, "name": "Bob", "active": False, "score": 1.5},
    "unknown": "ignored",
}


def reader(output: str = "dict") -> WireReader[Thing]:
    return WireReader(Thing, schemas=SCHEMAS, system="test", kind="thing", output=output)  # type: ignore[arg-type]


def test_dict_output_has_every_field_with_defaults_and_checked_values() -> None:
    """A valid payload reads into plain dicts: every field present, unknown keys dropped, ints read as floats."""
    read = reader()(VALID, "data[3]")
    assert read == {
        "id": 7,
        "name": "Ann",
        "active": True,
        "score": 2.0,
        "when": datetime(2025, 1, 15, 17, 0, 5, tzinfo=UTC),
        "tags": [{"name": "vip", "weight": 0.5}],
        "ids": [1, 2],
        "meta": {"a": [1]},
        "raw": {"anything": None},
        "parent": {
            "id": 1,
            "name": "Bob",
            "active": False,
            "score": 1.5,
            "when": None,
            "tags": [],
            "ids": [],
            "meta": {},
            "raw": None,
            "parent": None,
        },
    }
    assert type(read["score"]) is float


def test_attrs_output_builds_the_wire_objects() -> None:
    """The attrs output gives the wire class's own instances, nested ones included, defaults fresh each time."""
    thing = reader("attrs")(VALID)
    assert isinstance(thing, Thing)
    assert thing.tags == [Tag(name="vip", weight=0.5)]
    assert thing.parent is not None
    assert thing.parent.name == "Bob"
    assert thing.parent.tags == []
    assert thing.parent.tags is not reader("attrs")(VALID).parent.tags


def test_any_mapping_is_an_object() -> None:
    """Mappings that are not dicts read like dicts (at the top and nested)."""
    payload = UserDict({**VALID, "parent": OrderedDict(VALID["parent"])})
    assert reader()(payload) == reader()(VALID)


class _Int(int):
    """An int subclass (json.loads never makes one; a caller's own payload may hold one)."""


class _Color(enum.IntEnum):
    """An int enum."""

    RED = 3


class _Name(enum.StrEnum):
    """A str enum."""

    ANN = "ann"


def test_subclassed_values_read_as_plain_values() -> None:
    """Subclasses of int and str (enums included) come out as plain ints and strings."""
    payload = {
        **VALID,
        "id": _Color.RED,
        "name": _Name.ANN,
        "ids": [_Int(4)],
        "parent": {**VALID["parent"], "id": _Int(1)},
    }
    read = reader()(payload)
    plain = [read["id"], read["name"], read["ids"][0], read["parent"]["id"]]
    assert plain == [3, "ann", 4, 1]
    assert [type(value) for value in plain] == [int, str, int, int]


BROKEN: list[tuple[str, Any, str, str]] = [
    ("id", "12", "id", "expected an integer, got str"),
    ("id", True, "id", "expected an integer, got bool"),
    ("id", 1.0, "id", "expected an integer, got float"),
    ("score", math.nan, "score", "expected a finite number"),
    ("score", math.inf, "score", "expected a finite number"),
    ("score", "1", "score", "expected a number, got str"),
    ("score", False, "score", "expected a number, got bool"),
    ("name", None, "name", "expected a string, got NoneType"),
    ("active", 1, "active", "expected true or false, got int"),
    ("tags", "x", "tags", "expected a list, got str"),
    ("tags", ({"name": "a"},), "tags", "expected a list, got tuple"),
    ("tags", [{"name": "a"}, {"name": 5}], "tags[1].name", "expected a string, got int"),
    ("tags", [7], "tags[0]", "expected a JSON object, got int"),
    ("ids", [1, "2"], "ids[1]", "expected an integer, got str"),
    ("meta", [], "meta", "expected a JSON object, got list"),
    ("when", "yesterday", "when", "expected an ISO 8601 datetime"),
    ("when", 5, "when", "expected an ISO 8601 datetime string, got int"),
    ("parent", {"id": "x", "name": "B", "active": True, "score": 1}, "parent.id", "expected an integer, got str"),
    ("parent", {"id": 1, "name": "B", "active": True}, "parent.score", "required field missing"),
]


@pytest.mark.parametrize(("key", "value", "path", "message"), BROKEN, ids=[f"{b[0]}={b[1]!r}" for b in BROKEN])
def test_a_misfit_names_system_kind_field_path_and_what_was_expected(
    key: str, value: Any, path: str, message: str
) -> None:
    """Each kind of wrong value is a MappingError at its path below the caller's, worded without the value."""
    with pytest.raises(MappingError) as caught:
        reader()({**VALID, key: value}, "data[3]")
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("test", "thing", f"data[3].{path}")
    assert caught.value.message == message


def test_a_missing_field_or_a_payload_that_is_not_an_object_is_named() -> None:
    """A required key left out is named; a payload that is not an object fails at the caller's path."""
    without_id = {key: value for key, value in VALID.items() if key != "id"}
    with pytest.raises(MappingError) as caught:
        reader("attrs")(without_id)
    assert (caught.value.path, caught.value.message) == ("id", "required field missing")
    for payload in (42, "x", None, [VALID]):
        with pytest.raises(MappingError) as caught:
            reader()(payload, "data[0]")
        assert caught.value.path == "data[0]"
        assert caught.value.message == f"expected a JSON object, got {type(payload).__name__}"


@attrs.define
class _Unsupported:
    """A field of a type no schema is listed for."""

    at: date


@attrs.define
class _SelfDefault:
    """A default that needs the instance."""

    a: int = attrs.Factory(lambda self: 1, takes_self=True)


def test_types_without_a_schema_are_refused_when_the_reader_is_built() -> None:
    """A type the reader cannot check is a TypeError at build time, not a surprise on the first payload."""
    with pytest.raises(TypeError, match="no wire schema"):
        WireReader(_Unsupported, schemas={}, system="test", kind="thing")
    with pytest.raises(TypeError, match="takes self"):
        WireReader(_SelfDefault, schemas={}, system="test", kind="thing")


EP_TEXTS = (
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?", fullmatch=True)
    | st.datetimes(min_value=datetime(1, 1, 1)).map(lambda d: d.replace(microsecond=0).isoformat(" "))
    | st.dates().map(date.isoformat)
    | st.text(max_size=20)
)
EP_FORMATS = [
    (datetime, estateprime_time.parse_datetime),
    (date, estateprime_time.parse_date),
    (estateprime_wire.EventTime, estateprime_time.parse_date_or_datetime),
]


@pytest.mark.parametrize(("tp", "parse"), EP_FORMATS, ids=["datetime", "date", "event-time"])
@given(text=EP_TEXTS)
def test_estateprime_formats_read_what_its_parse_functions_read(tp: Any, parse: Any, text: str) -> None:
    """EstatePrime's wire date-times and dates: accepted exactly when its parse function accepts, with its value."""
    validate = SchemaValidator(estateprime_wire.WIRE_SCHEMAS[tp]).validate_python
    try:
        expected: Any = parse(text)
    except ValueError:
        with pytest.raises(ValidationError):
            validate(text)
        return
    value = validate(text)
    assert (type(value), value) == (type(expected), expected)


def test_estateprime_format_errors_say_the_format() -> None:
    """A bad EstatePrime date-time names the field and the expected format, never the value sent."""
    read = WireReader(estateprime_wire.Event, schemas=estateprime_wire.WIRE_SCHEMAS, system="estateprime", kind="event")
    event = {"date_starting": "2025-01-15 18:00:05", "date_ending": "2025-01-16", "date_created": None}
    read_event = read(event)
    assert (read_event["date_starting"], read_event["date_ending"]) == (
        datetime(2025, 1, 15, 18, 0, 5),
        date(2025, 1, 16),
    )
    for key, bad in (
        ("date_starting", "2025-02-30 10:00:00"),
        ("date_ending", 20250115),
        ("date_created", "2025-01-15"),
    ):
        with pytest.raises(MappingError) as caught:
            read({**event, key: bad}, "data[2]")
        assert caught.value.path == f"data[2].{key}"
        assert "2025" not in caught.value.message
        assert "YYYY-MM-DD" in caught.value.message
