"""Building canonical models from values already proven valid, without validating them a second time.

Adapters validate a payload once, at the boundary (their wire layer), and then build the
canonical record from values that are valid by construction: Refs from the Ref cache, aware UTC
datetimes from their clocks, strings and booleans the wire layer checked. Validating those
again is most of what building a record costs, so :func:`construct` does what ``model_construct``
does (fields set as given, defaults filled, no checks) through pydantic-core's public
``model_schema``: per model, one native validator whose fields accept any value. (pydantic's own
``model_construct`` calls ``inspect.signature`` on every default factory of every record built.)

``extras`` is the exception: its values are payload keys nobody modelled, so they are always
checked (as JSON, with :func:`crmbridge.canonical._json.json_object`); when they are not JSON, the
model is validated in full and raises pydantic's own ``ValidationError``, exactly as
``cls(**values)`` would.

Inside :func:`validating` (tests), :func:`construct` *is* ``cls(**values)``: the adapters' read
tests build every record both ways and require equal records, which proves the values they
hand to :func:`construct` are valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crmbridge.canonical._json import json_object

__all__ = ["construct", "validating"]

M = TypeVar("M", bound=BaseModel)

_validate_all = False
"""Set by :func:`validating`: a plain flag (read on every construct), process-wide."""


@contextmanager
def validating() -> Iterator[None]:
    """Within the block, :func:`construct` validates like ``cls(**values)`` (in every thread: tests only).

    Validating is always correct, only slower, so a thread that happens to run meanwhile is not
    harmed.
    """
    global _validate_all
    before = _validate_all
    _validate_all = True
    try:
        yield
    finally:
        _validate_all = before


_COPIED_ABOVE = 12
"""Models with more fields than this are built by copying a blank instance; smaller ones by validation.

Validation costs a little per field, a copy (``model_copy``) a flat microsecond or two: value
objects (a phone, an address: at most a dozen fields, usually few of them set) validate
faster than they copy, records (20 to 30 fields, most of them defaults) copy faster.
"""


def _copying_builder(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """Builds ``model`` as a ``model_copy`` of its blank instance (no field set), ``values`` as the update."""
    fields = model.model_fields
    names = frozenset(fields)
    required = frozenset(name for name, info in fields.items() if info.is_required())
    factories: dict[str, Callable[[], Any]] = {}
    for name, info in fields.items():
        if info.default_factory is not None:
            if info.default_factory_takes_validated_data:
                raise TypeError(f"{model.__name__}.{name}: construct does not handle factories that take the data")
            factories[name] = info.default_factory  # type: ignore[assignment]
    factory_names = frozenset(factories)
    # Required fields hold None here: every copy replaces them (it needs them all).
    copy = model.model_construct(_fields_set=set(), **dict.fromkeys(required)).model_copy

    def build(values: dict[str, Any]) -> M:
        extras = values.get("extras")
        if extras:
            try:
                values = {**values, "extras": json_object(extras)}
            except ValidationError:
                return model(**values)  # raises the model's own error for the values that are not JSON
        keys = values.keys()
        if not (keys <= names and required <= keys):
            return model(**values)  # a name that is not a field, or a required one missing: the model's error
        missing = factory_names - keys
        if missing:
            # A copy shares the blank's containers: the defaults left out get fresh ones.
            values = {**values, **{name: factories[name]() for name in missing}}
        return copy(update=values)

    return build


def _builder(model: type[M]) -> Callable[[dict[str, Any]], M]:
    build = _copying_builder(model) if len(model.model_fields) > _COPIED_ABOVE else model.model_validate
    _BUILDERS[model] = build
    return build


_BUILDERS: dict[type[BaseModel], Callable[[dict[str, Any]], Any]] = {}


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)`` for values the caller guarantees valid (``extras`` is checked all the same).

    A field left out takes its default, as in validation: a fresh list or dict from its factory
    (which a record's ``model_fields_set`` then also names); every required field must be given.
    Record models are copied from a blank instance without validation (their model validators
    do not run: the caller guarantees what they check); value objects are validated.
    """
    if _validate_all:
        return model(**values)
    build = _BUILDERS.get(model) or _builder(model)
    built: M = build(values)
    return built
