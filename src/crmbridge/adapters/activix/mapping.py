"""The Activix adapter: Communication <-> Activity and Lead <-> Contact.

Activix has no endpoint that reads communications: they come embedded in leads fetched with
``include[]=communications``. :meth:`ActivixAdapter.embedded_activities` reads them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

from crmbridge.adapters._base import Adapter, Resolver
from crmbridge.adapters._support import structure
from crmbridge.adapters.activix import _field_defs
from crmbridge.adapters.activix._activity import ActivityMapper
from crmbridge.adapters.activix._common import SYSTEM, check_update_fields
from crmbridge.adapters.activix._contact import ContactMapper
from crmbridge.adapters.activix._phones import PhoneNormaliser
from crmbridge.adapters.activix.wire import ListEnvelope, SingleEnvelope, make_converter
from crmbridge.canonical import Activity, Contact, CustomFieldDef, Record
from crmbridge.errors import MappingError

__all__ = ["ActivixAdapter"]

logger = logging.getLogger(__name__)


class ActivixAdapter(Adapter):
    """Translates Activix API v2 communications and leads.

    Options:

    - ``default_region`` (e.g. ``"CA"``): the region a phone number written without ``+`` is
      read in when it has to become E.164; with None only ``+`` numbers can be written;
    - ``default_lead_type`` (e.g. ``"web_order"``): the lead ``type`` of a lead created from a
      contact that has none (one read from another CRM); Activix requires a type on create.
    """

    system: ClassVar[str] = SYSTEM
    kinds: ClassVar[frozenset[str]] = frozenset({"activity", "contact"})
    ref_kinds: ClassVar[Mapping[str, str]] = {"contact": "lead", "activity": "communication"}

    def custom_field_defs(self, lookups: Mapping[str, Any]) -> dict[str, list[CustomFieldDef]]:
        """The custom field definitions in ``lookups`` (see :mod:`crmbridge.adapters.activix._field_defs`)."""
        return _field_defs.custom_field_defs(lookups)

    def __init__(self, *, default_region: str | None = None, default_lead_type: str | None = None) -> None:
        # Built once: converters and phone settings are reused by every record.
        self._converter = make_converter()
        self._phones = PhoneNormaliser(default_region)
        self._activities = ActivityMapper(self, self._converter, self._phones)
        self._contacts = ContactMapper(self, self._converter, self._phones, default_lead_type)

    @property
    def default_region(self) -> str | None:
        """The region numbers without ``+`` are read in (upper case), or None."""
        return self._phones.default_region

    # -- the contract ------------------------------------------------------------------------

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        """Read a Communication (``"activity"``) or a Lead (``"contact"``) as Activix returns it."""
        self.check_kind(kind)
        record: Record = self._activities.read(payload) if kind == "activity" else self._contacts.read(payload)
        logger.debug("activix: read %s %s", kind, record.ref)
        return record

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        """The ``POST /communications`` or ``POST /leads`` body of ``record``."""
        return self._write(record, resolve=resolve, fields=None, update=False)

    def to_update(
        self,
        record: Record,
        *,
        fields: Collection[str] | None = None,
        resolve: Resolver | None = None,
    ) -> dict[str, Any]:
        """The ``PUT`` body of ``record``: only ``fields`` (canonical names) when given.

        A field named in ``fields`` whose value is None is sent as null (clears it). A
        communication always carries ``lead_id``, ``method`` and ``type``. A lead update sends
        only emails and phones without an Activix id: Activix appends those arrays on update.
        """
        return self._write(record, resolve=resolve, fields=fields, update=True)

    def unsupported(self, record: Record) -> list[str]:
        """Canonical paths of ``record`` holding a value Activix cannot store."""
        self.check_kind(record.KIND)
        if isinstance(record, Activity):
            return self._activities.unsupported(record)
        assert isinstance(record, Contact)
        return self._contacts.unsupported(record)

    # -- Activix specifics ---------------------------------------------------------------------

    def embedded_activities(self, lead: Mapping[str, Any]) -> list[Activity]:
        """The Activities of a lead read with ``include[]=communications`` ([] when not included).

        Error paths start at the lead: ``communications[2].call_duration``.
        """
        if not isinstance(lead, Mapping):
            raise MappingError(SYSTEM, "activity", "", f"expected a JSON object, got {type(lead).__name__}")
        embedded = lead.get("communications")
        if embedded is None:
            return []
        if not isinstance(embedded, list):
            raise MappingError(SYSTEM, "activity", "communications", "expected a list")
        return [self._activities.read(item, path=f"communications[{i}]") for i, item in enumerate(embedded)]

    def unwrap_single(self, kind: str, body: Any) -> dict[str, Any]:
        """The object of a ``{"data": {...}}`` answer (create, get, update)."""
        self.check_kind(kind)
        return structure(self._converter, body, SingleEnvelope, system=SYSTEM, kind=kind).data

    def unwrap_page(self, kind: str, body: Any) -> ListEnvelope:
        """One page of a list answer: ``data`` (raw objects), ``links`` and ``meta``."""
        self.check_kind(kind)
        return structure(self._converter, body, ListEnvelope, system=SYSTEM, kind=kind)

    # -- internals ----------------------------------------------------------------------------

    def _write(
        self, record: Record, *, resolve: Resolver | None, fields: Collection[str] | None, update: bool
    ) -> dict[str, Any]:
        self.check_kind(record.KIND)
        chosen = check_update_fields(type(record), record.KIND, fields)
        if isinstance(record, Activity):
            body = self._activities.write(record, resolve=resolve, fields=chosen)
        else:
            assert isinstance(record, Contact)
            body = self._contacts.write(record, resolve=resolve, fields=chosen, update=update)
        logger.debug("activix: wrote %s %s (%d keys)", record.KIND, record.ref, len(body))
        return body
