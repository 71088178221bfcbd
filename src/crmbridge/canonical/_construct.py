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


class _Blank:
    """A record model's blank instance (no field set) and what a copy of it needs besides the values given."""

    __slots__ = ("factories", "factory_names", "instance", "names", "required")

    def __init__(self, model: type[BaseModel]) -> None:
        fields = model.model_fields
        self.names = frozenset(fields)
        self.required = frozenset(name for name, info in fields.items() if info.is_required())
        self.factories: dict[str, Callable[[], Any]] = {}
        for name, info in fields.items():
            if info.default_factory is not None:
                if info.default_factory_takes_validated_data:
                    raise TypeError(f"{model.__name__}.{name}: construct does not handle factories that take the data")
                self.factories[name] = info.default_factory  # type: ignore[assignment]
        self.factory_names = frozenset(self.factories)
        # Required fields hold None here: every copy replaces them (it needs them all).
        self.instance = model.model_construct(_fields_set=set(), **dict.fromkeys(self.required))


_BLANKS: dict[type[BaseModel], _Blank | None] = {}


def _blank(model: type[BaseModel]) -> _Blank | None:
    blank = _BLANKS[model] = _Blank(model) if len(model.model_fields) > _COPIED_ABOVE else None
    return blank


def construct(model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)`` for values the caller guarantees valid (``extras`` is checked all the same).

    A field left out takes its default, as in validation: a fresh list or dict from its factory
    (which a record's ``model_fields_set`` then also names); every required field must be given.
    Record models are copied from a blank instance without validation (their model validators
    do not run: the caller guarantees what they check); value objects are validated.
    """
    if _validate_all:
        return model(**values)
    blank = _BLANKS[model] if model in _BLANKS else _blank(model)
    if blank is None:
        return model.model_validate(values)
    extras = values.get("extras")
    if extras:
        try:
            values = {**values, "extras": json_object(extras)}
        except ValidationError:
            return model(**values)  # raises the model's own error for the values that are not JSON
    keys = values.keys()
    if not (keys <= blank.names and blank.required <= keys):
        return model(**values)  # a name that is not a field, or a required one missing: the model's error
    missing = blank.factory_names - keys
    if missing:
        factories = blank.factories
        values = {**values, **{name: factories[name]() for name in missing}}
    built: M = blank.instance.model_copy(update=values)  # type: ignore[assignment]
    return built
