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
from pydantic_core import CoreSchema, SchemaValidator
from pydantic_core import core_schema as cs

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


def _trusting_field(model: type[BaseModel], name: str) -> CoreSchema:
    info = model.model_fields[name]
    if info.alias is not None or info.validation_alias is not None:
        raise TypeError(f"{model.__name__}.{name}: construct does not handle aliases")
    if info.is_required():
        return cs.any_schema()
    if info.default_factory is None:
        return cs.with_default_schema(cs.any_schema(), default=info.default)
    if info.default_factory_takes_validated_data:
        raise TypeError(f"{model.__name__}.{name}: construct does not handle factories that take the data")
    return cs.with_default_schema(cs.any_schema(), default_factory=info.default_factory)


def _trusting_builder(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A native builder of ``model`` taking any value per field (refusing unknown names, missing required ones)."""
    fields = {name: cs.model_field(_trusting_field(model, name)) for name in model.model_fields}
    schema = cs.model_schema(model, cs.model_fields_schema(fields, extra_behavior="forbid"), extra_behavior="forbid")
    build: Callable[[dict[str, Any]], M] = SchemaValidator(schema).validate_python
    return build


_BUILDERS: dict[type[BaseModel], Callable[[dict[str, Any]], Any]] = {}
_HAS_EXTRAS: dict[type[BaseModel], bool] = {}


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)`` for values the caller guarantees valid (except ``extras``, always checked).

    A field left out takes its default, as in validation; every required field must be given.
    Model validators do not run: the caller guarantees what they check.
    """
    if _validate_all:
        return model(**values)
    build = _BUILDERS.get(model)
    if build is None:
        build = _BUILDERS[model] = _trusting_builder(model)
        _HAS_EXTRAS[model] = "extras" in model.model_fields
    if _HAS_EXTRAS[model]:
        extras = values.get("extras")
        if extras:
            try:
                values = {**values, "extras": json_object(extras)}
            except ValidationError:
                return model(**values)  # raises the model's own error for the values that are not JSON
    try:
        instance: M = build(values)
    except ValidationError:
        return model(**values)  # a name that is not a field, or a required one missing: the model's error
    return instance
