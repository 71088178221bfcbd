"""Wire readers: an attrs wire class's cattrs structuring, compiled to one pydantic-core validator.

The strict cattrs converter of each adapter stays the definition of what a wire object accepts
and of the error a misfit raises. Structuring through it costs a Python call per field (and
more per optional or list field), which is most of the read path. A :class:`WireReader`
compiles the same rules once, per class, into a pydantic-core validator that checks a whole
payload in one native call:

- the converter's strict ``int``, ``float``, ``str`` and ``bool`` hooks become pydantic-core's
  strict schemas (same acceptance: no ``bool`` for numbers, no strings for numbers, finite floats
  only, ints read as floats where a float is expected);
- ``T | None``, ``list[T]`` (JSON arrays only) and attrs classes (JSON objects, unknown keys
  ignored, keys with a default optional) become the matching schemas;
- ``Any`` passes the value through, as the converter does;
- a hook an adapter declared a native equivalent for (:func:`~crmbridge.adapters._support.register_native_schema`:
  EstatePrime's date-time and date strings) uses that schema;
- every other hook (an adapter's own types) is called as it is, from inside the validator: the
  conversion and its failures are the converter's own.

The fast path only ever *accepts less*: a value it refuses (or a payload that is not a plain
``dict``) goes through ``converter.structure``, whose result is used when it succeeds and whose
error (a :class:`~crmbridge.errors.MappingError` with the field path) is raised when it fails.
So errors are exactly the converter's. ``tests/adapters/test_fastwire.py`` checks with
generated payloads, valid and broken, that both paths give the same values and the same errors.
(One difference, outside JSON: where the converter hands a subclass of ``int``, ``float`` or
``str`` through unchanged, the fast path gives the equal plain value; the canonical records are
the same either way, since their validation makes plain values of them too.)

A reader returns either plain dicts (attribute names as keys, every field present, nested wire
objects as dicts: what the mappings read) or the attrs instances themselves (what the clients
return).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, Literal, TypeVar

import attrs
import cattrs
from pydantic_core import CoreSchema, SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

from crmbridge.adapters import _support
from crmbridge.canonical._construct import validating

__all__ = ["WireReader", "reference_reads", "using_reference_reads"]

T = TypeVar("T")

Output = Literal["dict", "attrs"]

_reference = False
"""Set by :func:`reference_reads`: a plain flag (read on every read), process-wide."""


@contextmanager
def reference_reads() -> Iterator[None]:
    """Within the block, readers use only the converter, and canonical models are validated in full.

    This is the reference the fast path is tested against (``tests/adapters/test_fastwire.py``).
    It applies to every thread, which is harmless: the reference path is always correct, only
    slower.
    """
    global _reference
    before = _reference
    _reference = True
    try:
        with validating():
            yield
    finally:
        _reference = before


def using_reference_reads() -> bool:
    """True inside :func:`reference_reads`."""
    return _reference


class _Refused(ValueError):
    """A custom hook failed inside the validator: the converter will say why."""


def _hook_schema(hook: Callable[[Any, Any], Any], tp: Any) -> CoreSchema:
    def validate(value: Any) -> Any:
        try:
            return hook(value, tp)
        except Exception:
            raise _Refused("refused") from None

    return cs.no_info_plain_validator_function(validate)


_DEFAULT_ANY_CODE = cattrs.Converter().get_structure_hook(Any).__code__


class _Compiler:
    """Turns one converter's structuring rules into pydantic-core schemas (memoised per type)."""

    def __init__(self, converter: cattrs.Converter, output: Output) -> None:
        self.converter = converter
        self.output = output
        self.definitions: dict[Any, CoreSchema] = {}
        self.building: set[Any] = set()

    def schema(self, tp: Any) -> CoreSchema:
        hook = self.converter.get_structure_hook(tp)
        primitive = _support.strict_primitive_schema(hook) or _support.native_schema(hook)
        if primitive is not None:
            return primitive
        if tp is Any:
            if getattr(hook, "__code__", None) is _DEFAULT_ANY_CODE:
                return cs.any_schema()
            return _hook_schema(hook, tp)
        kind, inner = _support.generic_hook_kind(hook, tp)
        if kind == "optional":
            return cs.nullable_schema(self.schema(inner))
        if kind == "list":
            return cs.list_schema(self.schema(inner), strict=True)
        if kind == "object" and isinstance(tp, type):
            return self.object_schema(tp)
        return _hook_schema(hook, tp)

    def object_schema(self, cls: type) -> CoreSchema:
        if cls in self.definitions or cls in self.building:
            return cs.definition_reference_schema(_ref_name(cls))
        self.building.add(cls)
        attrs.resolve_types(cls)
        fields: dict[str, cs.TypedDictField] = {}
        for field in attrs.fields(cls):
            value_schema = self.schema(field.type)
            required = field.default is attrs.NOTHING
            if not required:
                default = field.default
                if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                    if default.takes_self:
                        raise TypeError(f"{cls.__name__}.{field.name}: a default that takes self cannot be compiled")
                    value_schema = cs.with_default_schema(value_schema, default_factory=default.factory)
                else:
                    value_schema = cs.with_default_schema(value_schema, default=default)
            fields[field.name] = cs.typed_dict_field(value_schema, required=required)
        name = _ref_name(cls)
        schema: CoreSchema
        if self.output == "attrs":
            plain = cs.typed_dict_schema(fields, strict=True, extra_behavior="ignore")
            schema = cs.no_info_after_validator_function(_instance_builder(cls), plain, ref=name)
        else:
            schema = cs.typed_dict_schema(fields, strict=True, extra_behavior="ignore", ref=name)
        self.definitions[cls] = schema
        self.building.discard(cls)
        return cs.definition_reference_schema(_ref_name(cls))

    def validator(self, cls: type) -> SchemaValidator:
        root = self.object_schema(cls)
        return SchemaValidator(cs.definitions_schema(root, list(self.definitions.values())))


def _ref_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _instance_builder(cls: type[T]) -> Callable[[dict[str, Any]], T]:
    def build(fields: dict[str, Any]) -> T:
        return cls(**fields)

    return build


class _Plain:
    """Turns a structured attrs instance into the reader's dict form (driven by the field types)."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self.converter = converter
        self.plans: dict[type, list[tuple[str, Callable[[Any], Any] | None]]] = {}

    def of(self, tp: Any) -> Callable[[Any], Any] | None:
        """How to convert a value of type ``tp`` (None: keep it as it is)."""
        if tp is Any:
            return None
        hook = self.converter.get_structure_hook(tp)
        if _support.strict_primitive_schema(hook) is not None or _support.native_schema(hook) is not None:
            return None
        kind, inner = _support.generic_hook_kind(hook, tp)
        if kind == "optional":
            convert = self.of(inner)
            return None if convert is None else (lambda value: None if value is None else convert(value))
        if kind == "list":
            convert_item = self.of(inner)
            return None if convert_item is None else (lambda value: [convert_item(item) for item in value])
        if kind == "object" and isinstance(tp, type):
            return lambda value: self.instance(value)
        return None

    def instance(self, value: Any) -> dict[str, Any]:
        cls = type(value)
        plan = self.plans.get(cls)
        if plan is None:
            attrs.resolve_types(cls)
            plan = self.plans[cls] = [(field.name, self.of(field.type)) for field in attrs.fields(cls)]
        result: dict[str, Any] = {}
        for name, convert in plan:
            item = getattr(value, name)
            result[name] = item if convert is None else convert(item)
        return result


class WireReader(Generic[T]):
    """Reads payloads of the attrs wire class ``cls``: fast, with the converter as the reference.

    ``reader(payload, path)`` returns the validated object (see the module docstring for the
    two output forms) or raises the converter's :class:`~crmbridge.errors.MappingError`, its path
    below ``path``. Build one per class and converter, once: compiling is not cheap.
    """

    __slots__ = ("_cls", "_converter", "_kind", "_output", "_plain", "_system", "_validate")

    def __init__(
        self, converter: cattrs.Converter, cls: type[T], *, system: str, kind: str, output: Output = "dict"
    ) -> None:
        self._converter = converter
        self._cls = cls
        self._system = system
        self._kind = kind
        self._output = output
        self._validate = _Compiler(converter, output).validator(cls).validate_python
        self._plain = _Plain(converter)

    def __call__(self, payload: Any, path: str = "") -> Any:
        if type(payload) is dict and not _reference:
            try:
                return self._validate(payload)
            except ValidationError:
                pass  # the converter decides, and words the error
        structured = _support.structure(
            self._converter, payload, self._cls, system=self._system, kind=self._kind, path=path
        )
        return structured if self._output == "attrs" else self._plain.instance(structured)

    def reference(self, payload: Mapping[str, Any], path: str = "") -> Any:
        """What the converter alone makes of ``payload`` (in this reader's output form)."""
        structured = _support.structure(
            self._converter, payload, self._cls, system=self._system, kind=self._kind, path=path
        )
        return structured if self._output == "attrs" else self._plain.instance(structured)
