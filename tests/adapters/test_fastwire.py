"""The compiled wire readers agree with the converters they are compiled from.

A :class:`~crmbridge.adapters._fastwire.WireReader` must give, for any payload, exactly what its
converter gives: the same values (of the same types) or the same MappingError (same path, same
message). Payloads are generated from each wire class's own field types, with every field either
valid, absent, or replaced by a hostile value (wrong JSON types, subclasses of the right types,
tuples, non-finite floats, malformed or impossible dates).
"""

from __future__ import annotations

import enum
import math
import typing
from collections import OrderedDict, UserDict
from datetime import date, datetime
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge.adapters import _support
from crmbridge.adapters._fastwire import WireReader, reference_reads
from crmbridge.adapters.activix import wire as activix_wire
from crmbridge.adapters.estateprime import wire as estateprime_wire
from crmbridge.errors import MappingError


class _Int(int):
    pass


class _Str(str):
    pass


class _Color(enum.IntEnum):
    RED = 3


class _Name(enum.StrEnum):
    ANN = "ann"


class _List(list):  # type: ignore[type-arg]
    pass


HOSTILE = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        -1,
        2**70,
        1.5,
        float("nan"),
        float("inf"),
        -0.0,
        "",
        "x",
        "12",
        "2025-01-15 18:00:05",
        "2025-01-15",
        "2025-02-30 10:00:00",
        "2025-01-15T18:00:05Z",
        "2022-01-22T06:05:12+00:00",
        "0001-01-01T00:00:00+01:00",
        "٢٠٢٥-01-15",
        [],
        [1, "a"],
        {},
        {"a": 1},
        (1, 2),
        b"bytes",
    ]
) | st.sampled_from([1, 2]).flatmap(
    # Built at draw time: hypothesis must not take subclasses of str and int for its own choices.
    lambda _: st.sampled_from(
        [lambda: _Int(7), lambda: _Str("s"), lambda: _Color.RED, lambda: _Name.ANN, lambda: _List([1, 2])]
    ).map(lambda make: make())
)

EP_DATETIMES = st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True)
EP_DATES = st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True)
VALID_DATES = st.dates(min_value=date(1, 1, 1)).map(date.isoformat)
VALID_DATETIMES = st.datetimes(min_value=datetime(1, 1, 1)).map(lambda d: d.replace(microsecond=0).isoformat(" "))
ISO_DATETIMES = st.datetimes(min_value=datetime(1, 1, 1), timezones=st.none() | st.timezones()).map(
    lambda d: d.isoformat()
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def _valid(converter: cattrs.Converter, tp: Any, depth: int) -> st.SearchStrategy[Any]:
    """Values the converter should accept for ``tp`` (mostly; impossible dates are mixed in)."""
    hook = converter.get_structure_hook(tp)
    if tp is int or tp is bool or tp is str or tp is float:
        return {int: st.integers(), bool: st.booleans(), str: st.text(max_size=8), float: st.floats()}[tp]
    if tp is Any:
        return JSON_VALUES
    if tp is datetime:
        if converter is EP_CONVERTER:
            return EP_DATETIMES | VALID_DATETIMES
        return ISO_DATETIMES
    if tp is date:
        return EP_DATES | VALID_DATES
    if tp == estateprime_wire.EventTime:
        return EP_DATES | VALID_DATES | EP_DATETIMES | VALID_DATETIMES
    if tp == estateprime_wire.EventTime | None:
        return st.none() | EP_DATES | EP_DATETIMES | VALID_DATETIMES
    kind, inner = _support.generic_hook_kind(hook, tp)
    if kind == "optional":
        return st.none() | _valid(converter, inner, depth)
    if kind == "list":
        return st.lists(_field_value(converter, inner, depth + 1), max_size=3)
    if kind == "object":
        return payloads(converter, tp, depth + 1)
    raise AssertionError(f"no strategy for {tp!r}")


def _field_value(converter: cattrs.Converter, tp: Any, depth: int) -> st.SearchStrategy[Any]:
    valid = _valid(converter, tp, depth)
    return st.one_of(valid, valid, valid, HOSTILE) if depth < 3 else valid


def payloads(converter: cattrs.Converter, cls: type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Objects shaped like ``cls``: each field valid, hostile or absent, plus unknown keys."""
    attrs.resolve_types(cls)
    fields = {f.name: _field_value(converter, f.type, depth) for f in attrs.fields(cls)}
    shaped = st.fixed_dictionaries({}, optional={**fields, "x_unknown": JSON_VALUES})
    if depth == 0:
        return st.one_of(shaped, shaped, shaped, shaped.map(OrderedDict), shaped.map(UserDict), HOSTILE)
    return shaped


_PLAIN = (bool, int, float, str)


def typed(value: Any) -> Any:
    """``value`` with the type of every part spelled out: equal only if values *and* types match.

    A subclass of ``int``, ``float``, ``str`` or ``list`` counts as its plain type: where the
    converter hands such a value through (``json.loads`` never makes one), the fast path gives
    the plain value, equal to it. What that means for records is tested in
    ``test_subclassed_values_read_as_plain_values``.
    """
    if attrs.has(type(value)):
        return (type(value).__name__, {f.name: typed(getattr(value, f.name)) for f in attrs.fields(type(value))})
    if isinstance(value, dict):
        return (type(value).__name__, {typed(k): typed(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return ("tuple", [typed(v) for v in value])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    plain = next((kind for kind in _PLAIN if isinstance(value, kind)), None)
    if plain is not None:
        return (plain.__name__, repr(plain(value)))
    return (type(value).__name__, repr(value))


def outcome(read: Any, payload: Any) -> Any:
    try:
        return ("value", typed(read(payload, "data[3]")))
    except MappingError as error:
        return ("error", error.system, error.kind, error.path, str(error))


EP_CONVERTER = estateprime_wire.make_converter()
AX_CONVERTER = activix_wire.make_converter()
CASES = [
    (EP_CONVERTER, estateprime_wire.Contact),
    (EP_CONVERTER, estateprime_wire.Communication),
    (EP_CONVERTER, estateprime_wire.Event),
    (EP_CONVERTER, estateprime_wire.CustomFieldDefinition),
    (AX_CONVERTER, activix_wire.Communication),
    (AX_CONVERTER, activix_wire.Lead),
]
IDS = [f"{cls.__module__.split('.')[-2]}-{cls.__name__}" for _, cls in CASES]


@pytest.mark.parametrize("output", ["dict", "attrs"])
@pytest.mark.parametrize(("converter", "cls"), CASES, ids=IDS)
@given(data=st.data())
def test_reader_gives_what_the_converter_gives(
    converter: cattrs.Converter, cls: type, output: str, data: st.DataObject
) -> None:
    """Fast path and converter agree on every generated payload: same typed values, or the same error."""
    reader = WireReader(converter, cls, system="test", kind="thing", output=output)  # type: ignore[arg-type]
    payload = data.draw(payloads(converter, cls))
    fast = outcome(reader, payload)
    assert fast == outcome(reader.reference, payload)
    with reference_reads():
        assert outcome(reader, payload) == fast


@pytest.mark.parametrize(("converter", "cls"), CASES, ids=IDS)
def test_reader_reads_valid_payloads_on_the_fast_path(converter: cattrs.Converter, cls: type) -> None:
    """A plain valid dict never needs the converter (the fast path is not a no-op that always falls back)."""
    reader = WireReader(converter, cls, system="test", kind="thing")
    required = {f.name: _minimal(f.type) for f in attrs.fields(cls) if f.default is attrs.NOTHING}
    validate = reader._validate
    assert validate(required) == reader.reference(required)


def _minimal(tp: Any) -> Any:
    if tp in (estateprime_wire.EventTime, datetime):
        return "2025-01-15 18:00:05"
    return {int: 1, str: "s", bool: True}.get(tp)


HOOKS = [
    (estateprime_wire._structure_datetime, datetime),
    (estateprime_wire._structure_date, date),
    (estateprime_wire._structure_event_time, estateprime_wire.EventTime),
    (estateprime_wire._structure_optional_event_time, estateprime_wire.EventTime | None),
]


@pytest.mark.parametrize(("hook", "tp"), HOOKS, ids=[hook.__name__ for hook, _ in HOOKS])
@given(value=EP_DATETIMES | EP_DATES | VALID_DATETIMES | VALID_DATES | HOSTILE | st.text(max_size=20))
def test_native_schemas_accept_only_what_their_hooks_return(hook: Any, tp: Any, value: Any) -> None:
    """Whatever a registered native schema accepts comes out exactly as the hook returns it."""
    from pydantic_core import SchemaValidator, ValidationError

    schema = _support.native_schema(hook)
    assert schema is not None
    try:
        fast = SchemaValidator(schema).validate_python(value)
    except ValidationError:
        return  # refusing more is allowed: the converter then decides
    assert typed(fast) == typed(hook(value, tp))


def _generic_converter(register: Any) -> cattrs.Converter:
    """The strict converter as it was before its fast hooks: cattrs' own optional and list handling."""
    from cattrs.cols import is_sequence, list_structure_factory

    def strict_lists(type_: Any, converter: cattrs.Converter) -> Any:
        items = list_structure_factory(type_, converter)

        def structure_list(value: Any, cls: Any) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return items(value, cls)

        return structure_list

    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(int, _support._strict_int)
    converter.register_structure_hook(float, _support._strict_float)
    converter.register_structure_hook(str, _support._strict_str)
    converter.register_structure_hook(bool, _support._strict_bool)
    converter.register_structure_hook_factory(is_sequence, strict_lists)
    converter.register_structure_hook_factory(attrs.has, _support._strict_object_factory)
    register(converter)
    return converter


def _estateprime_hooks(converter: cattrs.Converter) -> None:
    converter.register_structure_hook(datetime, estateprime_wire._structure_datetime)
    converter.register_structure_hook(date, estateprime_wire._structure_date)
    converter.register_structure_hook(estateprime_wire.EventTime, estateprime_wire._structure_event_time)
    converter.register_structure_hook(
        estateprime_wire.EventTime | None, estateprime_wire._structure_optional_event_time
    )


def _activix_hooks(converter: cattrs.Converter) -> None:
    converter.register_structure_hook(datetime, activix_wire.parse_datetime)
    converter.register_structure_hook(date, activix_wire.parse_date)


GENERIC = {
    id(EP_CONVERTER): _generic_converter(_estateprime_hooks),
    id(AX_CONVERTER): _generic_converter(_activix_hooks),
}


@pytest.mark.parametrize(("converter", "cls"), CASES, ids=IDS)
@given(data=st.data())
def test_fast_hooks_keep_the_converter_results_and_errors(
    converter: cattrs.Converter, cls: type, data: st.DataObject
) -> None:
    """The hooks for optional primitives and exact lists give cattrs' own results and errors, word for word."""
    payload = data.draw(payloads(converter, cls))

    def read_with(chosen: cattrs.Converter) -> Any:
        return lambda value, path: _support.structure(chosen, value, cls, system="t", kind="k", path=path)

    assert outcome(read_with(converter), payload) == outcome(read_with(GENERIC[id(converter)]), payload)


def test_hook_kinds() -> None:
    """The compiler recognises the strict converter's generic hooks, and nothing else."""
    converter = EP_CONVERTER
    assert _support.generic_hook_kind(converter.get_structure_hook(int | None), int | None) == ("optional", int)
    assert _support.generic_hook_kind(converter.get_structure_hook(list[int]), list[int]) == ("list", int)
    contact_hook = converter.get_structure_hook(estateprime_wire.Contact)
    assert _support.generic_hook_kind(contact_hook, estateprime_wire.Contact) == ("object", None)
    assert _support.generic_hook_kind(converter.get_structure_hook(datetime), datetime)[0] == "other"
    phone = typing.Optional[estateprime_wire.RemoteMeeting]  # noqa: UP045 - the typing spelling on purpose
    assert _support.generic_hook_kind(converter.get_structure_hook(phone), phone) == (
        "optional",
        estateprime_wire.RemoteMeeting,
    )


SUBCLASSED = {
    "estateprime": (
        "contact",
        {
            "id": _Int(7),
            "first_name": _Str("Ann"),
            "last_name": _Name.ANN,
            "tags": _List([_Color.RED]),
            "users": [_Int(2)],
        },
    ),
    "activix": (
        "contact",
        {
            "id": _Color.RED,
            "first_name": _Str("Ann"),
            "phones": [{"number": _Str("+15145550123"), "extension": _Int(4)}],
        },
    ),
}


@pytest.mark.parametrize("system", sorted(SUBCLASSED))
def test_subclassed_values_read_as_plain_values(system: str) -> None:
    """Subclasses of int, str and list in a payload give the same record on both paths (plain values)."""
    from crmbridge import get_adapter
    from crmbridge.canonical import Contact

    kind, payload = SUBCLASSED[system]
    adapter = get_adapter(system)
    fast = adapter.to_canonical(kind, payload)
    with reference_reads():
        reference = adapter.to_canonical(kind, payload)
    assert isinstance(fast, Contact)
    assert fast == reference
    assert _exactly(fast) == _exactly(reference)


def _exactly(value: Any) -> Any:
    """Like :func:`typed`, without counting subclasses as their plain types."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return (type(value).__name__, {name: _exactly(item) for name, item in value.__dict__.items()})
    if isinstance(value, dict):
        return (type(value).__name__, [(_exactly(k), _exactly(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, [_exactly(v) for v in value])
    return (type(value).__name__, repr(value))
