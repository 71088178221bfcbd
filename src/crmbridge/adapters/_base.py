"""The adapter contract every CRM folder implements."""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from crmbridge.canonical import CustomFieldDef, Record, Ref
from crmbridge.errors import MappingError, UnresolvedReference, UnsupportedKind

__all__ = ["Adapter", "BatchFailure", "BatchResult", "Resolver"]

Resolver = Callable[[Ref, str], Ref | None]
"""``resolve(ref, system)``: the Ref in ``system`` that stands for ``ref``, or None if there is none."""


@dataclass(frozen=True)
class BatchFailure:
    """One payload of a batch that could not be translated, with the error saying why."""

    index: int
    error: MappingError


@dataclass
class BatchResult:
    """The records a batch translated, and the payloads it could not (the batch went on)."""

    records: list[Record] = field(default_factory=list)
    failures: list[BatchFailure] = field(default_factory=list)


class Adapter(abc.ABC):
    """Translates one CRM's payloads to canonical records and back.

    - :meth:`to_canonical` reads the object exactly as the CRM returns it (inside the envelope).
    - :meth:`from_canonical` builds the JSON body that creates the record in the CRM.
    - :meth:`to_update` builds the body that updates an existing record.
    - :meth:`unsupported` lists the canonical fields of a record the CRM cannot store.

    Refs of another system go through ``resolve(ref, system)``; without a resolver, or when it
    returns None, writing raises :class:`~crmbridge.errors.UnresolvedReference`.
    """

    system: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    ref_kinds: ClassVar[Mapping[str, str]] = {}
    """The Ref kind of each canonical kind whose records this CRM names otherwise (Activix: contact -> lead)."""

    # -- the contract ------------------------------------------------------------------------

    @abc.abstractmethod
    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """The canonical record for ``payload``, or :class:`MappingError` naming the bad field."""

    @abc.abstractmethod
    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        """The JSON body that creates ``record`` in this CRM (no read-only fields)."""

    def to_update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
    ) -> dict[str, Any]:
        """The JSON body that updates ``record`` (identified by its ``ref``) in this CRM.

        ``fields`` limits the body to those canonical fields ("leave the others unchanged");
        None means every writable field. Adapters whose update differs from create override this.
        """
        del fields
        return self.from_canonical(record, resolve=resolve)

    @abc.abstractmethod
    def unsupported(self, record: Record) -> list[str]:
        """Canonical field paths of ``record`` holding a value this CRM cannot store."""

    def custom_field_defs(self, lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
        """This CRM's custom field definitions by canonical kind, read from ``Connection.lookups()``.

        Field mappings are checked against them. A CRM without custom fields has none (the default).
        """
        del lookups
        return {}

    # -- shared behaviour --------------------------------------------------------------------

    def check_kind(self, kind: str) -> None:
        """Raise :class:`UnsupportedKind` unless this adapter translates ``kind``."""
        if kind not in self.kinds:
            raise UnsupportedKind(self.system, kind, self.kinds)

    def to_canonical_batch(self, kind: str, payloads: Iterable[Mapping[str, Any]]) -> BatchResult:
        """Translate many payloads; a bad one is reported in ``failures`` and the rest go on."""
        self.check_kind(kind)
        result = BatchResult()
        for index, payload in enumerate(payloads):
            try:
                result.records.append(self.to_canonical(kind, payload))
            except MappingError as error:
                result.failures.append(BatchFailure(index, error))
        return result

    def payload_ref(self, kind: str, payload: Any) -> Ref | None:
        """The Ref of a listed ``payload`` of ``kind`` from its ``id`` alone (None without a usable id).

        It names a payload :meth:`to_canonical` could not translate, so that a run can report the
        record (and find it again) instead of a bare position in a listing.
        """
        ident = payload.get("id") if isinstance(payload, Mapping) else None
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident).strip():
            return None
        return Ref(self.system, self.ref_kinds.get(kind, kind), str(ident))

    def owns(self, record: Record) -> bool:
        """True when ``record`` was read from this system (so its ``extras`` are ours to write)."""
        return record.ref is None or record.ref.system == self.system

    def foreign_extras(self, record: Record) -> list[str]:
        """``extras.<key>`` paths of a record read from another system: they cannot be carried.

        Keys starting with ``_`` are an adapter's own bookkeeping (EstatePrime keeps original
        wire spellings under ``_wire``), not source data, so they are not reported as lost.
        """
        if self.owns(record):
            return []
        return [f"extras.{key}" for key in record.extras if not key.startswith("_")]

    def local_ref(
        self,
        ref: Ref,
        *,
        path: str,
        record_kind: str,
        resolve: Resolver | None,
        expected_kind: str | None = None,
    ) -> Ref:
        """``ref`` as a Ref of this system, resolving it when it belongs to another system.

        With ``expected_kind``, a Ref of another kind (a user where a contact belongs) is a
        :class:`MappingError`.
        """
        local = ref
        if ref.system != self.system:
            resolved = resolve(ref, self.system) if resolve is not None else None
            if resolved is None or resolved.system != self.system:
                raise UnresolvedReference(self.system, record_kind, path, ref)
            local = resolved
        if expected_kind is not None and local.kind != expected_kind:
            raise MappingError(
                self.system, record_kind, path, f"expected a {expected_kind} reference, got a {local.kind}"
            )
        return local
