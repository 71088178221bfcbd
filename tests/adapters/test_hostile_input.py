"""Hostile and broken input (issue #9, group 3): only crmbridge's typed errors come out, naming the field.

Every adapter of the registry, every kind it reads, starting from the vendor example payloads it
ships: hypothesis breaks one field (wrong type, deleted, a megabyte long, nested hundreds deep, a
date out of range, NaN or infinity, odd unicode) or adds a hostile key, and the read either gives
a canonical record (that keeps what was added) or a :class:`MappingError` of that system and kind
whose path names the broken field. The clients meet bodies that are not JSON (or not UTF-8) and
answer with typed errors, and batches and listings go on past bad records and report them.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import inspect
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import crmbridge
from crmbridge.adapters import Adapter, available_systems, get_adapter
from crmbridge.adapters.activix.client import ActivixClient, AsyncActivixClient
from crmbridge.adapters.estateprime import EstatePrimeAdapter
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient, EstatePrimeClient
from crmbridge.adapters.rechat.client import AsyncRechatClient, RechatClient
from crmbridge.canonical import RECORD_TYPES, Record, Ref
from crmbridge.errors import APIStatusError, InvalidResponseError, MappingError
from crmbridge.http import RetryPolicy
from crmbridge.sandbox import example_payloads

Key = str | int
Path = tuple[Key, ...]

# -- the adapters under test, from the registry ------------------------------------------------

ESTATEPRIME_LOOKUPS: dict[str, Any] = {
    # Types the custom fields of the vendor's contact example (ids 1, 2 and 3) and names a few lookups.
    "contacts/custom-fields": [
        {"id": 1, "name": "Notes", "type": "text"},
        {"id": 2, "name": "Tier", "type": "textarea"},
        {"id": 3, "name": "Areas", "type": "select_multi", "options": [{"id": 2, "name": "N"}, {"id": 3, "name": "S"}]},
        {"id": 4, "name": "Met", "type": "datetime"},
    ],
    "calendar/custom-fields": [{"id": 1, "name": "Budget", "type": "currency"}],
    "communication/channels": [
        {"id": 1, "name": "Phone Call", "type": "phone"},
        {"id": 2, "name": "Mail", "type": None},
    ],
    "contacts/tags": [{"id": 1, "name": "VIP"}, {"id": 4, "name": "Buyer"}],
    "contacts/sources": [{"id": 2, "name": "Website"}],
}
ADAPTER_OPTIONS: dict[str, list[dict[str, Any]]] = {
    # An account east of UTC (where year 1 has no UTC form) with typed custom fields, and one west
    # of UTC (where year 9999 has none) without lookups: untyped custom fields pass through.
    "estateprime": [{"timezone": "Europe/Athens", "lookups": ESTATEPRIME_LOOKUPS}, {"timezone": "America/Chicago"}],
    "activix": [{"default_region": "CA"}],
}
SYSTEMS = [s for s in available_systems() if importlib.util.find_spec(f"crmbridge.adapters.{s}") is not None]


@dataclass(frozen=True)
class Case:
    """One kind one configured adapter reads, with the vendor examples of that kind."""

    id: str
    system: str
    kind: str
    options: dict[str, Any] = field(repr=False)
    adapter: Adapter = field(repr=False)
    examples: dict[str, dict[str, Any]] = field(repr=False)

    def __repr__(self) -> str:
        return self.id

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.id)


def _cases() -> list[Case]:
    cases = []
    for system in SYSTEMS:
        for options in ADAPTER_OPTIONS.get(system, [{}]):
            adapter = get_adapter(system, **options)
            label = system + (f"@{options['timezone']}" if "timezone" in options else "")
            for kind in sorted(adapter.kinds):
                examples = {
                    name: p for k, name, p in example_payloads(adapter.system, frozenset(adapter.kinds)) if k == kind
                }
                cases.append(Case(f"{label}-{kind}", system, kind, options, adapter, examples))
    return cases


CASES = _cases()
ONE_PER_KIND = list({(c.system, c.kind): c for c in reversed(CASES)}.values())

EMBEDDED_READERS: dict[tuple[str, str], tuple[str, Callable[[Any, Any], list[Record]]]] = {
    # Records that arrive inside another kind's payload and are read by a reader of their own.
    ("rechat", "task"): ("contact", lambda adapter, payload: adapter.embedded_contacts(payload)),
    ("activix", "contact"): ("activity", lambda adapter, payload: adapter.embedded_activities(payload)),
}
ANY_INDEX = -1
LINKED: dict[str, list[Path]] = {
    # Objects that link another record (a user, a listing, a deal) of which only the id is read:
    # their other keys belong to that record, so a key added there is not the read record's.
    "activix": [("advisor",)],
    "rechat": [
        ("assignees", ANY_INDEX),
        ("created_by",),
        ("updated_by",),
        ("user",),
        ("associations", ANY_INDEX, "listing"),
        ("associations", ANY_INDEX, "deal"),
        ("associations", ANY_INDEX, "created_by"),
    ],
}


def test_every_kind_has_vendor_examples() -> None:
    """Each registered adapter ships at least one vendor example for every kind it reads, and reads it."""
    assert {c.system for c in CASES} >= {"activix", "estateprime", "rechat"}
    for case in CASES:
        assert case.examples, case
        for name, payload in case.examples.items():
            record = case.adapter.to_canonical(case.kind, payload)
            assert record.KIND == case.kind, (case, name)


# -- payload paths ------------------------------------------------------------------------------


def value_paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every position below ``value`` (not ``value`` itself), depth first."""
    found: list[Path] = []
    items: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found.append((*prefix, key))
        found += value_paths(item, (*prefix, key))
    return found


def object_paths(value: Any) -> list[Path]:
    """The positions of every JSON object in ``value``, the root (``()``) first."""
    return [()] + [p for p in value_paths(value) if isinstance(get(value, p), dict)]


_PATHS: dict[int, tuple[list[Path], list[Path]]] = {}


def paths_of(base: Any) -> tuple[list[Path], list[Path]]:
    """``(value_paths, object_paths)`` of a base payload (they live as long as the module: cached by id)."""
    found = _PATHS.get(id(base))
    if found is None:
        found = _PATHS[id(base)] = (value_paths(base), object_paths(base))
    return found


def get(value: Any, path: Path) -> Any:
    for part in path:
        value = value[part]
    return value


def dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_SEGMENT = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_JSON_TAGS: dict[str, type] = {"list": int, "dict": str}


def error_field(path: str) -> Path:
    """The payload field an error path names.

    Unknown keys are kept under ``extras`` with their payload names (``extras.x`` is payload
    key ``x``), and pydantic writes the branch of its JSON value type into locations
    (``x.list[0]`` for ``x[0]``): neither is a payload key, so both are left out.
    """
    parts: list[Key] = [int(index) if index else name for index, name in _SEGMENT.findall(path)]
    found: list[Key] = []
    for position, part in enumerate(parts):
        following = parts[position + 1] if position + 1 < len(parts) else None
        if part == "extras":
            continue
        if isinstance(part, str) and part in _JSON_TAGS and (following is None or type(following) is _JSON_TAGS[part]):
            continue
        found.append(part)
    return tuple(found)


def names_field(error_path: str, broken: Path) -> bool:
    """True when the error path names the broken field, a field inside it, or an object holding it."""
    named = error_field(error_path)
    return bool(named) and named[: len(broken)] == broken[: len(named)]


# -- hostile values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A hostile value, built only when a payload is (hypothesis prints the label, never a megabyte)."""

    label: str
    build: Callable[[], Any] = field(compare=False)

    def __repr__(self) -> str:
        return self.label

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.label)


def plain(value: Any) -> Hostile:
    return Hostile(repr(value)[:60], lambda: copy.deepcopy(value))


def nested_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def nested_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


MEGABYTE = 1_000_000
HUGE_STRINGS = [
    Hostile("1 MB of 'x'", lambda: "x" * MEGABYTE),
    Hostile("1 MB of '€' (3 MB of UTF-8)", lambda: "€" * MEGABYTE),
    Hostile("1 MB of digits", lambda: "9" * MEGABYTE),
    Hostile("a 1 MB date", lambda: "2025-01-15 " + "1" * MEGABYTE),
]
# 990 is about the deepest json.loads reads; 200 is within what the canonical model keeps.
DEPTHS = [200, 300, 500, 990]
DEEP = [Hostile(f"list nested {n} deep", lambda n=n: nested_list(n)) for n in DEPTHS] + [
    Hostile(f"object nested {n} deep", lambda n=n: nested_dict(n)) for n in DEPTHS
]
BAD_DATES = [
    plain(v)
    for v in [
        "9999-99-99 99:99:99",
        "0000-01-01 00:00:00",
        "2024-02-30 10:00:00",
        "2024-02-30",
        "2023-02-29",
        "0001-01-01 00:00:00",
        "0001-01-01",
        "9999-12-31 23:59:59",
        "9999-12-31",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-05:00",
        "2024-13-01T00:00:00Z",
        "2024-01-01T24:00:00",
        "-2024-01-01",
        "",
        1e20,
        -1e20,
        10**30,
        -(10**30),
        0,
        -62_135_596_801,  # one second before 0001-01-01 UTC
        253_402_300_800,  # 10000-01-01 UTC
        2**63,
        1e308,
        5e-324,
    ]
]
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
ODD_STRINGS = [
    "\ud800",
    "\udfff",
    "a\ud83d",
    "\ud83d\ude00",
    "\x00",
    "\u202eevil",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "e\u0301\u0301\u0301",
    "👩‍👩‍👧‍👦",
    "\r\n\t",
    "' OR 1=1 --",
    "../../etc/passwd",
    "%s%n{0}",
]
# Any code point, surrogates, private use, unassigned and format characters favoured.
odd_unicode = st.sampled_from(ODD_STRINGS) | st.text(
    st.characters(categories=["Cs", "Co", "Cn", "Cf", "Mn", "Zl", "Zp", "Cc"]) | st.characters(codec=None),
    min_size=1,
    max_size=8,
)
wrong_types = st.one_of(
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(),
    st.text(max_size=12),
    st.lists(st.integers() | st.text(max_size=3) | st.none(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.none() | st.text(max_size=3), max_size=3),
)
any_hostile = st.one_of(
    wrong_types.map(plain),
    st.sampled_from(HUGE_STRINGS),
    st.sampled_from(DEEP),
    st.sampled_from(BAD_DATES),
    st.sampled_from(sorted(NON_FINITE)).map(lambda token: plain(NON_FINITE[token])),
    odd_unicode.map(plain),
)

# -- breaks -------------------------------------------------------------------------------------

ADDED_KEY = "x_hostile"
_SENTINEL = "@@hostile-json-token@@"


@dataclass(frozen=True)
class Break:
    """One way to break an example: replace or delete the value at ``at``, or add a key to the object there."""

    example: str
    op: str
    at: Path
    value: Hostile | None = None
    token: str | None = None  # replace through the JSON text: NaN, Infinity, -Infinity

    @property
    def broken(self) -> Path:
        """The payload field this break touched."""
        return (*self.at, ADDED_KEY) if self.op == "add" else self.at

    def apply(self, base: Mapping[str, Any]) -> Any:
        payload = copy.deepcopy(dict(base))
        if self.op == "delete":
            del get(payload, self.at[:-1])[self.at[-1]]
        elif self.token is not None:
            get(payload, self.at[:-1])[self.at[-1]] = _SENTINEL
            text = json.dumps(payload).replace(json.dumps(_SENTINEL), self.token)
            payload = json.loads(text)  # json.loads reads NaN and Infinity: JSON has neither
        elif self.op == "add":
            assert self.value is not None
            get(payload, self.at)[ADDED_KEY] = self.value.build()
        else:
            assert self.value is not None
            get(payload, self.at[:-1])[self.at[-1]] = self.value.build()
        return payload

    def __repr__(self) -> str:
        what = self.token if self.token is not None else repr(self.value)
        where = dotted(self.at) or "<root>"
        return f"Break({self.example}: {self.op} {where}{'' if self.op == 'delete' else f' = {what}'})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


Choose = Callable[[Key, Any], bool]


def _is_string(_: Key, value: Any) -> bool:
    return isinstance(value, str)


def _is_number(_: Key, value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_date(key: Key, value: Any) -> bool:
    named = isinstance(key, str) and ("date" in key or key.endswith("_at") or key == "timestamp")
    return named or (isinstance(value, str) and bool(_DATE_TEXT.match(value)))


def _in_object(payload: Any, path: Path) -> bool:
    return isinstance(get(payload, path[:-1]), dict)


@st.composite
def positions(draw: st.DrawFn, bases: Mapping[str, Any], choose: Choose | None = None) -> tuple[str, Path]:
    """An example name and a position in it (one ``choose`` likes, when the example has any)."""
    name = draw(st.sampled_from(sorted(bases)))
    payload = bases[name]
    every = paths_of(payload)[0]
    liked = [p for p in every if choose is None or choose(p[-1], get(payload, p))]
    return name, draw(st.sampled_from(liked or every))


@st.composite
def replacing(
    draw: st.DrawFn, bases: Mapping[str, Any], values: st.SearchStrategy[Hostile], choose: Choose | None = None
) -> Break:
    """Replace one value, at any depth (one ``choose`` likes, when there is one)."""
    name, where = draw(positions(bases, choose))
    return Break(name, "replace", where, draw(values))


@st.composite
def deleting(draw: st.DrawFn, bases: Mapping[str, Any]) -> Break:
    """Delete one key of an object, at any depth."""
    name = draw(st.sampled_from(sorted(bases)))
    keys = [p for p in paths_of(bases[name])[0] if _in_object(bases[name], p)]
    return Break(name, "delete", draw(st.sampled_from(keys)))


@st.composite
def adding(draw: st.DrawFn, bases: Mapping[str, Any], values: st.SearchStrategy[Hostile] = any_hostile) -> Break:
    """Add an unknown key holding a hostile value to one object, at any depth."""
    name = draw(st.sampled_from(sorted(bases)))
    return Break(name, "add", draw(st.sampled_from(paths_of(bases[name])[1])), draw(values))


@st.composite
def non_finite(draw: st.DrawFn, bases: Mapping[str, Any]) -> Break:
    """NaN or an infinity where a number or a timestamp goes, as a Python float or as JSON text."""
    name, where = draw(positions(bases, _is_number))
    token = draw(st.sampled_from(sorted(NON_FINITE)))
    if draw(st.booleans()):
        return Break(name, "replace", where, token=token)
    return Break(name, "replace", where, plain(NON_FINITE[token]))


# -- reading and checking -----------------------------------------------------------------------


def readers(case: Case) -> list[tuple[str, Callable[[Any], list[Record]]]]:
    """``(kind, read)`` for the case's kind and for the records its payloads embed."""
    found: list[tuple[str, Callable[[Any], list[Record]]]] = [
        (case.kind, lambda payload: [case.adapter.to_canonical(case.kind, payload)])
    ]
    embedded = EMBEDDED_READERS.get((case.system, case.kind))
    if embedded is not None:
        kind, read = embedded
        found.append((kind, lambda payload: read(case.adapter, payload)))
    return found


def same(left: Any, right: Any) -> bool:
    """Equal, with NaN equal to NaN and JSON types kept apart (``1`` is not ``True`` or ``1.0``)."""
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(v, right[k]) for k, v in left.items())
    if isinstance(left, list | tuple):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def mappings_in(value: Any) -> Iterator[Mapping[str, Any]]:
    """Every mapping inside a record (its extras, its value objects' extras, ...), records included."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, BaseModel | Mapping):
            data = dict(item) if isinstance(item, Mapping) else {n: getattr(item, n) for n in type(item).model_fields}
            yield data
            stack.extend(data.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)


def non_finite_in(value: Any) -> bool:
    """True when NaN or an infinity is anywhere in ``value`` (a record, its value objects, extras, lists)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, BaseModel):
            stack.extend(getattr(item, name) for name in type(item).model_fields)
        elif isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def keeps(records: list[Record], value: Any) -> bool:
    """True when some record (or value object) holds ``value`` under the added key."""
    return any(ADDED_KEY in m and same(m[ADDED_KEY], value) for r in records for m in mappings_in(r))


def _linked(system: str, at: Path) -> bool:
    for pattern in LINKED.get(system, []):
        if len(at) >= len(pattern) and all(p in (ANY_INDEX, a) for p, a in zip(pattern, at, strict=False)):
            return True
    return False


def attempt(read: Callable[[Any], Any], payload: Any) -> Any:
    """What ``read(payload)`` returns, or the MappingError it raises (any other exception propagates)."""
    try:
        return read(payload)
    except MappingError as error:
        return error


def check(case: Case, brk: Break) -> None:
    """Read the broken payload with every reader: a record (keeping an added key) or a MappingError naming the field."""
    base = case.examples[brk.example]
    payload = brk.apply(base)
    records: list[Record] = []
    failed = False
    for kind, read in readers(case):
        found = attempt(read, payload)
        if isinstance(found, MappingError):
            failed = True
            assert (found.system, found.kind) == (case.system, kind), (brk, found)
            assert found.path, (brk, found)
            assert names_field(found.path, brk.broken), f"{brk}: {found.path!r} does not name {dotted(brk.broken)}"
            continue
        for record in found:
            assert isinstance(record, RECORD_TYPES[kind]), (brk, record)
            record.model_dump()  # a valid record dumps (pydantic warns, an error here, when it cannot)
            assert not non_finite_in(record), f"{brk}: the record keeps NaN or an infinity"
        records += found
    if brk.op == "add" and not failed and not _linked(case.system, brk.at):
        added = get(payload, brk.at)[ADDED_KEY]
        # Read without an error, so every reader gave its records: one of them keeps the value.
        assert keeps(records, added), f"{brk}: the added key was dropped"


CASE_IDS = [c.id for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_wrong_types_and_missing_fields(case: Case, data: st.DataObject) -> None:
    """A value of the wrong JSON type at any depth, or a deleted key, reads or names the field."""
    brk = data.draw(replacing(case.examples, wrong_types.map(plain)) | deleting(case.examples))
    check(case, brk)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_huge_strings(case: Case, data: st.DataObject) -> None:
    """A megabyte-long string in place of any value reads or names the field."""
    check(case, data.draw(replacing(case.examples, st.sampled_from(HUGE_STRINGS), _is_string)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_deep_nesting(case: Case, data: st.DataObject) -> None:
    """Arrays or objects nested up to 990 deep in place of any value read or name the field (no RecursionError)."""
    check(case, data.draw(replacing(case.examples, st.sampled_from(DEEP))))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_out_of_range_dates(case: Case, data: st.DataObject) -> None:
    """Impossible or out-of-range dates, times and epochs where timestamps go read or name the field."""
    check(case, data.draw(replacing(case.examples, st.sampled_from(BAD_DATES), _is_date)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_nan_and_infinity(case: Case, data: st.DataObject) -> None:
    """NaN and infinities where numbers go, as floats or as the JSON text json.loads accepts, read or name the field."""
    check(case, data.draw(non_finite(case.examples)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_every_number_replaced_by_nan_or_infinity_is_refused(case: Case) -> None:
    """NaN or an infinity in place of each number of each example, as a float or JSON text, names the field."""
    for name, payload in case.examples.items():
        numbers = [p for p in value_paths(payload) if _is_number(p[-1], get(payload, p))]
        for index, where in enumerate(numbers):
            token = sorted(NON_FINITE)[index % len(NON_FINITE)]
            for brk in (Break(name, "replace", where, token=token), Break(name, "replace", where, plain(math.nan))):
                check(case, brk)  # each reader names the field or gives records without it
                broken = brk.apply(payload)
                failed = [kind for kind, read in readers(case) if isinstance(attempt(read, broken), MappingError)]
                assert failed or _linked(case.system, where), f"{brk}: read by every reader"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nan_or_infinity_in_an_added_key_is_refused_at_its_path(case: Case) -> None:
    """An unknown key holding NaN or an infinity, alone or deep in an array, is refused with its path, not kept."""
    for name, payload in case.examples.items():
        for at in paths_of(payload)[1]:
            if _linked(case.system, at):
                continue
            for value in (math.nan, -math.inf, [1, {"deep": math.inf}]):
                brk = Break(name, "add", at, plain(value))
                check(case, brk)  # each reader names the key or gives records without it
                broken = brk.apply(payload)
                errors = [e for _, read in readers(case) if isinstance(e := attempt(read, broken), MappingError)]
                assert errors, f"{brk}: read as a record by every reader"
                assert all("finite" in e.message for e in errors), (brk, errors)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_odd_unicode(case: Case, data: st.DataObject) -> None:
    """Lone surrogates, NULs, bidi overrides and other odd text in place of strings read or name the field."""
    check(case, data.draw(replacing(case.examples, odd_unicode.map(plain), _is_string)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_added_hostile_keys_are_kept_or_named(case: Case, data: st.DataObject) -> None:
    """An unknown key with a hostile value added to any object is kept in the record's extras or named by the error."""
    check(case, data.draw(adding(case.examples)))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_deleting_any_key_reads_or_names_it(case: Case) -> None:
    """Deleting each key of each example in turn (required ones included) reads or names that key."""
    for name, payload in case.examples.items():
        for where in value_paths(payload):
            if _in_object(payload, where):
                check(case, Break(name, "delete", where))


@pytest.mark.parametrize(
    ("zone", "key", "value"),
    [
        ("Europe/Athens", "date_created", "0001-01-01 00:00:00"),
        ("America/Chicago", "date_created", "9999-12-31 23:59:59"),
        ("Asia/Tokyo", "date_converted_to_client", "0001-01-01"),
    ],
)
def test_estateprime_local_times_without_a_utc_instant(zone: str, key: str, value: str) -> None:
    """A local time that exists in the calendar but has no UTC instant in the account's zone names its field."""
    adapter = get_adapter("estateprime", timezone=zone)
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("contact", {"first_name": "A", key: value})
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("estateprime", "contact", key)


def test_estateprime_custom_datetime_without_a_utc_instant() -> None:
    """A datetime custom field whose local time has no UTC instant names the custom field's value."""
    adapter = get_adapter("estateprime", timezone="Europe/Athens", lookups=ESTATEPRIME_LOOKUPS)
    payload = {"custom_fields": [{"custom_field_id": 4, "value": "2025-01-01 10:00:00"}]}
    assert adapter.to_canonical("contact", payload).custom_fields[0].value.year == 2025
    payload["custom_fields"].append({"custom_field_id": 4, "value": "0001-01-01 00:00:00"})
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("contact", payload)
    assert caught.value.path == "custom_fields[1].value"


# -- EstatePrime lookups ------------------------------------------------------------------------

LOOKUP_BASES = {"lookups": ESTATEPRIME_LOOKUPS}


def check_lookups(brk: Break) -> None:
    """Build an EstatePrime adapter from broken lookups: it builds, or a MappingError names the field."""
    built = attempt(
        lambda lookups: EstatePrimeAdapter(timezone="Europe/Athens", lookups=lookups), brk.apply(ESTATEPRIME_LOOKUPS)
    )
    if isinstance(built, MappingError):
        assert (built.system, built.kind) == ("estateprime", "lookup"), (brk, built)
        assert names_field(built.path, brk.broken), f"{brk}: {built.path!r} does not name {dotted(brk.broken)}"
    else:
        assert isinstance(built, EstatePrimeAdapter)


@given(
    brk=st.one_of(
        replacing(LOOKUP_BASES, any_hostile),
        deleting(LOOKUP_BASES),
        adding(LOOKUP_BASES).filter(lambda b: b.at != ()),  # a new top-level key is an unknown endpoint
    )
)
def test_estateprime_lookups(brk: Break) -> None:
    """Lookup lists with a hostile value, a missing key or an extra key build the adapter or name the field."""
    check_lookups(brk)


# -- batches ------------------------------------------------------------------------------------


def outcome(case: Case, payload: Any) -> Record | MappingError:
    result: Record | MappingError = attempt(lambda p: case.adapter.to_canonical(case.kind, p), payload)
    return result


def same_record(left: Record, right: Record) -> bool:
    return type(left) is type(right) and same(left.model_dump(), right.model_dump())


def any_break(bases: Mapping[str, Any]) -> st.SearchStrategy[Break]:
    return st.one_of(
        replacing(bases, any_hostile),
        deleting(bases),
        adding(bases),
        non_finite(bases),
    )


# A batch reads up to four payloads twice (alone and in the batch): fewer examples keep it as quick as the rest.
BATCH_EXAMPLES = max(10, settings.default.max_examples // 4)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@settings(max_examples=BATCH_EXAMPLES)
@given(data=st.data())
def test_batch_reads_the_good_and_reports_the_bad(case: Case, data: st.DataObject) -> None:
    """A batch mixing examples and broken payloads gives each payload's own outcome, in order, and goes on."""
    items = data.draw(
        st.lists(st.sampled_from(sorted(case.examples)) | any_break(case.examples), min_size=1, max_size=4)
    )
    payloads = [case.examples[i] if isinstance(i, str) else i.apply(case.examples[i.example]) for i in items]
    singles = [outcome(case, p) for p in payloads]
    result = case.adapter.to_canonical_batch(case.kind, payloads)
    good = [r for r in singles if not isinstance(r, MappingError)]
    bad = [(i, r) for i, r in enumerate(singles) if isinstance(r, MappingError)]
    assert len(result.records) == len(good)
    assert all(same_record(a, b) for a, b in zip(result.records, good, strict=True))
    assert [(f.index, f.error.system, f.error.kind, f.error.path) for f in result.failures] == [
        (i, e.system, e.kind, e.path) for i, e in bad
    ]
    for item, single in zip(items, singles, strict=True):
        if isinstance(item, str):
            assert not isinstance(single, MappingError), f"example {item} failed in a batch"
        elif isinstance(single, MappingError):
            assert names_field(single.path, item.broken), f"{item}: {single.path!r} does not name {dotted(item.broken)}"


# -- listing through a connection ---------------------------------------------------------------


def _page(system: str, kind: str, items: list[Any]) -> dict[str, Any]:
    """One (last) page of ``items`` in the CRM's list envelope."""
    if system == "estateprime":
        n = len(items)
        return {"status": 200, "page": 1, "total_pages": 1, "results_per_page": 50, "total_results": n, "data": items}
    if system == "rechat":
        return {"code": "OK", "data": items, "info": {"count": len(items), "total": len(items)}}
    if kind == "activity":
        # Activix lists communications inside the leads that include them.
        lead = {**next(iter(ONE_LEAD.values())), "communications": items}
        items = [lead]
    links = {"first": None, "last": None, "prev": None, "next": None}
    meta = {"current_page": 1, "last_page": 1, "per_page": 100, "total": len(items)}
    return {"data": items, "links": links, "meta": meta}


ONE_LEAD = {
    name: payload
    for c in CASES
    if (c.system, c.kind) == ("activix", "contact")
    for name, payload in list(c.examples.items())[:1]
}
CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "estateprime": {"base_url": "https://crm.example", "token": "t"},
    "rechat": {"token": "t"},
    "activix": {"token": "t", "rate_limit": None},
}


def known_break(case: Case, name: str) -> Break:
    """A break of example ``name`` that the adapter refuses: an object where a typed top-level value goes."""
    for key in case.examples[name]:
        brk = Break(name, "replace", (key,), plain({"not": ["this"]}))
        if isinstance(outcome(case, brk.apply(case.examples[name])), MappingError):
            return brk
    raise AssertionError(f"no top-level key of {name} is typed")


def connection_for(case: Case, answer: dict[str, Any]) -> crmbridge.Connection:
    def respond(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        return httpx.Response(200, json=answer)

    options = {**CLIENT_OPTIONS[case.system], **case.options, "transport": httpx.MockTransport(respond)}
    if case.system == "estateprime":
        options.setdefault("lookups", {})
    return crmbridge.connect(case.system, **options)


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=[c.id for c in ONE_PER_KIND])
def test_connection_list_skips_bad_records_and_reports_them(case: Case) -> None:
    """Listing a page of good and broken records with on_error="skip" yields the good in order and reports the bad."""
    names = sorted(case.examples)
    breaks = [known_break(case, n) for n in names[:2]]
    items = [case.examples[names[0]], breaks[0].apply(case.examples[breaks[0].example])]
    items += [case.examples[n] for n in names[1:3]] + [breaks[-1].apply(case.examples[breaks[-1].example])]
    expected = [outcome(case, item) for item in items]
    with connection_for(case, _page(case.system, case.kind, items)) as connection:
        records = list(connection.list(case.kind, on_error="skip"))
        failures = connection.failures
    good = [r for r in expected if not isinstance(r, MappingError)]
    assert len(records) == len(good) == len(items) - 2
    assert all(same_record(a, b) for a, b in zip(records, good, strict=True))
    assert [(f.kind, f.position) for f in failures] == [(case.kind, 1), (case.kind, len(items) - 1)]
    assert all((f.error.system, f.error.kind) == (case.system, case.kind) for f in failures)
    assert [f.error.path for f in failures] == [dotted(breaks[0].broken), dotted(breaks[-1].broken)]


OBJECT_PAGES = [c for c in ONE_PER_KIND if (c.system, c.kind) != ("activix", "activity")]


@pytest.mark.parametrize("case", OBJECT_PAGES, ids=[c.id for c in OBJECT_PAGES])
def test_connection_list_skips_records_that_are_not_objects(case: Case) -> None:
    """A page item that is not a JSON object is skipped and reported at its position, and the page goes on."""
    name = sorted(case.examples)[0]
    items = [case.examples[name], "not an object", case.examples[name]]
    with connection_for(case, _page(case.system, case.kind, items)) as connection:
        records = list(connection.list(case.kind, on_error="skip"))
        failures = connection.failures
    assert len(records) == 2
    assert [(f.position, f.error.path) for f in failures] == [(1, "")]


NOT_OBJECTS: list[Any] = [42, "x", None, [1], True]
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
LIST_FILTERS: dict[tuple[str, str], dict[str, Any]] = {
    # Filters whose client-side check reads each listed item (it must keep a non-object, to be reported).
    ("estateprime", "contact"): {"updated_since": SINCE},
    ("rechat", "task"): {"updated_since": SINCE},
    ("activix", "contact"): {"updated_since": SINCE, "created_since": SINCE},
    ("activix", "activity"): {"updated_since": SINCE, "created_since": SINCE},
}
FILTER_CASES = [(c, f) for c in ONE_PER_KIND for f in [{}, LIST_FILTERS.get((c.system, c.kind))] if f is not None]
FILTER_IDS = [f"{c.id}{'-filtered' if f else ''}" for c, f in FILTER_CASES]


def mixed_page(case: Case) -> tuple[list[Any], Record]:
    """A page with a good item first and last and items that are not JSON objects between; the good record."""
    good = case.examples[sorted(case.examples)[0]]
    return [good, *NOT_OBJECTS, good], case.adapter.to_canonical(case.kind, good)


def async_connection_for(case: Case, answer: dict[str, Any]) -> crmbridge.AsyncConnection:
    def respond(request: httpx.Request) -> httpx.Response:
        assert request.method == "GET"
        return httpx.Response(200, json=answer)

    options = {**CLIENT_OPTIONS[case.system], **case.options, "transport": httpx.MockTransport(respond)}
    if case.system == "estateprime":
        options.setdefault("lookups", {})
    return crmbridge.connect_async(case.system, **options)


def expected_failures(case: Case) -> list[tuple[int, str, str, str]]:
    return [(i, case.system, case.kind, "") for i in range(1, len(NOT_OBJECTS) + 1)]


@pytest.mark.parametrize(("case", "filters"), FILTER_CASES, ids=FILTER_IDS)
def test_list_skips_items_that_are_not_objects_and_reads_the_rest(case: Case, filters: dict[str, Any]) -> None:
    """Numbers, strings, nulls, arrays and booleans among a page's items are reported by position, the rest read."""
    items, good = mixed_page(case)
    with connection_for(case, _page(case.system, case.kind, items)) as connection:
        records = list(connection.list(case.kind, on_error="skip", **filters))
        failures = [(f.position, f.error.system, f.error.kind, f.error.path) for f in connection.failures]
    assert len(records) == 2
    assert all(same_record(record, good) for record in records)
    assert failures == expected_failures(case)


@pytest.mark.parametrize(("case", "filters"), FILTER_CASES, ids=FILTER_IDS)
def test_async_list_skips_items_that_are_not_objects_and_reads_the_rest(case: Case, filters: dict[str, Any]) -> None:
    """The async connection reports a page's non-object items by position and reads the rest, like the sync one."""
    items, good = mixed_page(case)

    async def run() -> tuple[list[Record], list[crmbridge.ListFailure]]:
        async with async_connection_for(case, _page(case.system, case.kind, items)) as connection:
            found = [record async for record in connection.list(case.kind, on_error="skip", **filters)]
            return found, connection.failures

    records, failures = asyncio.run(run())
    assert len(records) == 2
    assert all(same_record(record, good) for record in records)
    assert [(f.position, f.error.system, f.error.kind, f.error.path) for f in failures] == expected_failures(case)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("case", ONE_PER_KIND, ids=[c.id for c in ONE_PER_KIND])
def test_list_raises_for_an_item_that_is_not_an_object_by_default(case: Case, asynchronous: bool) -> None:
    """By default the first non-object item raises its typed MappingError after the good record before it is yielded."""
    items, good = mixed_page(case)
    answer = _page(case.system, case.kind, items)
    seen: list[Record] = []
    if not asynchronous:
        with connection_for(case, answer) as connection, pytest.raises(MappingError) as caught:
            drain(connection.list(case.kind), seen)
    else:

        async def run() -> None:
            async with async_connection_for(case, answer) as connection:
                async for record in connection.list(case.kind):
                    seen.append(record)

        with pytest.raises(MappingError) as caught:
            asyncio.run(run())
    assert len(seen) == 1
    assert same_record(seen[0], good)
    assert (caught.value.system, caught.value.kind, caught.value.path) == (case.system, case.kind, "")
    assert "expected a JSON object, got int" in str(caught.value)


@pytest.mark.parametrize("filters", [{}, LIST_FILTERS["activix", "activity"]], ids=["all", "filtered"])
def test_activix_listed_lead_that_is_not_an_object_is_reported_among_activities(filters: dict[str, Any]) -> None:
    """Listing activities, a lead that is not a JSON object is reported at its place and the other leads' go on."""
    case = next(c for c in ONE_PER_KIND if (c.system, c.kind) == ("activix", "activity"))
    communication = case.examples[sorted(case.examples)[0]]
    lead = {**next(iter(ONE_LEAD.values())), "communications": [communication, communication]}
    answer = _page("activix", "contact", [lead, 42, lead])
    with connection_for(case, answer) as connection:
        records = list(connection.list("activity", on_error="skip", **filters))
        failures = [(f.position, f.error.system, f.error.kind, f.error.path) for f in connection.failures]
    assert len(records) == 4
    assert failures == [(2, "activix", "activity", "")]


@pytest.mark.parametrize("embedded", ["calls", 42, {"id": 1}], ids=["str", "int", "object"])
def test_activix_lead_whose_communications_are_not_a_list_is_reported_and_the_listing_goes_on(embedded: Any) -> None:
    """A lead whose ``communications`` is not a list is one reported failure; the other leads' are read."""
    case = next(c for c in ONE_PER_KIND if (c.system, c.kind) == ("activix", "activity"))
    communication = case.examples[sorted(case.examples)[0]]
    good = {**next(iter(ONE_LEAD.values())), "communications": [communication]}
    bad = {**good, "id": 77, "communications": embedded}
    with connection_for(case, _page("activix", "contact", [good, bad, good])) as connection:
        records = list(connection.list("activity", on_error="skip"))
        failures = [(f.position, f.error.system, f.error.kind, f.error.path) for f in connection.failures]
        message = connection.failures[0].error.message
    assert len(records) == 2
    assert failures == [(1, "activix", "activity", "communications")]
    assert "lead 77" in message
    assert type(embedded).__name__ in message
    with connection_for(case, _page("activix", "contact", [good, bad])) as connection:
        listed = connection.list("activity")
        assert next(listed).ref is not None
        with pytest.raises(MappingError) as caught:
            next(listed)
    assert caught.value.path == "communications"


def test_activix_communications_that_are_not_objects_are_skipped() -> None:
    """A lead's communication that is not a JSON object is skipped and reported at its position."""
    case = next(c for c in ONE_PER_KIND if (c.system, c.kind) == ("activix", "activity"))
    name = sorted(case.examples)[0]
    items = [case.examples[name], "not an object", 42, case.examples[name]]
    with connection_for(case, _page(case.system, case.kind, items)) as connection:
        records = list(connection.list(case.kind, on_error="skip"))
        failures = connection.failures
    assert len(records) == 2
    assert [(f.position, f.error.system, f.error.kind, f.error.path) for f in failures] == [
        (1, "activix", "activity", ""),
        (2, "activix", "activity", ""),
    ]


def drain(records: Iterator[Record], into: list[Record]) -> None:
    """Append each listed record to ``into`` as it comes (so those before a failure are kept)."""
    for record in records:
        into.append(record)


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=[c.id for c in ONE_PER_KIND])
def test_connection_list_raises_the_typed_error_by_default(case: Case) -> None:
    """Listing a page with a broken record raises its MappingError after yielding the good records before it."""
    name = sorted(case.examples)[0]
    brk = known_break(case, name)
    items = [case.examples[name], brk.apply(case.examples[name]), case.examples[name]]
    seen: list[Record] = []
    with connection_for(case, _page(case.system, case.kind, items)) as connection:
        with pytest.raises(MappingError) as caught:
            drain(connection.list(case.kind), seen)
        assert connection.failures == []
    assert len(seen) == 1
    assert same_record(seen[0], case.adapter.to_canonical(case.kind, case.examples[name]))
    assert (caught.value.system, caught.value.kind, caught.value.path) == (case.system, case.kind, dotted(brk.broken))


# -- clients and bodies that are not JSON -------------------------------------------------------

NOT_JSON: dict[str, bytes] = {
    "utf-16 bom, cut off": b'\xff\xfe{"id":',
    "encoded surrogate outside a string": b'{"data": [\xed\xa0\x80]}',
    "encoded surrogate inside a string": b'{"data": ["\xed\xa0\x80"], "code": "OK"}',
    "invalid utf-8 byte inside a string": b'{"data": ["\xff\xfe"], "code": "OK"}',
    "latin-1 text": '{"data": ["Zoë"]}'.encode("latin-1"),
    "html error page": b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
    "cut off": b'{"status": 200, "data": [{"id": 1, "first_name": "Ad',
    "trailing garbage": b'{"code": "OK", "data": []} <!-- cache -->',
    "nested 100000 deep": b"[" * 100_000 + b"]" * 100_000,
    "nested 5000 deep in data": b'{"code": "OK", "data": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nul byte": b"\x00",
    "single quotes": b"{'data': []}",
}
WRONG_JSON: dict[str, bytes] = {
    "NaN": b"NaN",
    "Infinity": b"-Infinity",
    "bare string": b'"OK"',
    "bare number": b"12345",
    "null": b"null",
    "array": b"[]",
    "empty object": b"{}",
    "whitespace only": b" \r\n ",
}


def _estateprime_calls() -> dict[str, Callable[[Any], Any]]:
    calls: dict[str, Callable[[Any], Any]] = {}
    lookups = {
        "contacts": ("sources", "tags", "custom_fields"),
        "communications": ("channels", "tags", "custom_fields"),
        "calendar": ("categories", "statuses", "tags", "custom_fields"),
    }
    for space, names in lookups.items():
        calls[f"{space}.list"] = lambda c, s=space: getattr(c, s).list()
        calls[f"{space}.list_page"] = lambda c, s=space: getattr(c, s).list_page()
        calls[f"{space}.get"] = lambda c, s=space: getattr(c, s).get(1)
        for name in names:
            calls[f"{space}.{name}"] = lambda c, s=space, n=name: getattr(getattr(c, s), n)()
    return calls


UUID = "736ddda0-f1c0-49e6-8aa7-9d3bef095f4d"
CLIENT_CALLS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "estateprime": _estateprime_calls(),
    "rechat": {
        "tasks.list": lambda c: c.tasks.list(),
        "tasks.list_page": lambda c: c.tasks.list_page(),
        "tasks.search_page": lambda c: c.tasks.search_page(contact=UUID),
        "tasks.get": lambda c: c.tasks.get(UUID),
        "tasks.associations.list": lambda c: c.tasks.associations.list(UUID),
        "contacts.list": lambda c: c.contacts.list(),
        "contacts.list_page": lambda c: c.contacts.list_page(),
        "contacts.get": lambda c: c.contacts.get(UUID),
        "contacts.duplicates": lambda c: c.contacts.duplicates(UUID),
        "contacts.attribute_defs.list": lambda c: c.contacts.attribute_defs.list(),
        "contacts.attribute_defs.get": lambda c: c.contacts.attribute_defs.get(UUID),
        "contacts.tags.list": lambda c: c.contacts.tags.list(),
    },
    "activix": {
        "leads.list": lambda c: c.leads.list(),
        "leads.list_page": lambda c: c.leads.list_page(),
        "leads.search_page": lambda c: c.leads.search_page("Doe"),
        "leads.get": lambda c: c.leads.get(1),
        "account.get": lambda c: c.account.get(),
    },
}
CLIENTS: dict[str, tuple[type, type]] = {
    "estateprime": (EstatePrimeClient, AsyncEstatePrimeClient),
    "rechat": (RechatClient, AsyncRechatClient),
    "activix": (ActivixClient, AsyncActivixClient),
}
CALL_PARAMS = [(system, name) for system in sorted(CLIENT_CALLS) for name in CLIENT_CALLS[system]]


def answer_with(system: str, call: Callable[[Any], Any], body: bytes, *, asynchronous: bool, status: int = 200) -> Any:
    """Make ``call`` on a client of ``system`` whose every answer is ``body``; what it returned."""

    def respond(_: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    options = {
        **CLIENT_OPTIONS[system],
        "transport": httpx.MockTransport(respond),
        "retry": RetryPolicy(attempts=2),
    }
    sync_class, async_class = CLIENTS[system]
    if not asynchronous:
        with sync_class(**options) as client:
            result = call(client)
            return list(result) if hasattr(result, "pages") else result

    async def run() -> Any:
        async with async_class(**options) as client:
            result = call(client)
            if hasattr(result, "__aiter__"):
                return [item async for item in result]
            return await result if inspect.isawaitable(result) else result

    return asyncio.run(run())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("system", "name"), CALL_PARAMS, ids=[f"{s}.{n}" for s, n in CALL_PARAMS])
def test_client_calls_refuse_bodies_that_are_not_json(system: str, name: str, asynchronous: bool) -> None:
    """Every list/get call answered with a body that is not UTF-8 JSON raises InvalidResponseError, nothing rawer."""
    for label, body in NOT_JSON.items():
        with pytest.raises(InvalidResponseError) as caught:
            answer_with(system, CLIENT_CALLS[system][name], body, asynchronous=asynchronous)
        assert caught.value.system == system, label
        assert "GET" in str(caught.value), label


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("system", "name"), CALL_PARAMS, ids=[f"{s}.{n}" for s, n in CALL_PARAMS])
def test_client_calls_refuse_json_of_the_wrong_shape(system: str, name: str, asynchronous: bool) -> None:
    """Every list/get call answered with JSON that is not the documented envelope raises a typed error."""
    for label, body in WRONG_JSON.items():
        with pytest.raises((MappingError, InvalidResponseError)) as caught:
            answer_with(system, CLIENT_CALLS[system][name], body, asynchronous=asynchronous)
        assert caught.value.system == system, label


@pytest.mark.parametrize("system", sorted(CLIENT_CALLS))
@pytest.mark.parametrize("status", [400, 404, 422, 500])
def test_error_answers_with_hostile_bodies_are_status_errors(system: str, status: int) -> None:
    """An error status whose body is not UTF-8 JSON (or is nested too deep) is still the typed status error."""
    call = next(iter(CLIENT_CALLS[system].values()))
    for label, body in {**NOT_JSON, **WRONG_JSON}.items():
        with pytest.raises(APIStatusError) as caught:
            answer_with(system, call, body, asynchronous=False, status=status)
        assert (caught.value.system, caught.value.status_code) == (system, status), label


@pytest.mark.parametrize("case", ONE_PER_KIND, ids=[c.id for c in ONE_PER_KIND])
def test_connection_reads_refuse_bodies_that_are_not_json(case: Case) -> None:
    """Connection.list and Connection.get over answers that are not JSON raise typed errors only."""
    for label, body in {**NOT_JSON, **WRONG_JSON}.items():

        def respond(_: httpx.Request, body: bytes = body) -> httpx.Response:
            return httpx.Response(200, content=body)

        options = {**CLIENT_OPTIONS[case.system], **case.options, "transport": httpx.MockTransport(respond)}
        options["retry"] = RetryPolicy(attempts=1)
        if case.system == "estateprime":
            options.setdefault("lookups", {})
        ident = UUID if case.system == "rechat" else "1"
        with crmbridge.connect(case.system, **options) as connection:
            with pytest.raises((MappingError, InvalidResponseError)) as listed:
                list(connection.list(case.kind))
            assert listed.value.system == case.system, label
            if (case.system, case.kind) != ("activix", "activity"):  # no endpoint reads one communication
                with pytest.raises((MappingError, InvalidResponseError)) as got:
                    connection.get(case.kind, ident)
                assert got.value.system == case.system, label


# -- writes that cannot be sent as JSON ---------------------------------------------------------

WRITE_OPTIONS: dict[str, dict[str, Any]] = {
    "estateprime": {"base_url": "https://crm.example", "token": "t", "lookups": {}},
    "rechat": {"token": "t", "default_owner": UUID},
    "activix": {"token": "t", "rate_limit": None, "default_lead_type": "email"},
}
TEXT_FIELDS = {"contact": "first_name", "event": "title", "task": "title", "activity": "notes"}
# (system, kind, operations): Rechat contacts carry only known extras keys, EstatePrime contacts have no update.
WRITES = [
    ("estateprime", "event", ("create", "update")),
    ("estateprime", "contact", ("create",)),
    ("rechat", "task", ("create", "update")),
    ("rechat", "contact", ("create", "update")),
    ("activix", "contact", ("create", "update")),
    ("activix", "activity", ("create", "update")),
]
UNSENDABLE: dict[str, tuple[Callable[[Record, str], Record], Callable[[str], str]]] = {
    # How to break a written record, and the canonical path the error names (a field's, or extras.x_hostile).
    "lone surrogate": (lambda r, text: r.model_copy(update={text: "a\ud800"}), lambda text: text),
    "NaN in extras": (
        lambda r, _: r.model_copy(update={"extras": {**r.extras, ADDED_KEY: [1, {"deep": math.nan}]}}),
        lambda _: f"extras.{ADDED_KEY}[1].deep",
    ),
    "infinity in extras": (
        lambda r, _: r.model_copy(update={"extras": {**r.extras, ADDED_KEY: -math.inf}}),
        lambda _: f"extras.{ADDED_KEY}",
    ),
}
WRITE_PARAMS = [
    (system, kind, op, label)
    for system, kind, ops in WRITES
    for op in ops
    for label in UNSENDABLE
    if not (system == "rechat" and kind == "contact" and label != "lone surrogate")
]


def written_record(system: str, kind: str) -> Record:
    """A record of ``kind`` read from a vendor example of ``system`` (so it has its Ref and can be written back)."""
    with crmbridge.connect(system, **WRITE_OPTIONS[system]) as connection:
        adapter = connection.adapter
    for example_kind, _, payload in example_payloads(adapter.system, frozenset(adapter.kinds)):
        if example_kind == kind:
            record = adapter.to_canonical(kind, payload)
            if record.ref is not None:
                return record
    raise AssertionError(f"no {system} {kind} example with an id")


def recording_options(system: str, seen: list[httpx.Request]) -> dict[str, Any]:
    def respond(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    return {**WRITE_OPTIONS[system], "transport": httpx.MockTransport(respond), "retry": RetryPolicy(attempts=1)}


def write_through(system: str, op: str, record: Record, options: dict[str, Any], *, asynchronous: bool) -> None:
    """``Connection.<op>(record)`` (create or update) on a sync or an async connection to ``system``."""
    if asynchronous:

        async def run() -> None:
            async with crmbridge.connect_async(system, **options) as connection:
                await getattr(connection, op)(record)

        asyncio.run(run())
    else:
        with crmbridge.connect(system, **options) as connection:
            getattr(connection, op)(record)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("system", "kind", "op", "label"), WRITE_PARAMS, ids=["-".join(p) for p in WRITE_PARAMS])
def test_writes_that_cannot_be_sent_as_json_are_refused_before_any_request(
    system: str, kind: str, op: str, label: str, asynchronous: bool
) -> None:
    """A record holding a lone surrogate or NaN/infinity is a MappingError naming its canonical field, unsent."""
    breaks, expected_path = UNSENDABLE[label]
    record = breaks(written_record(system, kind), TEXT_FIELDS[kind])
    seen: list[httpx.Request] = []
    options = recording_options(system, seen)
    with pytest.raises(MappingError) as caught:
        write_through(system, op, record, options, asynchronous=asynchronous)
    assert (caught.value.system, caught.value.kind, caught.value.path) == (
        system,
        kind,
        expected_path(TEXT_FIELDS[kind]),
    )
    assert "JSON" in caught.value.message
    assert "\ud800" not in str(caught.value)
    assert seen == []


def test_an_extras_key_holding_a_lone_surrogate_is_named_at_extras() -> None:
    """An extras key with a lone surrogate (written as a body key) is refused at extras, the key never quoted."""
    seen: list[httpx.Request] = []
    record = written_record("activix", "contact")
    record = record.model_copy(update={"extras": {**record.extras, "bad\udc00key": 1}})
    connection = crmbridge.connect("activix", **recording_options("activix", seen))
    with connection, pytest.raises(MappingError) as caught:
        connection.create(record)
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("activix", "contact", "extras")
    assert "object key" in caught.value.message
    assert "\udc00" not in str(caught.value)
    assert seen == []


class _BodyBackend:
    """A backend whose adapter writes a fixed body, recording what reaches it."""

    def __init__(self, body: dict[str, Any]) -> None:
        base = get_adapter("estateprime")

        class FixedBody(type(base)):  # type: ignore[misc]
            def from_canonical(self, record: Record, *, resolve: Any = None) -> dict[str, Any]:
                return body

        self.adapter = FixedBody()
        self.sent: list[dict[str, Any]] = []

    def create_payload(self, kind: str, body: dict[str, Any]) -> Any:
        self.sent.append(body)
        return None


def test_an_unsendable_value_no_canonical_field_holds_is_named_by_its_body_key() -> None:
    """When the unsendable value is not in the record as such, the error names its path in the body instead."""
    backend = _BodyBackend({"wrapped": [{"text": "ok"}, {"text": "made \ud800 here", "n": 1}]})
    connection = crmbridge.Connection(backend)  # type: ignore[arg-type]
    with pytest.raises(MappingError) as caught:
        connection.create(RECORD_TYPES["contact"](first_name="Ann"))
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("estateprime", "contact", "wrapped[1].text")
    assert backend.sent == []


RAW_CREATES: dict[str, tuple[Callable[[Any, Any], Any], Any, str]] = {
    # A raw client call given a body it cannot send: (call, body, path of the bad value in the body).
    "estateprime": (lambda c, body: c.contacts.create(body), {"first_name": "a\ud800"}, "first_name"),
    "rechat": (lambda c, body: c.tasks.create(body), {"title": "t", "metadata": {"n": [0, math.inf]}}, "metadata.n[1]"),
    "activix": (
        lambda c, body: c.leads.create(body),
        {"emails": [{"email": "x@y.z", "note": "\udfff"}]},
        "emails[0].note",
    ),
}


def answer_with_client(system: str, call: Callable[[Any], Any], options: dict[str, Any], *, asynchronous: bool) -> Any:
    """What ``call`` gives on a sync or an async client of ``system`` built from ``options`` (awaited if async)."""
    sync_class, async_class = CLIENTS[system]
    if not asynchronous:
        with sync_class(**options) as client:
            return call(client)

    async def run() -> Any:
        async with async_class(**options) as client:
            return await call(client)

    return asyncio.run(run())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("system", sorted(RAW_CREATES))
def test_raw_client_writes_that_cannot_be_sent_are_typed_errors(system: str, asynchronous: bool) -> None:
    """A client create given a dict holding a lone surrogate or an infinity is a MappingError (kind "request")."""
    call, body, path = RAW_CREATES[system]
    seen: list[httpx.Request] = []
    options = {k: v for k, v in recording_options(system, seen).items() if k in {*CLIENT_OPTIONS[system], "transport"}}
    with pytest.raises(MappingError) as caught:
        answer_with_client(system, lambda client: call(client, body), options, asynchronous=asynchronous)
    assert (caught.value.system, caught.value.kind, caught.value.path) == (system, "request", path)
    assert seen == []


# -- ids taken from Refs into write bodies ------------------------------------------------------

BODY_ID_BREAKS: list[tuple[str, str, str, Callable[[Record], Record], str]] = [
    # (system, kind, label, break the written record, the path the MappingError names)
    (
        "activix",
        "activity",
        "executed_by 0",
        lambda r: r.model_copy(update={"user": Ref("activix", "user", "0")}),
        "user",
    ),
    (
        "activix",
        "activity",
        "lead id 19 digits",
        lambda r: r.model_copy(update={"contact": Ref("activix", "lead", "9" * 19)}),
        "contact",
    ),
    (
        "activix",
        "contact",
        "advisor 00",
        lambda r: r.model_copy(update={"owners": [Ref("activix", "user", "00")]}),
        "owners[0]",
    ),
    (
        "rechat",
        "task",
        "assignee in braces",
        lambda r: r.model_copy(update={"assignees": [Ref("rechat", "user", "{" + UUID + "}")]}),
        "assignees[0]",
    ),
    (
        "rechat",
        "task",
        "contact with a space",
        lambda r: r.model_copy(update={"contacts": [Ref("rechat", "contact", " " + UUID)]}),
        "contacts[0]",
    ),
    (
        "rechat",
        "task",
        "listing with a plus",
        lambda r: r.model_copy(update={"listings": [Ref("rechat", "listing", "+" + UUID[1:])]}),
        "listings[0]",
    ),
    (
        "estateprime",
        "event",
        "user 0",
        lambda r: r.model_copy(update={"users": [Ref("estateprime", "user", "0")]}),
        "users[0]",
    ),
]
BODY_ID_PARAMS = [(s, k, op, label) for s, k, label, _, _ in BODY_ID_BREAKS for op in ("create", "update")]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(("system", "kind", "op", "label"), BODY_ID_PARAMS, ids=["-".join(p) for p in BODY_ID_PARAMS])
def test_ids_from_refs_in_write_bodies_are_checked_before_any_request(
    system: str, kind: str, op: str, label: str, asynchronous: bool
) -> None:
    """A Ref whose id is not the CRM's id format, written into a body (not a path), is a MappingError, unsent."""
    _, _, _, breaks, path = next(b for b in BODY_ID_BREAKS if b[:3] == (system, kind, label))
    record = breaks(written_record(system, kind))
    seen: list[httpx.Request] = []
    options = recording_options(system, seen)
    with pytest.raises(MappingError) as caught:
        write_through(system, op, record, options, asynchronous=asynchronous)
    assert (caught.value.system, caught.value.kind, caught.value.path) == (system, kind, path)
    assert seen == []
