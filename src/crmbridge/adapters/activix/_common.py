"""Helpers shared by the Activix communication and lead mappings."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._support import build_canonical, pydantic_error_path, ref_int_id
from crmbridge.canonical import Record, Ref
from crmbridge.canonical._construct import construct
from crmbridge.errors import MappingError

__all__ = [
    "SYSTEM",
    "BodyWriter",
    "activix_ref",
    "build",
    "build_valid",
    "check_update_fields",
    "local_int_id",
    "read_from_activix",
]

SYSTEM = "activix"

M = TypeVar("M", bound=BaseModel)


@lru_cache(maxsize=8192)
def _cached_ref(kind: str, ident: int) -> Ref:
    return Ref(SYSTEM, kind, str(ident))


def activix_ref(kind: str, ident: int | None) -> Ref | None:
    """``Ref("activix", kind, str(ident))``, or None for None.

    Refs are immutable, and a page repeats the same lead and user ids: reusing them saves the
    validation of a new Ref each time (it is a third of the cost of reading a communication).
    """
    return None if ident is None else _cached_ref(kind, ident)


def read_from_activix(record: Record) -> bool:
    """True when ``record`` was read from Activix (not merely new): its open-enum values came from Activix."""
    return record.ref is not None and record.ref.system == SYSTEM


def build(model: type[M], kind: str, data: Mapping[str, Any], *, path: str = "") -> M:
    """``model(**data)``; a pydantic ValidationError becomes a MappingError naming the field."""
    return build_canonical(model, data, system=SYSTEM, kind=kind, path=path)


def build_valid(model: type[M], kind: str, data: dict[str, Any], *, path: str = "") -> M:
    """:func:`build` for values already valid (read by the wire reader, Refs from the cache).

    Records are not validated a second time, only their ``extras`` are checked (see
    :func:`crmbridge.canonical._construct.construct`); when they hold something that is not
    JSON, the error is :func:`build`'s.
    """
    try:
        return construct(model, data)
    except ValidationError as error:
        first = error.errors(include_url=False, include_input=False)[0]
        where = pydantic_error_path(tuple(first["loc"]), path)
        raise MappingError(SYSTEM, kind, where, f"invalid value ({first['type']})") from None


def local_int_id(
    adapter: Adapter,
    ref: Ref,
    *,
    expected_kind: str,
    path: str,
    record_kind: str,
    resolve: Resolver | None,
) -> int:
    """The Activix integer id of ``ref`` (resolved when foreign), checking it is a ``expected_kind``."""
    local = adapter.local_ref(ref, path=path, record_kind=record_kind, resolve=resolve)
    if local.kind != expected_kind:
        raise MappingError(SYSTEM, record_kind, path, f"expected a reference to an activix {expected_kind}")
    return ref_int_id(local, record_kind=record_kind, path=path)


def check_update_fields(model: type[BaseModel], kind: str, fields: Collection[str] | None) -> frozenset[str] | None:
    """``fields`` as a set, or MappingError naming the first one that is not a canonical field."""
    if fields is None:
        return None
    chosen = frozenset(fields)
    for name in sorted(chosen):
        if name not in model.model_fields:
            raise MappingError(SYSTEM, kind, name, f"not a field of a canonical {kind}")
    return chosen


class BodyWriter:
    """Builds a request body; on a partial update only the chosen canonical fields go in.

    A None value is left out, unless its canonical field was named explicitly in ``fields`` (then
    it is sent as null, which clears it in Activix: ``PUT`` leaves out what is not sent).
    """

    __slots__ = ("body", "fields")

    def __init__(self, fields: frozenset[str] | None) -> None:
        self.body: dict[str, Any] = {}
        self.fields = fields

    def wants(self, name: str) -> bool:
        """True when canonical field ``name`` belongs in this body."""
        return self.fields is None or name in self.fields

    def put(self, name: str, key: str, value: Any) -> None:
        """Write ``key`` for canonical field ``name`` (see the class docstring for None)."""
        if not self.wants(name):
            return
        if value is not None:
            self.body[key] = value
        elif self.fields is not None:
            self.body[key] = None
