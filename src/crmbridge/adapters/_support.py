"""Pieces every adapter needs: strict cattrs primitives, error paths, unknown fields, int ids.

Adapters import from here, never from each other.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import Any, TypeVar

import attrs
import cattrs
import pydantic
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.dispatch import StructureHook
from cattrs.errors import BaseValidationError
from cattrs.gen import make_dict_structure_fn

from crmbridge.canonical import Ref
from crmbridge.errors import MappingError
from crmbridge.http import ItemReader, listed_item  # re-exported: adapters read list items through them

__all__ = [
    "ItemReader",
    "build_canonical",
    "int_id_ref",
    "int_ref",
    "item_reader",
    "listed_item",
    "make_strict_converter",
    "raw_item_reader",
    "pydantic_error_path",
    "ref_int_id",
    "structure",
    "unknown_fields",
    "wire_field_names",
]

T = TypeVar("T")


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value) if isinstance(value, int) else value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


_EXACT_TYPES: dict[Callable[[Any, type], Any], type] = {
    _strict_int: int,
    _strict_str: str,
    _strict_bool: bool,
}


def _strict_list_factory(type_: Any, converter: cattrs.Converter) -> StructureHook:
    # cattrs would read a string as a list of characters and an object as its keys.
    structure_items = list_structure_factory(type_, converter)
    item_types = typing.get_args(type_)
    item_hook = converter.get_structure_hook(item_types[0]) if len(item_types) == 1 else None
    exact = _EXACT_TYPES.get(item_hook) if item_hook is not None else None

    def structure_list(value: Any, cls: Any) -> Any:
        if not isinstance(value, list):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        return structure_items(value, cls)

    def structure_exact_list(value: Any, cls: Any) -> Any:
        # A list of ints (or strings, or booleans) of exactly that type passes every item hook
        # unchanged: copy it without a call per item. Anything else takes the item hooks (and
        # their errors, at the same paths).
        if type(value) is list and all(type(item) is exact for item in value):
            return list(value)
        return structure_list(value, cls)

    return structure_list if exact is None or typing.get_origin(type_) is not list else structure_exact_list


def _strict_object_factory(type_: Any, converter: cattrs.Converter) -> StructureHook:
    # The generated hook only tests ``key in value``: a list or a string would pass for a class
    # whose fields are all optional.
    structure_fields = make_dict_structure_fn(type_, converter)

    def structure_object(value: Any, cls: Any) -> Any:
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a JSON object, got {type(value).__name__}")
        return structure_fields(value, cls)

    return structure_object


def _optional_primitive(hook: Callable[[Any, type], Any], tp: type) -> StructureHook:
    # ``T | None`` of a primitive, without cattrs' dispatch on every call: None and values of
    # exactly the type pass; anything else goes to the primitive's hook (same errors).
    exact = _EXACT_TYPES.get(hook)

    def structure_optional(value: Any, _: Any) -> Any:
        if value is None or type(value) is exact:
            return value
        return hook(value, tp)

    return structure_optional


def make_strict_converter() -> cattrs.Converter:
    """A cattrs converter whose primitives check types instead of coercing them.

    - ``int`` accepts only ints (not ``"12"``, ``1.5`` or ``True``);
    - ``float`` accepts ints and finite floats (not NaN or infinity, not booleans);
    - ``str`` accepts only strings; ``bool`` only booleans;
    - ``list[T]`` (and other sequences) accept only JSON arrays, not strings or objects;
    - attrs classes accept only JSON objects;
    - unknown keys are ignored by structuring (adapters collect them with :func:`unknown_fields`);
    - detailed validation is on, so errors carry the field path.

    ``T | None`` of a primitive and ``list[int]`` / ``list[str]`` / ``list[bool]`` have hooks of
    their own that skip cattrs' per-call dispatch (same results, same errors).

    Each adapter's ``wire.make_converter()`` starts from this and registers its own hooks.
    """
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook_factory(is_sequence, _strict_list_factory)
    converter.register_structure_hook_factory(attrs.has, _strict_object_factory)
    for primitive, hook in ((int, _strict_int), (float, _strict_float), (str, _strict_str), (bool, _strict_bool)):
        converter.register_structure_hook(primitive | None, _optional_primitive(hook, primitive))
    return converter


_PATH_TAIL = re.compile(r" @ \$(?P<path>.*)$")
_QUALIFIED_NAME = re.compile(r"\b(?:[a-z_]\w*\.){2,}(?=[A-Za-z_]\w*\b)")


def _first_path_and_message(error: BaseValidationError) -> tuple[str, str]:
    messages = cattrs.transform_error(error, path="$")
    first = messages[0] if messages else "invalid value"
    match = _PATH_TAIL.search(first)
    if match is None:
        return "", first
    path = match.group("path").removeprefix(".")
    # "expected crmbridge.adapters.x.wire.Phone | None" reads better as "expected Phone | None".
    return path, _QUALIFIED_NAME.sub("", first[: match.start()])


def structure(
    converter: cattrs.Converter,
    payload: Any,
    cls: type[T],
    *,
    system: str,
    kind: str,
    path: str = "",
) -> T:
    """``converter.structure(payload, cls)``, turning any failure into a :class:`MappingError`.

    The error names the first bad field's path (``phones[1].number``) below ``path``.
    """
    if not isinstance(payload, Mapping):
        raise MappingError(system, kind, path, f"expected a JSON object, got {type(payload).__name__}")
    try:
        return converter.structure(payload, cls)
    except BaseValidationError as error:
        sub, message = _first_path_and_message(error)
        full = f"{path}.{sub}" if path and sub and not sub.startswith("[") else f"{path}{sub}"
        raise MappingError(system, kind, full, message) from None
    except (TypeError, ValueError, KeyError, AttributeError) as error:  # pragma: no cover - cattrs wraps these
        raise MappingError(system, kind, path, f"invalid value ({type(error).__name__})") from None


@cache
def wire_field_names(cls: type) -> frozenset[str]:
    """The JSON keys an attrs wire class knows (the ``alias`` when one is set)."""
    return frozenset(a.alias or a.name for a in attrs.fields(cls))


def unknown_fields(payload: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """The keys of ``payload`` that ``cls`` does not model: they go to ``extras``."""
    known = wire_field_names(cls)
    if payload.keys() <= known:
        return {}  # the usual case, checked without building anything
    return {key: value for key, value in payload.items() if key not in known}


@lru_cache(maxsize=16384)
def int_id_ref(system: str, kind: str, value: int) -> Ref:
    """``Ref(system, kind, str(value))``, cached (see :func:`int_ref`)."""
    return Ref(system, kind, str(value))


def int_ref(system: str, kind: str, value: int | None) -> Ref | None:
    """``Ref(system, kind, str(value))`` for an integer id, None for None.

    Refs are immutable and a page repeats the same user, office and tag ids, so they are
    cached: building a Ref validates it, which costs more than the lookup.
    """
    return None if value is None else int_id_ref(system, kind, value)


def pydantic_error_path(loc: tuple[int | str, ...], prefix: str = "") -> str:
    """A pydantic error location as a field path: ``("phones", 1, "number")`` -> ``phones[1].number``."""
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


M = TypeVar("M", bound=pydantic.BaseModel)


def build_canonical(
    model: type[M],
    data: Mapping[str, Any],
    *,
    system: str,
    kind: str,
    path: str = "",
) -> M:
    """Validate ``data`` into ``model``; a pydantic ValidationError becomes a :class:`MappingError`.

    The message carries pydantic's error *type* only: its text may quote the input, which is
    personal data.
    """
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = pydantic_error_path(tuple(first["loc"]), path)
        raise MappingError(system, kind, where, f"invalid value ({first['type']})") from None


def ref_int_id(ref: Ref, *, record_kind: str, path: str) -> int:
    """The integer id a Ref of an integer-id system stands for, or :class:`MappingError`.

    The same ids a client takes in a path (ASCII digits, at most 18, not zero): an id that goes
    into a request body is checked like one that goes into a URL, before any request.
    """
    text = ref.id
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or not text.strip("0"):
        raise MappingError(ref.system, record_kind, path, f"{ref.kind} id must be a positive integer")
    return int(text)


def item_reader(converter: cattrs.Converter, cls: type[T], *, system: str, kind: str) -> ItemReader[T]:
    """An item reader that structures each item into the wire class ``cls`` (MappingError on misfit)."""

    def read(raw: Any, path: str) -> T:
        return structure(converter, raw, cls, system=system, kind=kind, path=path)

    return read


def raw_item_reader(system: str, kind: str) -> ItemReader[dict[str, Any]]:
    """An item reader that keeps JSON objects as they are (only their type is checked)."""

    def read(raw: Any, path: str) -> dict[str, Any]:
        if not isinstance(raw, Mapping):
            raise MappingError(system, kind, path, f"expected a JSON object, got {type(raw).__name__}")
        return dict(raw)

    return read
