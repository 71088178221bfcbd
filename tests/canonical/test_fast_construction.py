"""The fast paths of the canonical model give what validation gives.

- :func:`json_value` / :func:`json_object` equal ``JsonValue`` validation without NaN or
  infinities (result and types, or the same error) for any value, JSON or not;
- :func:`construct` equals ``model(**values)`` for valid values (its ``model_fields_set`` may
  also name fields that took a fresh default from their factory), and raises the model's own
  error where ``extras`` is not JSON, a name is not a field, or a required field is missing.
"""

from __future__ import annotations

import enum
import math
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ConfigDict, JsonValue, TypeAdapter, ValidationError

from crmbridge.canonical import Activity, Contact, Lookup, Phone, Ref, Task
from crmbridge.canonical._construct import construct, validating
from crmbridge.canonical._json import json_object, json_value

from .._equality import typed


class _Int(int):
    pass


class _Name(enum.StrEnum):
    ANN = "ann"


def _nested(depth: int, kinds: str) -> Any:
    value: Any = 1
    for index in range(depth):
        value = [value] if kinds[index % len(kinds)] == "l" else {"k": value}
    return value


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from([_Int(2), _Name.ANN, b"x", (1, 2), {1, 2}, datetime(2025, 1, 1)])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4) | st.integers(0, 3) | st.just(_Name.ANN), inner, max_size=3)
        | st.lists(inner, max_size=2).map(tuple)
        | st.dictionaries(st.text(max_size=4), inner, max_size=2).map(OrderedDict)
    ),
    max_leaves=8,
)
deep = st.builds(_nested, st.integers(240, 270), st.sampled_from(["l", "d", "ld", "ddl"]))


def outcome(validate: Any, value: Any) -> Any:
    try:
        return ("value", typed(validate(value)))
    except ValidationError as error:
        return ("error", error.errors(include_url=False))


FINITE = ConfigDict(allow_inf_nan=False)
VALUE = TypeAdapter(JsonValue, config=FINITE)
OBJECT = TypeAdapter(dict[str, JsonValue], config=FINITE)
NON_FINITE = [math.nan, math.inf, -math.inf, float("-nan")]


@given(value=values | deep)
def test_json_value_is_json_value_validation(value: Any) -> None:
    """json_value gives exactly what TypeAdapter(JsonValue) without NaN and infinities gives, errors included."""
    assert outcome(json_value, value) == outcome(VALUE.validate_python, value)


@given(value=st.dictionaries(st.text(max_size=4) | st.integers(0, 2), values | deep, max_size=3) | values)
def test_json_object_is_dict_of_json_values_validation(value: Any) -> None:
    """json_object gives exactly what TypeAdapter(dict[str, JsonValue]) without NaN and infinities gives."""
    assert outcome(json_object, value) == outcome(OBJECT.validate_python, value)


@pytest.mark.parametrize("bad", NON_FINITE, ids=repr)
def test_json_values_refuse_nan_and_infinities_where_they_are(bad: float) -> None:
    """NaN or an infinity at any depth is refused with pydantic's finite_number error located at it."""
    for value, loc in [
        (bad, ("float",)),
        ([1, 2.5, bad], ("list", 2, "float")),
        ({"a": {"b": [bad]}}, ("dict", "a", "dict", "b", "list", 0, "float")),
    ]:
        with pytest.raises(ValidationError) as caught:
            json_value(value)
        assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [("finite_number", loc)]
    with pytest.raises(ValidationError) as caught:
        json_object({"ok": 1.5, "x": [{"y": bad}]})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("finite_number", ("x", "list", 0, "dict", "y", "float"))
    ]
    assert json_object({"ok": 1.5, "big": 1e308, "tiny": 5e-324}) == {"ok": 1.5, "big": 1e308, "tiny": 5e-324}


@pytest.mark.parametrize("bad", NON_FINITE, ids=repr)
def test_records_refuse_nan_and_infinities_in_extras(bad: float) -> None:
    """A record (built or constructed) or value object whose extras hold NaN or an infinity is refused, located."""
    for build in (lambda values: Contact(**values), lambda values: construct(Contact, values)):
        with pytest.raises(ValidationError) as caught:
            build({"first_name": "A", "extras": {"score": bad}})
        assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
            ("finite_number", ("extras", "score", "float"))
        ]
    with pytest.raises(ValidationError) as caught:
        construct(Phone, {"number": "1", "extras": {"x": [bad]}})
    assert [e["loc"] for e in caught.value.errors()] == [("extras", "x", "list", 0, "float")]


def test_json_values_are_copies() -> None:
    """Like validation, the fast path copies containers: the record never shares the payload's lists."""
    payload = {"a": [1, {"b": [2]}]}
    copied = json_object(payload)
    assert copied == payload
    assert copied["a"] is not payload["a"]
    assert copied["a"][1] is not payload["a"][1]


NOW = datetime(2025, 1, 15, 18, 0, 5, tzinfo=UTC)
REF = Ref("estateprime", "contact", "12")


@given(extras=st.dictionaries(st.text(max_size=4), values, max_size=3), notes=st.none() | st.text(max_size=5))
def test_construct_is_validation(extras: dict[str, Any], notes: str | None) -> None:
    """construct equals model(**values) for valid fields, and raises its error where extras are not JSON."""
    fields = {
        "ref": REF,
        "first_name": notes,
        "phones": [Phone(number="1")],
        "tags": [Lookup(ref=REF)],
        "created_at": NOW,
        "extras": extras,
    }
    expected = outcome(lambda values: Contact(**values), fields)
    assert outcome(lambda values: construct(Contact, values), fields) == expected
    if expected[0] == "error":
        return
    expected = Contact(**fields)
    built = construct(Contact, fields)
    assert typed(built) == typed(expected)
    factory_defaults = {name for name, info in Contact.model_fields.items() if info.default_factory is not None}
    assert expected.model_fields_set <= built.model_fields_set <= expected.model_fields_set | factory_defaults
    assert built == expected
    assert built.model_dump_json() == expected.model_dump_json()


def test_construct_fills_defaults_with_fresh_containers() -> None:
    """Fields left out take their defaults; default lists and dicts are new for every record."""
    first = construct(Activity, {"notes": "a"})
    second = construct(Activity, {"notes": "b"})
    assert first == Activity(notes="a")
    assert first.tags is not second.tags
    assert first.extras is not second.extras
    assert construct(Task, {}).status == "pending"
    assert construct(Phone, {"number": "1"}).extras is not construct(Phone, {"number": "1"}).extras


def test_construct_refuses_what_validation_refuses() -> None:
    """An unknown name or a missing required field raises the model's own ValidationError."""
    with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
        construct(Activity, {"nonsense": 1})
    with pytest.raises(ValidationError, match="number"):
        construct(Phone, {"kind": "work"})
    with pytest.raises(ValidationError, match=r"extra_forbidden|Extra inputs"):
        construct(Phone, {"number": "1", "nonsense": 1})


def test_validating_makes_construct_validate() -> None:
    """Inside validating(), construct is model(**values): a wrong type is refused."""
    with validating(), pytest.raises(ValidationError):
        construct(Phone, {"number": 5})
    assert construct(Phone, {"number": "5"}) == Phone(number="5")
