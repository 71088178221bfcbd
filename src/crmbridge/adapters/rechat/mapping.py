"""The Rechat adapter: crm_task ↔ Task and contact ↔ Contact (see ``docs/adapters/rechat.md``)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from crmbridge.adapters._base import Adapter, BatchResult, Resolver
from crmbridge.adapters._support import structure
from crmbridge.adapters.rechat import _field_defs
from crmbridge.adapters.rechat._common import SYSTEM, ref, ref_uuid
from crmbridge.adapters.rechat._contact import contact_body, contact_unsupported, read_contact
from crmbridge.adapters.rechat._task import LINK_FIELDS, read_task, task_body, task_unsupported
from crmbridge.adapters.rechat.wire import Envelope, WireAssociation, make_converter, uuid_argument
from crmbridge.canonical import Contact, CustomFieldDef, Record, Ref, Task
from crmbridge.errors import MappingError

__all__ = ["RechatAdapter"]


class RechatAdapter(Adapter):
    """Translates Rechat tasks and contacts; ``from_canonical`` is the create body.

    The update body of a task (``PUT /crm/tasks/:id``) and of a contact (``PATCH
    /contacts/:id``) comes from :meth:`to_update`.
    """

    system: ClassVar[str] = SYSTEM
    kinds: ClassVar[frozenset[str]] = frozenset({"task", "contact"})

    def custom_field_defs(self, lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
        """The custom field definitions in ``lookups`` (see :mod:`crmbridge.adapters.rechat._field_defs`)."""
        return _field_defs.custom_field_defs(lookups)

    def __init__(self, *, default_owner: str | None = None) -> None:
        # Built once: cattrs compiles its structuring functions on first use and caches them.
        self._converter = make_converter()
        self.default_owner = uuid_argument(default_owner) if default_owner is not None else None

    # -- the contract ------------------------------------------------------------------------

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """The canonical Task or Contact of one Rechat object (the ``data`` of an envelope)."""
        self.check_kind(kind)
        if kind == "task":
            return read_task(self._converter, payload)
        return read_contact(self._converter, payload)

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        """The create body: ``POST /crm/tasks`` for a Task, a ContactInput for a Contact."""
        self.check_kind(record.KIND)
        if isinstance(record, Task):
            return task_body(self, record, resolve=resolve, update=False)
        return contact_body(self, self._contact(record), resolve=resolve, update=False)

    def to_update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
    ) -> dict[str, Any]:
        """The update body: the full task with ``id`` and every reminder, or a contact PATCH.

        ``fields`` names canonical fields to send; a task update always carries ``id``, ``title``,
        ``due_date``, ``task_type`` and every reminder (Rechat deletes the reminders it is not sent).
        """
        self.check_kind(record.KIND)
        if isinstance(record, Task):
            return task_body(self, record, resolve=resolve, update=True, fields=fields)
        return contact_body(self, self._contact(record), resolve=resolve, update=True, fields=fields)

    def unsupported(self, record: Record) -> list[str]:
        """Canonical field paths of ``record`` whose values a Rechat write would not carry."""
        self.check_kind(record.KIND)
        if isinstance(record, Task):
            return task_unsupported(self, record)
        return contact_unsupported(self, self._contact(record))

    # -- Rechat specifics --------------------------------------------------------------------

    def embedded_contacts(self, payload: Mapping[str, Any]) -> list[Contact]:
        """The Contacts expanded inside a task's associations (the Task itself keeps only Refs)."""
        associations = payload.get("associations") if isinstance(payload, Mapping) else None
        if not isinstance(associations, list):
            return []
        found: list[Contact] = []
        for index, association in enumerate(associations):
            embedded = association.get("contact") if isinstance(association, Mapping) else None
            if isinstance(embedded, Mapping):
                found.append(self._embedded_contact(embedded, f"associations[{index}].contact"))
        return found

    def association_ref(self, payload: Mapping[str, Any]) -> Ref:
        """The Ref an association object points at (its contact, listing or deal)."""
        wire = structure(self._converter, payload, WireAssociation, system=SYSTEM, kind="task")
        kind = wire.association_type
        target = getattr(wire, kind) if kind in LINK_FIELDS else None
        if target is None:
            raise MappingError(SYSTEM, "task", kind if kind in LINK_FIELDS else "association_type", "no linked id")
        return ref(kind, target.id)

    def association_body(self, link: Ref, *, index: int | None = None, metadata: Any = None) -> dict[str, Any]:
        """The body of ``POST /crm/tasks/:id/associations`` linking ``link`` (a Rechat Ref)."""
        if link.kind not in LINK_FIELDS:
            raise MappingError(SYSTEM, "task", "link", "Rechat links only contacts, listings and deals")
        ident = ref_uuid(link, expected_kind=link.kind, record_kind="task", path="link")
        body: dict[str, Any] = {"association_type": link.kind, link.kind: ident}
        if index is not None:
            body["index"] = index
        if metadata is not None:
            body["metadata"] = metadata
        return body

    def read_envelope(self, kind: str, envelope: Mapping[str, Any]) -> BatchResult:
        """The records of a ``{"code", "data", "info"}`` response (one object or a page)."""
        self.check_kind(kind)
        wire = structure(self._converter, envelope, Envelope, system=SYSTEM, kind=kind)
        items = wire.data if isinstance(wire.data, list) else [wire.data]
        return self.to_canonical_batch(kind, items)

    # -- helpers -------------------------------------------------------------------------------

    def _embedded_contact(self, embedded: Mapping[str, Any], path: str) -> Contact:
        try:
            return read_contact(self._converter, embedded)
        except MappingError as error:
            full = f"{path}.{error.path}" if error.path else path
            raise MappingError(SYSTEM, "contact", full, error.message) from None

    @staticmethod
    def _contact(record: Record) -> Contact:
        if not isinstance(record, Contact):  # pragma: no cover - check_kind let only tasks and contacts in
            raise MappingError(SYSTEM, record.KIND, "", "expected a Contact")
        return record
