"""JSON values checked fast: what pydantic's ``JsonValue`` accepts, without its per-value discriminator.

``JsonValue`` picks the member of its union with a Python function called for every value of a
document, which makes it the slowest check of a record's ``extras``. :func:`json_value` and
:func:`json_object` first copy the value while checking that it is plain JSON data of exactly the
JSON types (``None``, ``bool``, ``int``, finite ``float``, ``str``, ``list``, ``dict`` with ``str``
keys: what ``json.loads`` returns, less its ``NaN`` and infinities). Anything else (a subclass, a
tuple, a set, a non-string key, a non-finite float, nesting too deep) is validated by ``JsonValue``
itself, which returns its result or raises its own error. The results are the same either way
(``tests/canonical/test_fast_construction.py``).

Validation is ``JsonValue`` with ``allow_inf_nan=False`` (the canonical models' setting too):
NaN and the infinities are not JSON, the canonical JSON Schema cannot hold them and a feed line
holding one would not be JSON, so a value holding one is refused (pydantic's ``finite_number``
error, located at the float) instead of kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, JsonValue, TypeAdapter

__all__ = ["FINITE", "json_object", "json_value"]

FINITE = ConfigDict(allow_inf_nan=False)
"""The validation setting of every JSON value crmbridge keeps: no NaN, no infinities."""

_VALUE_ADAPTER: TypeAdapter[Any] = TypeAdapter(JsonValue, config=FINITE)
_OBJECT_ADAPTER: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, JsonValue], config=FINITE)


class _NotPlain(Exception):
    """The value holds something other than plain JSON data, or nests too deep: JsonValue decides."""


_MAX_DEPTH = 254
"""How many nested JSON values pydantic-core validates before it stops with a recursion error."""


_SCALARS = frozenset({str, int, bool, type(None)})
"""The scalar types taken as they are; a float is taken when it is finite (``x - x == 0.0``)."""


def _copy(value: Any, depth: int) -> Any:
    if type(value) in _SCALARS:
        return value
    if type(value) is float:
        if value - value == 0.0:  # finite: NaN and the infinities give NaN
            return value
        raise _NotPlain  # JsonValue refuses it, located: let it say so
    if depth >= _MAX_DEPTH:
        raise _NotPlain  # JsonValue refuses it: let it say so
    if type(value) is list:
        return _copy_list(value, depth + 1)
    if type(value) is dict:
        return _copy_object(value, depth + 1)
    raise _NotPlain


def _copy_list(value: list[Any], depth: int) -> list[Any]:
    # Scalars (most items) are taken as they are, without a call each.
    return [
        item if type(item) in _SCALARS or (type(item) is float and item - item == 0.0) else _copy(item, depth)
        for item in value
    ]


def _copy_object(value: dict[Any, Any], depth: int) -> dict[str, Any]:
    copied: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str:
            raise _NotPlain
        copied[key] = (
            item if type(item) in _SCALARS or (type(item) is float and item - item == 0.0) else _copy(item, depth)
        )
    return copied


def json_value(value: Any) -> Any:
    """``TypeAdapter(JsonValue).validate_python(value)``, faster for plain JSON data."""
    try:
        return _copy(value, 0)
    except (_NotPlain, RecursionError):
        return _VALUE_ADAPTER.validate_python(value)


def json_object(value: Any) -> dict[str, Any]:
    """``TypeAdapter(dict[str, JsonValue]).validate_python(value)``, faster for plain JSON data."""
    if type(value) is dict:
        if not value:
            return {}
        try:
            return _copy_object(value, 0)
        except (_NotPlain, RecursionError):
            pass
    return _OBJECT_ADAPTER.validate_python(value)
