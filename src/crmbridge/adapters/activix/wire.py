"""Activix wire objects (API v2) as attrs classes, and the one converter that reads them.

Only the fields the mapping uses are modelled; every other key of a payload is collected by
:func:`crmbridge.adapters._support.unknown_fields` and lands in the record's ``extras``.

Open enums are plain ``str`` here on purpose: Activix says "new values might be added in the
future", so an unknown value must pass through unchanged. The documented values are listed in
:data:`METHODS`, :data:`DIRECTIONS` and :data:`CALL_STATUSES` (the meanings of the call statuses
are those of :data:`crmbridge.canonical.CallStatus`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from crmbridge.adapters._fastwire import WireSchemas, parsed_by
from crmbridge.adapters._support import make_strict_converter

__all__ = [
    "CALL_STATUSES",
    "DIRECTIONS",
    "METHODS",
    "Communication",
    "Lead",
    "LeadEmail",
    "LeadPhone",
    "ListEnvelope",
    "ListLinks",
    "ListMeta",
    "PageEnvelope",
    "SingleEnvelope",
    "User",
    "WIRE_SCHEMAS",
    "format_datetime",
    "make_converter",
    "parse_date",
    "parse_datetime",
]

METHODS: tuple[str, ...] = ("phone", "email", "sms", "video")
"""Documented ``Communication.method`` values (open enum: others are kept as sent)."""

DIRECTIONS: tuple[str, ...] = ("incoming", "outgoing")
"""Documented ``Communication.type`` values: the direction of the communication."""

CALL_STATUSES: tuple[str, ...] = (
    "answered",
    "attempted",
    "calling",
    "error",
    "interrupted",
    "pending",
    "unanswered",
)
"""Documented ``call_status`` values (open enum: others are kept as sent).

- ``answered``: the customer answered the call; the call is completed.
- ``attempted``: the user attempted to reach the customer, who didn't answer.
- ``calling``: the user is currently talking with the customer.
- ``error``: an error occurred while calling the customer (normally a server problem).
- ``interrupted``: incoming calls only: the customer hung up before a user picked up.
- ``pending``: click-to-call only: the default status when the call is first initiated.
- ``unanswered``: click-to-call only: the call was not answered by any user.

Same meanings as :data:`crmbridge.canonical.CallStatus`.
"""


def _hide_text(value: str | None) -> str:
    # Email bodies are private correspondence: a repr (and so a log line) shows the length only.
    return "None" if value is None else f"<{len(value)} chars>"


# -- datetimes --------------------------------------------------------------------------------


def parse_datetime(value: Any, _: type = datetime) -> datetime:
    """An aware UTC datetime from an ISO 8601 string (``Z`` or any offset; naive means UTC).

    Activix documents every timestamp as UTC, so a string without an offset is read as UTC
    rather than rejected. The message of a failure never quotes the value.
    """
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 datetime string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("expected an ISO 8601 datetime") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 has no UTC form
        raise ValueError("datetime out of range in UTC") from None


def parse_date(value: Any, _: type = date) -> date:
    """A date from a ``YYYY-MM-DD`` string (lead ``birth_date``)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a YYYY-MM-DD date string, got {type(value).__name__}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("expected a YYYY-MM-DD date") from None


def format_datetime(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, with fractional seconds only when there are some."""
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return utc.replace(tzinfo=None).isoformat() + "Z"


def _int_or_numeric_string(value: Any, _: type) -> int:
    # meta.per_page is an int in one vendor example and a string ("25") in another.
    if isinstance(value, bool):
        raise TypeError("expected an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    raise TypeError(f"expected an integer or a numeric string, got {type(value).__name__}")


# -- communications ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Communication:
    """A ``Communication`` object as Activix returns it (and as a create/update body holds it).

    ``created_at`` is read-only. ``email_subject``, ``email_body``, ``email_user`` and ``url`` are
    write-only ("can't be retrieved for privacy reasons"): the mapping ignores them on read.
    ``call_*`` belong to ``method == "phone"``, ``email_*`` to ``"email"``, ``url`` to ``"video"``.
    """

    id: int | None = None
    lead_id: int | None = None
    user_id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    executed_at: datetime | None = None
    method: str | None = None
    type: str | None = None
    description: str | None = None
    call_duration: int | None = None
    call_phone: str | None = None
    call_status: str | None = None
    email_subject: str | None = None
    email_body: str | None = attrs.field(default=None, repr=_hide_text)
    email_user: str | None = None
    url: str | None = None


# -- leads ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class User:
    """A User object (a lead's ``advisor``, ``bdc``, ... when included)."""

    id: int | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


@attrs.frozen(kw_only=True)
class LeadEmail:
    """An Email of a lead: at most one per ``type`` (open enum ``home`` | ``work``)."""

    address: str
    type: str | None = None


@attrs.frozen(kw_only=True)
class LeadPhone:
    """A Phone of a lead: E.164 ``number``, integer ``extension``, one per ``type`` (home|work|mobile)."""

    number: str
    extension: int | None = None
    type: str | None = None


@attrs.frozen(kw_only=True)
class Lead:
    """The fields of a Lead the mapping gives a canonical home; the rest go to ``extras``.

    ``communications`` (when included) is read separately, see
    :meth:`crmbridge.adapters.activix.mapping.ActivixAdapter.embedded_activities`.
    """

    id: int | None = None
    source_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    civility: str | None = None
    business: bool | None = None
    business_name: str | None = None
    birth_date: date | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    province: str | None = None
    postal_code: str | None = None
    country: str | None = None
    comment: str | None = None
    source: str | None = None
    advisor: User | None = None
    emails: list[LeadEmail] | None = None
    phones: list[LeadPhone] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# -- envelopes --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class SingleEnvelope:
    """``{"data": {...}}``: the answer to a create, get or update."""

    data: dict[str, Any]


@attrs.frozen(kw_only=True)
class ListLinks:
    """``links`` of a list answer: absolute page URLs; ``prev``/``next`` are null at the ends."""

    first: str | None = None
    last: str | None = None
    prev: str | None = None
    next: str | None = None


@attrs.frozen(kw_only=True)
class ListMeta:
    """``meta`` of a list answer (``per_page`` may come as an int or a numeric string)."""

    current_page: int
    last_page: int
    per_page: int
    total: int
    path: str | None = None
    from_: int | None = None  # "from" in JSON (a Python keyword)
    to: int | None = None


@attrs.frozen(kw_only=True)
class PageEnvelope:
    """``{"data": [...], "links": {...}, "meta": {...}}`` with ``data``'s items unchecked.

    What the clients page with: each item is read on its own, so an item that does not fit
    fails alone (at ``data[i]``), or is handed on as it is by a raw listing, instead of
    refusing the whole page. ``links`` and ``meta`` may be missing (one of the docs' list
    examples has only ``data``): what is there decides whether a page follows.
    """

    data: list[Any]
    links: ListLinks | None = None
    meta: ListMeta | None = None

    @property
    def has_next(self) -> bool:
        """True while a page follows: ``links.next`` set and ``meta`` not at its last page (each when sent)."""
        if self.links is None and self.meta is None:
            return False
        more_links = self.links is None or self.links.next is not None
        more_meta = self.meta is None or self.meta.current_page < self.meta.last_page
        return more_links and more_meta

    def next_page(self, current: int) -> int | None:
        """The number of the following page (``current`` is the one asked for), None on the last."""
        if not self.has_next:
            return None
        return (self.meta.current_page if self.meta is not None else current) + 1


@attrs.frozen(kw_only=True)
class ListEnvelope(PageEnvelope):
    """``{"data": [...], "links": {...}, "meta": {...}}``: one page of a list or search, items objects."""

    data: list[dict[str, Any]]


WIRE_SCHEMAS: WireSchemas = {datetime: parsed_by(parse_datetime), date: parsed_by(parse_date)}
"""The Activix types of the wire classes, as the wire readers read them (the converter's parse functions)."""


# -- the converter ----------------------------------------------------------------------------


def make_converter() -> cattrs.Converter:
    """The Activix converter: :func:`make_strict_converter` plus these hooks (all registered here):

    - ``datetime``: :func:`parse_datetime` (ISO 8601, ``Z`` or any offset, naive read as UTC,
      result in UTC);
    - ``date``: :func:`parse_date` (``YYYY-MM-DD``);
    - :class:`ListMeta`: ``per_page`` accepts an int or a numeric string; ``from`` is read into
      ``from_``;
    - lists and attrs classes accept only JSON arrays and objects (from the strict base).

    Build it once (the adapter does) and reuse it: building converters is not cheap.
    """
    converter = make_strict_converter()
    converter.register_structure_hook(datetime, parse_datetime)
    converter.register_structure_hook(date, parse_date)
    converter.register_structure_hook(
        ListMeta,
        make_dict_structure_fn(
            ListMeta,
            converter,
            per_page=override(struct_hook=_int_or_numeric_string),
            from_=override(rename="from"),
        ),
    )
    return converter
