"""The EstatePrime sandbox's three record kinds: how a body becomes a record, filters and pages.

Records are stored as the JSON objects the API returns (keys in the documents' order), so a
page is served without converting anything. Ids come from ``DocumentStore.next_int_id`` at
insert time, so the store's insertion order *is* id order and pages need no sorting.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from crmbridge.sandbox import DocumentStore
from crmbridge.sandbox.estateprime._lookups import API_USER_ID
from crmbridge.sandbox.estateprime._validate import (
    COMMUNICATION_CREATE,
    COMMUNICATION_FILTERS,
    CONTACT_CREATE,
    CONTACT_FILTERS,
    EVENT_FIELDS,
    EVENT_FILTERS,
    Invalid,
    ObjectSpec,
    check_object,
)

__all__ = [
    "CALENDAR",
    "COMMUNICATION",
    "CONTACTS",
    "KINDS",
    "PAGE_SIZE",
    "SERVER_OWNED",
    "Kind",
    "build_record",
    "list_page",
    "patch_record",
]

PAGE_SIZE: Final = 50
SERVER_OWNED: Final = frozenset({"id", "date_created", "date_updated"})
"""Keys a create or update body cannot set: the sandbox ignores them."""

_NOW = object()
"""Template marker: the creation time."""

Document = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One record kind: its collection (= URL segment), create check, template and filters.

    ``template`` lists the documented keys in the documents' order with their default, used when
    a create body leaves the key out or sends null (null lists read as ``[]``, null booleans as
    ``false``). ``optional_lists`` are undocumented list keys kept only when a body sends them.
    """

    collection: str
    noun: str
    create: ObjectSpec
    template: Mapping[str, Any]
    filters: ObjectSpec
    equal_filters: tuple[str, ...] = ()
    range_filters: tuple[str, ...] = ()
    optional_lists: tuple[str, ...] = ()
    ordered_bounds: tuple[str, str] | None = None
    update: ObjectSpec | None = field(default=None)


CONTACTS: Final = Kind(
    collection="contacts",
    noun="contact",
    create=CONTACT_CREATE,
    template={
        "first_name": None,
        "last_name": None,
        "source_id": None,
        "is_lead": False,
        "is_company": False,
        "company_name": None,
        "phones": [],
        "emails": [],
        "notes": None,
        "custom_fields": [],
        "contact_details": [],
        "tags": [],
        "date_created": _NOW,
        "created_by": API_USER_ID,
        "users": [],
        "date_updated": _NOW,
        "date_converted_to_client": None,
    },
    filters=CONTACT_FILTERS,
    range_filters=("date_created",),
)

COMMUNICATION: Final = Kind(
    collection="communication",
    noun="communication",
    create=COMMUNICATION_CREATE,
    template={
        "date_created": _NOW,
        "communication_date": None,
        "user_id": None,
        "store_id": None,
        "type": None,
        "channel": None,
        "contact_id": None,
        "request_id": None,
        "comments": None,
        "tags": [],
        "listings": [],
    },
    filters=COMMUNICATION_FILTERS,
    equal_filters=("type", "channel", "contact_id", "user_id"),
    range_filters=("date_created", "communication_date"),
    optional_lists=("custom_fields",),
)

CALENDAR: Final = Kind(
    collection="calendar",
    noun="event",
    # crmbridge's assumption: an event needs both bounds (the documents list no required key).
    create=ObjectSpec(EVENT_FIELDS.fields, ["date_starting", "date_ending"]),
    update=EVENT_FIELDS,
    template={
        "full_day": False,
        "date_starting": None,
        "date_ending": None,
        "date_created": _NOW,
        "created_by": API_USER_ID,
        "status_id": None,
        "category_id": None,
        "contacts": [],
        "users": [],
        "title": None,
        "description": None,
        "is_public": False,
        "is_online": False,
        "tags": [],
        "remote_meeting": None,
    },
    filters=EVENT_FILTERS,
    range_filters=("date_starting",),
    optional_lists=("custom_fields",),
    ordered_bounds=("date_starting", "date_ending"),
)

KINDS: Final = (CONTACTS, COMMUNICATION, CALENDAR)


def _fresh(default: Any) -> Any:
    # Every record gets its own empty list: stored documents must never share one.
    return [] if isinstance(default, list) else default


def _check_bounds(kind: Kind, record: Document) -> None:
    if kind.ordered_bounds is None:
        return
    start, end = kind.ordered_bounds
    # Both bounds are normalised to YYYY-MM-DD HH:MM:SS, so string order is time order.
    if record[start] is not None and record[end] is not None and record[end] < record[start]:
        raise Invalid(f"{end}: must not be before {start}")


def build_record(kind: Kind, body: Any, ident: int, now: str) -> Document:
    """The record a create ``body`` makes (raises :class:`Invalid`); unknown keys are kept."""
    checked = check_object(body, kind.create)
    record: Document = {"id": ident}
    for key, default in kind.template.items():
        if default is _NOW:
            record[key] = now
            continue
        value = checked.get(key)
        record[key] = _fresh(default) if value is None else value
    for key, value in checked.items():
        if key not in record and key not in SERVER_OWNED:
            record[key] = [] if value is None and key in kind.optional_lists else value
    _check_bounds(kind, record)
    return record


def patch_record(kind: Kind, record: Document, body: Any) -> Document:
    """``record`` with the keys of ``body`` changed (null lists clear); ``record`` is untouched."""
    assert kind.update is not None
    checked = check_object(body, kind.update)
    updated = dict(record)
    for key, value in checked.items():
        if key in SERVER_OWNED:
            continue
        if value is None and key in kind.template:
            updated[key] = _fresh(kind.template[key])
        elif value is None and key in kind.optional_lists:
            updated[key] = []
        else:
            updated[key] = value
    _check_bounds(kind, updated)
    return updated


def _matcher(kind: Kind, filters: Mapping[str, Any]) -> Callable[[Document], bool] | None:
    """A test for the records that pass ``filters``; None when nothing is filtered."""
    equal = [(key, filters[key]) for key in kind.equal_filters if key in filters]
    ranges = [
        (key, filters[key]["min"], filters[key]["max"])
        for key in kind.range_filters
        if key in filters and (filters[key]["min"] is not None or filters[key]["max"] is not None)
    ]
    if not equal and not ranges:
        return None

    def matches(record: Document) -> bool:
        if any(record.get(key) != value for key, value in equal):
            return False
        for key, low, high in ranges:
            value = record.get(key)
            # Stored times are YYYY-MM-DD HH:MM:SS strings, so comparing strings compares times.
            if not isinstance(value, str) or (low is not None and value < low) or (high is not None and value > high):
                return False
        return True

    return matches


def _window(records: Iterator[Document], matches: Callable[[Document], bool], start: int) -> tuple[int, list[Document]]:
    total = 0
    data: list[Document] = []
    for record in records:
        if matches(record):
            if start <= total < start + PAGE_SIZE:
                data.append(record)
            total += 1
    return total, data


def list_page(store: DocumentStore, kind: Kind, body: Any) -> Document:
    """The list envelope for a list request's JSON ``body`` (raises :class:`Invalid`)."""
    filters = check_object({} if body is None else body, kind.filters)
    page = filters.get("page", 1)
    start = (page - 1) * PAGE_SIZE
    matches = _matcher(kind, filters)
    if matches is None:
        # Unfiltered: the count is known, so only the page itself is walked.
        total = store.count(kind.collection)
        data = list(itertools.islice(store.scan(kind.collection), start, start + PAGE_SIZE))
    else:
        total, data = _window(store.scan(kind.collection), matches, start)
    return {
        "status": 200,
        "page": page,
        "total_pages": -(-total // PAGE_SIZE),
        "results_per_page": PAGE_SIZE,
        "total_results": total,
        "data": data,
    }
