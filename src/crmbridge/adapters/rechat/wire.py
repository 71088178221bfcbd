"""Rechat's JSON, as attrs classes: tasks, reminders, associations, contacts, attributes, envelopes.

Only what the mapping reads is modelled. Big embedded objects (an assignee's user object, an
expanded listing or contact inside an association) are not structured field by field: they are
kept as the raw JSON object in :class:`Linked` and read only when asked for (see
``RechatAdapter.embedded_contacts``). That keeps a page of expanded tasks cheap to translate.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from typing import Any, NewType

import attrs
import cattrs

from crmbridge.adapters._support import make_strict_converter
from crmbridge.adapters.rechat._time import date_from_iso, datetime_to_epoch, epoch_to_datetime

__all__ = [
    "Envelope",
    "EnvelopeInfo",
    "Linked",
    "Texts",
    "Uuid",
    "WireAddress",
    "WireAssociation",
    "WireAttribute",
    "WireContact",
    "WireReminder",
    "WireTask",
    "canonical_uuid",
    "make_converter",
    "uuid_argument",
]

Uuid = NewType("Uuid", str)
"""A UUID in its lowercase canonical string form (read from the standard 8-4-4-4-12 spelling, any case)."""

Texts = NewType("Texts", list[str])
"""A list of strings that Rechat sometimes sends as one bare string (``website``)."""


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STANDARD_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_UUID = re.compile(r"[0-9a-fA-F]{32}")


def canonical_uuid(value: Any) -> str:
    """``value`` as a lowercase canonical UUID string; ValueError (without the value) if it is not one.

    Only the standard spelling is read: 8-4-4-4-12 hexadecimal digits with hyphens, in either case
    (the vendor examples use both cases, never another form). ``uuid.UUID`` would also read
    ``" <uuid>"``, ``"<uuid>\n"``, ``"+..."``, ``"0x..."``, braces, full-width digits or 31 hex
    digits, some of them as a *different* UUID than the one meant: they are refused. This is the
    one UUID check of the Rechat adapter: ids read, ids written from Refs, and (through
    :func:`uuid_argument`) the ids the client puts in paths.
    """
    if not isinstance(value, str):
        raise TypeError("expected a UUID string")
    if _CANONICAL_UUID.fullmatch(value):
        return value  # already canonical: the common case
    if _STANDARD_UUID.fullmatch(value):
        return value.lower()
    raise ValueError("expected a UUID (8-4-4-4-12 hexadecimal digits)")


def uuid_argument(value: Any) -> str:
    """The canonical UUID of an id a caller passes: :func:`canonical_uuid`, plus the spellings
    ``uuid.UUID`` documents for arguments (32 hex digits, ``{...}``, ``urn:uuid:...``) and ``uuid.UUID``.

    TypeError or ValueError (without the value) for anything else.
    """
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError("expected a UUID string")
    text = value.removeprefix("urn:uuid:")
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if _HEX_UUID.fullmatch(text):
        text = f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return canonical_uuid(text)


@attrs.frozen
class Linked:
    """A linked record as Rechat sends it: a bare UUID, or the expanded object (kept raw)."""

    id: str
    expanded: Mapping[str, Any] | None = None


@attrs.frozen(kw_only=True)
class WireReminder:
    """A ``reminder``: a fixed ``timestamp``, and whether it follows the task's due date."""

    timestamp: dt.datetime
    is_relative: bool
    id: Uuid | None = None
    # Kept raw in the reminder's extras (exact as sent): only their type is checked.
    created_at: float | None = None
    updated_at: float | None = None
    deleted_at: float | None = None
    task: Uuid | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class WireAssociation:
    """A ``crm_association``: one of ``contact``/``listing``/``deal``, by ``association_type``."""

    association_type: str
    id: Uuid | None = None
    contact: Linked | None = None
    listing: Linked | None = None
    deal: Linked | None = None
    # The vendor table says UUID; every example sends an integer (or null).
    index: int | None = None
    metadata: Any = None
    # Kept raw in extras["associations"] (exact as sent): only their type is checked.
    created_at: float | None = None
    updated_at: float | None = None
    deleted_at: float | None = None
    created_by: Linked | None = None
    brand: Uuid | None = None
    crm_task: Uuid | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class WireTask:
    """A ``crm_task`` as read, created (no id) or updated."""

    title: str
    due_date: dt.datetime
    task_type: str
    id: Uuid | None = None
    description: str | None = None
    end_date: dt.datetime | None = None
    status: str | None = None
    all_day: bool | None = None
    metadata: Any = None
    kind: str | None = None
    brand: Uuid | None = None
    assignees: list[Linked] | None = None
    associations: list[WireAssociation] | None = None
    reminders: list[WireReminder] | None = None
    contacts: list[Uuid] | None = None
    deals: list[Uuid] | None = None
    listings: list[Uuid] | None = None
    created_by: Linked | None = None
    updated_by: Linked | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class WireAddress:
    """One parsed postal address of the flattened contact (PostGIS ``stdaddr`` parts)."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postcode: str | None = None
    country: str | None = None
    full: str | None = None


@attrs.frozen(kw_only=True)
class WireAttribute:
    """A ``contact_attribute`` (EAV): the value sits in ``text``, ``number`` or ``date``."""

    attribute_type: str | None = None
    attribute_def: Linked | None = None
    id: Uuid | None = None
    text: str | None = None
    number: float | None = None
    date: dt.datetime | None = None
    label: str | None = None
    is_primary: bool | None = None
    is_partner: bool | None = None
    index: int | None = None


@attrs.frozen(kw_only=True)
class WireContact:
    """A ``contact``: the flattened read model, with ``attributes`` when they were expanded."""

    id: Uuid | None = None
    display_name: str | None = None
    title: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    nickname: str | None = None
    partner_first_name: str | None = None
    partner_last_name: str | None = None
    partner_email: str | None = None
    company: str | None = None
    job_title: str | None = None
    email: str | None = None
    primary_email: str | None = None
    emails: list[str] | None = None
    phone_number: str | None = None
    primary_phone_number: str | None = None
    phone_numbers: list[str] | None = None
    birthday: dt.date | None = None
    website: Texts | None = None
    tags: list[str] | None = None
    source: str | None = None
    address: list[WireAddress] | None = None
    user: Linked | None = None
    user_id: Uuid | None = None
    created_by: Linked | None = None
    updated_by: Linked | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None
    attributes: list[WireAttribute] | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class EnvelopeInfo:
    """``info`` of a collection response: items in this page, and all matches (may be 0)."""

    count: int
    total: int


@attrs.frozen(kw_only=True)
class Envelope:
    """``{"code": "OK", "data": ..., "info": {...}}``; ``data`` stays raw JSON (one or many)."""

    code: str
    data: Any
    info: EnvelopeInfo | None = None


def _structure_uuid(value: Any, _: Any) -> str:
    return canonical_uuid(value)


def _structure_linked(value: Any, _: Any) -> Linked:
    if isinstance(value, str):
        return Linked(canonical_uuid(value))
    if isinstance(value, Mapping):
        if "id" not in value:
            raise ValueError("an expanded object needs an id")
        return Linked(canonical_uuid(value["id"]), value)
    raise TypeError("expected a UUID string or an object with an id")


def _structure_texts(value: Any, _: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise TypeError("expected a string or a list of strings")
    return items


def _structure_datetime(value: Any, _: Any) -> dt.datetime:
    return epoch_to_datetime(value)


def _structure_date(value: Any, _: Any) -> dt.date:
    return date_from_iso(value)


def _structure_any(value: Any, _: Any) -> Any:
    return value


def make_converter() -> cattrs.Converter:
    """The one converter of the Rechat wire, built on the strict primitives. Hooks:

    - ``Uuid``: a UUID string, normalised to lowercase canonical form; anything else fails;
    - ``Linked``: a UUID string, or an object with an ``id`` (kept raw as ``expanded``);
    - ``Texts``: a string or a list of strings, read as a list;
    - ``datetime``: epoch seconds (int or finite float, not bool) → aware UTC datetime, exact to
      the microsecond; unstructured back to float epoch seconds;
    - ``date``: an ISO string with or without a time part → its calendar date (UTC);
      unstructured to ``YYYY-MM-DD``;
    - ``Any``: passed through untouched (``metadata`` and other free JSON);
    - lists and attrs classes accept only JSON arrays and objects (from the strict base).
    """
    converter = make_strict_converter()
    converter.register_structure_hook(Uuid, _structure_uuid)
    converter.register_structure_hook(Linked, _structure_linked)
    converter.register_structure_hook(Texts, _structure_texts)
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_structure_hook(dt.date, _structure_date)
    converter.register_structure_hook(Any, _structure_any)
    converter.register_unstructure_hook(dt.datetime, datetime_to_epoch)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    return converter
