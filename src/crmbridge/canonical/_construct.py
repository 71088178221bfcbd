"""Building canonical models from values already proven valid, without validating them a second time.

Adapters validate a payload once, at the boundary (their wire layer), and then build the
canonical record from values that are valid by construction: Refs from the Ref cache, aware UTC
datetimes from their clocks, strings and booleans the wire layer checked. Validating those
again is most of what building a record costs, so :func:`construct` sets the fields directly.

``extras`` is the exception: its values are payload keys nobody modelled, so they are always
checked (as JSON, with :func:`crmbridge.canonical._json.json_object`); when they are not JSON, the
model is validated in full and raises pydantic's own ``ValidationError``, exactly as
``cls(**values)`` would.

Inside :func:`validating` (tests), :func:`construct` *is* ``cls(**values)``: the property tests
read generated payloads both ways and require equal records (``tests/adapters/test_fastwire.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticUndefined

from crmbridge.canonical._json import json_object

__all__ = ["construct", "validating"]

M = TypeVar("M", bound=BaseModel)

# The four slots every pydantic model instance has, set the way ``model_construct`` sets them
# (the slot descriptors themselves: no attribute lookup by name).
_SLOTS = BaseModel.__dict__
_set_dict = _SLOTS["__dict__"].__set__
_set_fields_set = _SLOTS["__pydantic_fields_set__"].__set__
_set_extra = _SLOTS["__pydantic_extra__"].__set__
_set_private = _SLOTS["__pydantic_private__"].__set__
_new = object.__new__

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


class _Layout:
    """A model's fields in order: the plain defaults, and the fields whose default is a factory."""

    __slots__ = ("factories", "factory_names", "has_extras", "required", "size", "template")

    def __init__(self, model: type[BaseModel]) -> None:
        self.template: dict[str, Any] = {}
        self.factories: list[tuple[str, Callable[[], Any]]] = []
        self.required = frozenset(name for name, info in model.model_fields.items() if info.is_required())
        for name, info in model.model_fields.items():
            if info.default_factory is not None:
                self.template[name] = None
                self.factories.append((name, info.default_factory))  # type: ignore[arg-type]
            else:
                self.template[name] = None if info.default is PydanticUndefined else info.default
        self.size = len(self.template)
        self.factory_names = frozenset(name for name, _ in self.factories)
        self.has_extras = "extras" in self.template


_LAYOUTS: dict[type[BaseModel], _Layout] = {}


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)`` for values the caller guarantees valid (except ``extras``, always checked).

    A field left out takes its default, as in validation; every required field must be given.
    Model validators do not run: the caller guarantees what they check.
    """
    if _validate_all:
        return model(**values)
    layout = _LAYOUTS.get(model)
    if layout is None:
        layout = _LAYOUTS[model] = _Layout(model)
    if layout.has_extras:
        extras = values.get("extras")
        if extras:
            try:
                values = {**values, "extras": json_object(extras)}
            except ValidationError:
                return model(**values)  # raises the model's own error for the values that are not JSON
    fields = {**layout.template, **values}
    if len(fields) != layout.size or not layout.required <= values.keys():
        return model(**values)  # a name that is not a field, or a required one missing: the model's error
    if layout.factories and not layout.factory_names <= values.keys():
        for name, factory in layout.factories:
            if name not in values:
                fields[name] = factory()
    instance = _new(model)
    _set_dict(instance, fields)
    _set_fields_set(instance, set(values))
    _set_extra(instance, None)
    _set_private(instance, None)
    return instance
