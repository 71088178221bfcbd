"""Small pieces shared by the Rechat task and contact mappings: Refs, UUIDs, canonical errors."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from crmbridge.adapters._support import build_canonical as shared_build_canonical
from crmbridge.canonical import Ref
from crmbridge.errors import MappingError

__all__ = ["SYSTEM", "build_canonical", "ref", "ref_uuid"]

SYSTEM = "rechat"
M = TypeVar("M", bound=BaseModel)


def ref(kind: str, ident: str) -> Ref:
    """A Rechat Ref; ``ident`` is already a canonical UUID (the wire converter normalised it)."""
    return Ref(SYSTEM, kind, ident)


def ref_uuid(value: Ref, *, expected_kind: str, record_kind: str, path: str) -> str:
    """The UUID a (local) Rechat Ref stands for, checking its kind, or :class:`MappingError`."""
    # Imported here: wire imports nothing from this module, and this keeps the import graph flat.
    from crmbridge.adapters.rechat.wire import canonical_uuid

    if value.kind != expected_kind:
        raise MappingError(SYSTEM, record_kind, path, f"expected a {expected_kind} reference, got a {value.kind}")
    try:
        return canonical_uuid(value.id)
    except (TypeError, ValueError):
        raise MappingError(SYSTEM, record_kind, path, "a Rechat id must be a UUID") from None


def build_canonical(record_kind: str, model: type[M], **fields: Any) -> M:
    """``model(**fields)``, turning a pydantic ValidationError into :class:`MappingError` with its path."""
    return shared_build_canonical(model, fields, system=SYSTEM, kind=record_kind)
