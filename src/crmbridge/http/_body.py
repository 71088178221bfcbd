"""Request bodies as JSON bytes, or a :class:`MappingError` naming what cannot be sent.

A JSON body goes out as UTF-8 (what httpx would send for ``json=``: no ASCII escapes, compact
separators, no NaN). Two things a Python value can hold have no such form: a string with a lone
surrogate (``"\\ud800"``: strings read from JSON keep them, but UTF-8 cannot encode them) and
NaN or an infinity (not JSON). Instead of the encoder's ``UnicodeEncodeError`` or ``ValueError``,
:func:`encode_json_body` raises a :class:`MappingError` whose path names the value
(``attributes[2].text``), before anything is sent. The value itself is never quoted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from pydantic import BaseModel

from crmbridge.errors import MappingError

__all__ = ["REQUEST_KIND", "Problem", "encode_json_body", "problems", "unsendable"]

REQUEST_KIND = "request"
"""The ``kind`` of the :class:`MappingError` the HTTP core raises for a body it cannot send."""

_SURROGATE = "a string holding a lone surrogate (U+D800 to U+DFFF) cannot be sent as UTF-8 JSON"
_KEY_SURROGATE = "an object key holding a lone surrogate (U+D800 to U+DFFF) cannot be sent as UTF-8 JSON"
_NON_FINITE = "NaN and infinities are not JSON"
_KEY_TYPES = (str, int, float, bool, type(None))


class Problem(NamedTuple):
    """A value (or object key) that cannot be sent: where it is, the value itself, and why (never quoting it)."""

    path: str
    value: Any
    reason: str


def encode_json_body(body: Any, *, system: str, kind: str = REQUEST_KIND) -> bytes:
    """``body`` as the UTF-8 JSON bytes httpx would send for ``json=body``, or :class:`MappingError`."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError):  # UnicodeEncodeError is a ValueError
        found = unsendable(body)
        path, reason = found if found is not None else ("", "the body cannot be encoded as JSON")
        raise MappingError(system, kind, path, reason) from None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _child(path: str, key: int | str) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _key_problem(key: Any) -> str | None:
    if isinstance(key, str):
        return _KEY_SURROGATE if _has_surrogate(key) else None
    if isinstance(key, float):
        return None if math.isfinite(key) else _NON_FINITE
    return None if isinstance(key, _KEY_TYPES) else f"an object key of type {type(key).__name__} is not JSON"


def problems(value: Any) -> Iterator[Problem]:
    """Every value (or object key) below ``value`` that cannot be sent as UTF-8 JSON, depth first.

    Pydantic models are walked field by field (their paths are field paths), so a canonical record
    can be searched as it is; a value of another type (a datetime) is a problem of its own kind.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _has_surrogate(item):
                yield Problem(where, item, _SURROGATE)
        elif isinstance(item, float):
            if not math.isfinite(item):
                yield Problem(where, item, _NON_FINITE)
        elif item is None or isinstance(item, bool | int):
            continue
        elif isinstance(item, Mapping):
            children: list[tuple[str, Any]] = []
            for key, child in item.items():
                reason = _key_problem(key)
                if reason is not None:
                    yield Problem(where, key, reason)
                    continue
                children.append((_child(where, str(key)), child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(_child(where, index), child) for index, child in enumerate(item)]))
        elif isinstance(item, BaseModel):
            fields = [(_child(where, name), getattr(item, name)) for name in type(item).model_fields]
            stack.extend(reversed(fields))
        else:
            yield Problem(where, item, f"a {type(item).__name__} is not a JSON value")


def unsendable(body: Any) -> tuple[str, str] | None:
    """The path of the first value in ``body`` that cannot be sent as UTF-8 JSON and why, else None."""
    first = next(problems(body), None)
    return None if first is None else (first.path, first.reason)
