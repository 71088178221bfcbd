"""Wire readers: an attrs wire class compiled, from its field types, into one pydantic-core validator.

pydantic-core is the one system that checks a wire object on read (in the EstatePrime and
Activix adapters, and the EstatePrime client): a :class:`WireReader` compiles a wire class
once, from the types its attrs fields declare, into a validator that checks a whole payload in
one native call, and turns its first error into a :class:`~crmbridge.errors.MappingError` naming
the system, the kind and the field path. The rules, per declared type:

- ``int``, ``float``, ``str`` and ``bool``: strict (no ``bool`` for numbers, no strings for
  numbers, finite floats only, ints read as floats where a float is expected);
- ``T | None``, ``list[T]`` (JSON arrays only), ``dict[str, T]`` and attrs classes (JSON objects,
  unknown keys ignored, fields with a default optional);
- ``Any``: the value as it is;
- an adapter's own types (its date-time formats): the schemas its ``wire`` module lists in
  ``WIRE_SCHEMAS``, native ones or :func:`parsed_by` its parse functions.

A type none of these covers is refused when the reader is built, not when a payload arrives.
A reader returns either plain dicts (attribute names as keys, every field present, nested wire
objects as dicts: what the mappings read) or the attrs instances themselves (what the clients
return).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Generic, Literal, TypeVar

import attrs
from pydantic_core import CoreSchema, PydanticCustomError, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from crmbridge.adapters._support import pydantic_error_path
from crmbridge.errors import MappingError

__all__ = ["WireReader", "WireSchemas", "mapping_error", "parsed_by", "wire_format"]

T = TypeVar("T")

Output = Literal["dict", "attrs"]

WireSchemas = Mapping[Any, CoreSchema]
"""An adapter's own wire types (as its attrs fields spell them) and the schema reading each."""

_WIRE_ERROR = "wire_value"

_PRIMITIVES: dict[Any, CoreSchema] = {
    int: cs.int_schema(strict=True),
    float: cs.float_schema(strict=True, allow_inf_nan=False),
    str: cs.str_schema(strict=True),
    bool: cs.bool_schema(strict=True),
    Any: cs.any_schema(),
}

# What each pydantic-core error type means for a JSON value, worded like the rest of the
# adapters' errors (the offending value is never quoted: it may be personal data).
_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a JSON object",
}
_MESSAGES = {
    "missing": "required field missing",
    "finite_number": "expected a finite number",
}


def parsed_by(parse: Callable[[Any], Any]) -> CoreSchema:
    """A schema reading a value with an adapter's ``parse`` function; its TypeError or ValueError text is the error."""

    def validate(value: Any) -> Any:
        try:
            return parse(value)
        except (TypeError, ValueError) as error:
            raise PydanticCustomError(_WIRE_ERROR, "{reason}", {"reason": str(error)}) from None

    return cs.no_info_plain_validator_function(validate)


def wire_format(schema: CoreSchema, message: str) -> CoreSchema:
    """``schema`` whose every refusal reads ``message`` (what the format is, not what was sent)."""
    return cs.custom_error_schema(schema, custom_error_type=_WIRE_ERROR, custom_error_message=message)


class _Compiler:
    """Turns attrs field types into pydantic-core schemas (one definition per wire class)."""

    def __init__(self, schemas: WireSchemas, output: Output) -> None:
        self.schemas = schemas
        self.output = output
        self.definitions: dict[type, CoreSchema] = {}
        self.building: set[type] = set()

    def schema(self, tp: Any) -> CoreSchema:
        known = self.schemas.get(tp) or _PRIMITIVES.get(tp)
        if known is not None:
            return known
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
            return cs.nullable_schema(self.schema(args[0] if args[1] is type(None) else args[1]))
        if origin is list and len(args) == 1:
            return cs.list_schema(self.schema(args[0]), strict=True)
        if origin is dict and len(args) == 2 and args[0] is str:
            return cs.dict_schema(_PRIMITIVES[str], self.schema(args[1]), strict=True)
        if origin is None and isinstance(tp, type) and attrs.has(tp):
            return self.object_schema(tp)
        raise TypeError(f"no wire schema for {tp!r}: list it in the adapter's WIRE_SCHEMAS")

    def object_schema(self, cls: type) -> CoreSchema:
        name = f"{cls.__module__}.{cls.__qualname__}"
        if cls in self.definitions or cls in self.building:
            return cs.definition_reference_schema(name)
        self.building.add(cls)
        attrs.resolve_types(cls)
        fields = {field.name: self.field(cls, field) for field in attrs.fields(cls)}
        # Not strict: any mapping is a JSON object (its fields keep their own strictness).
        if self.output == "attrs":
            plain = cs.typed_dict_schema(fields, extra_behavior="ignore")
            self.definitions[cls] = cs.no_info_after_validator_function(_instance_builder(cls), plain, ref=name)
        else:
            self.definitions[cls] = cs.typed_dict_schema(fields, extra_behavior="ignore", ref=name)
        self.building.discard(cls)
        return cs.definition_reference_schema(name)

    def field(self, cls: type, field: attrs.Attribute[Any]) -> cs.TypedDictField:
        schema = self.schema(field.type)
        default: Any = field.default
        if default is attrs.NOTHING:
            return cs.typed_dict_field(schema, required=True)
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                raise TypeError(f"{cls.__name__}.{field.name}: a default that takes self cannot be compiled")
            return cs.typed_dict_field(cs.with_default_schema(schema, default_factory=default.factory), required=False)
        return cs.typed_dict_field(cs.with_default_schema(schema, default=default), required=False)

    def validator(self, cls: type) -> SchemaValidator:
        root = self.object_schema(cls)
        return SchemaValidator(cs.definitions_schema(root, list(self.definitions.values())))


def _instance_builder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    def build(fields: dict[str, Any]) -> T:
        return cls(**fields)

    return build


def _message(error: Any) -> str:
    kind = error["type"]
    expected = _EXPECTED.get(kind)
    if expected is not None:
        return f"expected {expected}, got {type(error['input']).__name__}"
    if kind == _WIRE_ERROR:
        return str(error["msg"])
    return _MESSAGES.get(kind) or f"invalid value ({kind})"


def mapping_error(error: ValidationError, *, system: str, kind: str, path: str) -> MappingError:
    """The first error of a wire validation as a MappingError, its field path below ``path``."""
    first = error.errors(include_url=False)[0]
    return MappingError(system, kind, pydantic_error_path(tuple(first["loc"]), path), _message(first))


class WireReader(Generic[T]):
    """Reads payloads of the attrs wire class ``cls`` with one compiled pydantic-core validator.

    ``reader(payload, path)`` returns the validated object (see the module docstring for the
    two output forms) or raises a :class:`~crmbridge.errors.MappingError` whose path is below
    ``path``. Build one per class, once: compiling is not cheap.
    """

    __slots__ = ("_kind", "_system", "_validate")

    def __init__(self, cls: type[T], *, schemas: WireSchemas, system: str, kind: str, output: Output = "dict") -> None:
        self._system = system
        self._kind = kind
        self._validate = _Compiler(schemas, output).validator(cls).validate_python

    def __call__(self, payload: Any, path: str = "") -> Any:
        try:
            return self._validate(payload)
        except ValidationError as error:
            raise mapping_error(error, system=self._system, kind=self._kind, path=path) from None
