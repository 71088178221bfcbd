"""The Rechat HTTP clients: :class:`RechatClient` and its async twin :class:`AsyncRechatClient`.

``client.tasks`` (with ``client.tasks.associations``) and ``client.contacts`` (with
``.attributes``, ``.attribute_defs`` and ``.tags``) have one method per operation of
``adapters/rechat/openapi.yaml``.

File imports: ``client.contacts.import_csv``/``import_xls``/``import_xlsx`` send the file
(bytes or a binary file object, read whole first) as the ``multipart/form-data`` field ``file``,
with optional ``owner`` and ``mappings`` fields; the field names are crmbridge's assumption.
``client.contacts.upload`` stores a file (the file object comes back) and
``client.contacts.import_uploaded`` imports it by id, the JSON form the open-sourced Rechat
server reads. None of them is retried once sent: a resend would import (or store) twice.

How the twins stay thin: every endpoint has a module-level builder (``get_task``,
``list_contacts``, ...) that checks the arguments (ids are UUIDs, refused with
:class:`InvalidIdError` before any request) and returns an :class:`Endpoint` (the
:class:`RequestSpec` plus the shared reader of its answer) or, for lists, a :class:`PagedSpec`.
The sync and async classes only send specs and apply readers.

Answers come back as the attrs classes of :mod:`crmbridge.adapters.rechat.wire` (``WireTask``,
``WireContact``, ``WireAssociation``), structured with the wire converter; an answer that does
not fit raises :class:`MappingError`. Objects ``wire.py`` does not model (attribute definitions,
tags, duplicate clusters, import jobs) are plain JSON dicts.

Paging is offset based (``start``/``limit``): a list stops when ``start + info.count >=
info.total`` or when a page is empty (``info.total`` is 0 when Rechat skips counting, and then
only an empty page ends the list).
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, Final, Generic, Literal, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx

from crmbridge.adapters._support import ItemReader, item_reader, listed_item, raw_item_reader, structure
from crmbridge.adapters.rechat._time import datetime_to_epoch
from crmbridge.adapters.rechat.wire import (
    Envelope,
    Linked,
    WireAssociation,
    WireAttribute,
    WireContact,
    WireTask,
    canonical_uuid,
    make_converter,
    uuid_argument,
)
from crmbridge.errors import InvalidIdError, MappingError
from crmbridge.http import (
    AsyncAPIClient,
    AsyncPager,
    Endpoint,
    Page,
    PagedSpec,
    RequestSpec,
    RetryPolicy,
    SyncAPIClient,
    SyncPager,
)

__all__ = [
    "CONTACT_PAGE_SIZE",
    "DEFAULT_BASE_URL",
    "IMPORT_FILE_FIELD",
    "TASK_PAGE_SIZE",
    "AsyncRechatClient",
    "ContactFilterBody",
    "ContactFilters",
    "FileInput",
    "IdLike",
    "ImportKind",
    "OffsetList",
    "RechatClient",
    "TaskFilters",
    "add_contact_attributes",
    "add_task_association",
    "bulk_add_attributes",
    "bulk_delete_attributes",
    "bulk_delete_contacts",
    "bulk_merge_contacts",
    "bulk_update_contacts",
    "create_attribute_def",
    "create_contacts",
    "create_contacts_ids",
    "create_tag",
    "create_task",
    "delete_attribute_def",
    "delete_contact",
    "delete_contact_attribute",
    "delete_tag",
    "duplicate_clusters",
    "filter_contacts",
    "get_attribute_def",
    "get_contact",
    "get_contact_duplicates",
    "get_import_job",
    "get_task",
    "import_contacts_csv",
    "import_contacts_json",
    "import_contacts_xls",
    "import_contacts_xlsx",
    "import_uploaded_file",
    "list_attribute_defs",
    "list_contacts",
    "list_tags",
    "list_task_associations",
    "list_tasks",
    "merge_into_contact",
    "raw_data",
    "raw_item",
    "remove_task_association",
    "remove_task_associations",
    "rename_tag",
    "search_tasks",
    "set_contact_assignees",
    "set_contact_owner",
    "set_contact_touch",
    "set_tag_touch",
    "undelete_contacts",
    "update_attribute_def",
    "update_contact",
    "update_contact_attribute",
    "update_task",
    "upload_contacts_file",
]

SYSTEM: Final = "rechat"
DEFAULT_BASE_URL: Final = "https://api.rechat.com"
TASK_PAGE_SIZE: Final = 10
"""Rechat's documented default page size of the task lists."""
CONTACT_PAGE_SIZE: Final = 50
"""Rechat's documented default page size of the contact lists."""

T = TypeVar("T")
R = TypeVar("R")
IdLike = str | uuid.UUID
"""An id argument: a UUID string (hyphenated or 32 hex digits, optionally in braces or as a
``urn:uuid:``) or a ``uuid.UUID``."""
FileInput = bytes | IO[bytes]
"""A file argument: its bytes, or a binary file object (read whole before the request)."""
ImportKind = Literal["csv", "xls", "xlsx"]
"""The formats ``POST /contacts/import.{kind}`` takes."""
IMPORT_FILE_FIELD: Final = "file"
"""The multipart field a file travels in (crmbridge's assumption: the vendor documents none)."""
_FILE_TYPES: Final = {
    "csv": "text/csv",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
Json = dict[str, Any]
"""Reads one JSON item (at ``path`` in the answer) into ``T``, or raises :class:`MappingError`."""

# Module-level aliases: inside classes that define a ``list`` method, ``list[...]`` would name it.
TaskList = list[WireTask]
ContactList = list[WireContact]
AssociationList = list[WireAssociation]
JsonList = list[Json]
IdList = list[str]

_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _converter() -> Any:
    converter = make_converter()
    # A linked record goes back as its id: that is what every Rechat input takes.
    converter.register_unstructure_hook(Linked, lambda linked: linked.id)
    return converter


_CONVERTER: Final = _converter()


# -- request specs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OffsetList(Generic[T]):
    """A Rechat list endpoint: ``build(start, limit)`` makes one page's request; ``item`` reads an item."""

    build: Callable[[int, int], RequestSpec]
    item: ItemReader[T]
    kind: str
    start: int
    limit: int

    def at(self, start: int) -> RequestSpec:
        """The request of the page that begins at ``start``."""
        return self.build(start, self.limit)

    def read(self, answer: Any, start: int) -> Page[T]:
        """The page an answer holds; its ``next_cursor`` is the next start (None at the end)."""
        return read_page(answer, self.item, kind=self.kind, start=start, limit=self.limit)

    def raw(self) -> OffsetList[Any]:
        """The same list with items kept as the raw JSON sent (what the connection backend needs).

        Items are normally JSON objects; one that is not is kept as it is, so that translating it
        fails for that item alone and the rest of its page is still read (see
        :func:`~crmbridge.adapters._support.listed_item`).
        """
        return OffsetList(self.build, listed_item, self.kind, self.start, self.limit)

    def spec(self) -> PagedSpec[T]:
        """The list as the HTTP core pages it (the cursor is the offset)."""
        return PagedSpec(build=self.at, read=self.read, first=self.start)


# -- arguments ---------------------------------------------------------------------------------


def _uuid(value: Any, kind: str) -> str:
    """``value`` as a canonical UUID string, or :class:`InvalidIdError` (raised before any request).

    Only the documented spellings pass (:func:`~crmbridge.adapters.rechat.wire.uuid_argument`, the
    adapter's one UUID check): ``uuid.UUID`` alone would also read ``" <31 hex digits>"``,
    ``"+..."``, ``"0x..."`` or full-width digits, as a *different* UUID than the one meant.
    """
    try:
        return uuid_argument(value)
    except (TypeError, ValueError):
        raise InvalidIdError(SYSTEM, kind, "a UUID") from None


def _uuids(values: Sequence[IdLike], kind: str) -> list[str]:
    if isinstance(values, str):  # a lone id would otherwise be read one character at a time
        raise InvalidIdError(SYSTEM, kind, "a list of UUIDs")
    return [_uuid(v, kind) for v in values]


def _tag_segment(tag: str) -> str:
    # Tags are free text in the path: "." and ".." would be resolved as path steps, so refuse them.
    if not isinstance(tag, str) or tag.strip() in ("", ".", ".."):
        raise InvalidIdError(SYSTEM, "tag", "a non-empty tag name (not '.' or '..')")
    return quote(tag, safe="")


def _job_id(value: str) -> str:
    if not isinstance(value, str) or not _JOB_ID.fullmatch(value):
        raise InvalidIdError(SYSTEM, "job", "letters, digits, '-' or '_'")
    return value


def _epoch(value: float | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to Rechat must be timezone-aware")
        return datetime_to_epoch(value)
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return _epoch(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _query(*pairs: tuple[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Query pairs without the ``None`` ones; a list value repeats its name (``ids[]=a&ids[]=b``)."""
    out: list[tuple[str, Any]] = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, list | tuple):
            out.extend((name, _scalar(v)) for v in value)
        else:
            out.append((name, _scalar(value)))
    return tuple(out)


def _expand(associations: Sequence[str]) -> tuple[str, Any]:
    if isinstance(associations, str):
        associations = [associations]
    return ("associations[]", list(associations))


def _page_args(start: int, limit: int) -> None:
    if start < 0 or limit < 1:
        raise ValueError("start must be >= 0 and limit >= 1")


def _clean(value: Any) -> Any:
    """Unstructured wire JSON without its ``None`` fields (Rechat's inputs type them non-null)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _body(value: Any) -> Json:
    """A JSON object body from a wire object (unstructured) or a mapping (copied as is)."""
    if isinstance(value, WireTask | WireAssociation | WireAttribute):
        cleaned: Json = _clean(_CONVERTER.unstructure(value))
        return cleaned
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a wire object or a mapping, got {type(value).__name__}")


def _bodies(values: Sequence[Any]) -> list[Json]:
    return [_body(v) for v in values]


# -- readers -----------------------------------------------------------------------------------


def _envelope(answer: Any, kind: str) -> Envelope:
    return structure(_CONVERTER, answer, Envelope, system=SYSTEM, kind=kind)


def _array(value: Any, kind: str) -> list[Any]:
    if not isinstance(value, list):
        raise MappingError(SYSTEM, kind, "data", f"expected a JSON array, got {type(value).__name__}")
    return value


def _structured(cls: type[T], kind: str) -> ItemReader[T]:
    return item_reader(_CONVERTER, cls, system=SYSTEM, kind=kind)


def raw_item(kind: str) -> ItemReader[Json]:
    """An item reader that keeps JSON objects as they are (only their type is checked)."""
    return raw_item_reader(SYSTEM, kind)


def _uuid_item(raw: Any, path: str) -> str:
    try:
        return canonical_uuid(raw)
    except (TypeError, ValueError):
        raise MappingError(SYSTEM, "contact", path, "expected a UUID") from None


_task_item = _structured(WireTask, "task")
_contact_item = _structured(WireContact, "contact")
_association_item = _structured(WireAssociation, "task")


def read_one(answer: Any, item: ItemReader[T], kind: str) -> T:
    """The ``data`` object of a single-entity envelope."""
    return item(_envelope(answer, kind).data, "data")


def read_all(answer: Any, item: ItemReader[T], kind: str) -> list[T]:
    """Every item of a collection envelope that is not paged."""
    data = _array(_envelope(answer, kind).data, kind)
    return [item(raw, f"data[{index}]") for index, raw in enumerate(data)]


def read_page(answer: Any, item: ItemReader[T], *, kind: str, start: int, limit: int) -> Page[T]:
    """One page of a collection envelope; ``next_cursor`` is the next ``start`` or None."""
    envelope = _envelope(answer, kind)
    data = _array(envelope.data, kind)
    if envelope.info is None:
        raise MappingError(SYSTEM, kind, "info", "a page needs info {count, total}")
    items = [item(raw, f"data[{index}]") for index, raw in enumerate(data)]
    end = start + envelope.info.count
    total = envelope.info.total
    # total == 0 means "not counted" when items came: then only an empty page ends the list.
    more = bool(items) and (end < total if total > 0 else True)
    return Page(items, next_cursor=end if more else None, total=total or None, raw=answer)


def raw_data(answer: Any, kind: str) -> Json:
    """The raw ``data`` object of a single-entity envelope."""
    return read_one(answer, raw_item(kind), kind)


def _nothing(answer: Any) -> None:
    """204 actions answer nothing; anything else is ignored (the request succeeded)."""


def _read_task(answer: Any) -> WireTask:
    return read_one(answer, _task_item, "task")


def _read_contact(answer: Any) -> WireContact:
    return read_one(answer, _contact_item, "contact")


def _read_maybe_contact(answer: Any) -> WireContact | None:
    return None if answer is None else _read_contact(answer)


def _read_contacts(answer: Any) -> list[WireContact]:
    return read_all(answer, _contact_item, "contact")


def _read_contact_ids(answer: Any) -> list[str]:
    return read_all(answer, _uuid_item, "contact")


def _read_association(answer: Any) -> WireAssociation:
    return read_one(answer, _association_item, "task")


def _read_associations(answer: Any) -> list[WireAssociation]:
    return read_all(answer, _association_item, "task")


def _json_reader(kind: str) -> Callable[[Any], Json]:
    return lambda answer: read_one(answer, raw_item(kind), kind)


def _json_list_reader(kind: str) -> Callable[[Any], list[Json]]:
    return lambda answer: read_all(answer, raw_item(kind), kind)


# -- filters -----------------------------------------------------------------------------------


class TaskFilters(TypedDict, total=False):
    """The filters of ``GET /crm/tasks/search`` (dates as epoch seconds or aware datetimes)."""

    q: str
    assignee: IdLike
    contact: IdLike
    deal: IdLike
    listing: IdLike
    due_gte: float | dt.datetime
    due_lte: float | dt.datetime
    status: str
    task_type: str
    order: str


class ContactFilters(TypedDict, total=False):
    """The query-string filters of ``GET /contacts`` (and ``POST /contacts/filter``)."""

    q: Sequence[str]
    users: Sequence[IdLike]
    ids: Sequence[IdLike]
    excludes: Sequence[IdLike]
    crm_tasks: Sequence[IdLike]
    created_gte: float | dt.datetime
    created_lte: float | dt.datetime
    updated_gte: float | dt.datetime
    updated_lte: float | dt.datetime
    parked: bool
    alphabet: str
    order: str


class ContactFilterBody(TypedDict, total=False):
    """The body of ``POST /contacts/filter``: attribute filters, free text and the list options."""

    filter: Sequence[Mapping[str, Any]]
    query: str
    filter_type: str
    users: Sequence[IdLike]
    ids: Sequence[IdLike]
    excludes: Sequence[IdLike]
    crm_tasks: Sequence[IdLike]
    created_gte: float | dt.datetime
    created_lte: float | dt.datetime
    updated_gte: float | dt.datetime
    updated_lte: float | dt.datetime
    parked: bool
    alphabet: str


_ID_FILTERS: Final = ("assignee", "contact", "deal", "listing")
_ID_LISTS: Final = ("users", "ids", "excludes", "crm_tasks")
_DATES: Final = ("due_gte", "due_lte", "created_gte", "created_lte", "updated_gte", "updated_lte")


def _task_filter_pairs(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in filters.items():
        if name in _ID_FILTERS:
            value = _uuid(value, name)
        elif name in _DATES:
            value = _epoch(value)
        pairs.append((name, value))
    return pairs


def _contact_filter_pairs(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in filters.items():
        if name in _ID_LISTS:
            pairs.append((f"{name}[]", _uuids(value, name)))
        elif name == "q":
            pairs.append(("q[]", [value] if isinstance(value, str) else list(value)))
        elif name in _DATES:
            pairs.append((name, _epoch(value)))
        else:
            pairs.append((name, value))
    return pairs


def _filter_body(body: Mapping[str, Any]) -> Json:
    out: Json = {}
    for name, value in body.items():
        if name in _ID_LISTS:
            out[name] = _uuids(value, name)
        elif name in _DATES:
            out[name] = _epoch(value)
        elif name == "filter":
            out[name] = [dict(f) for f in value]
        else:
            out[name] = value
    return out


# -- endpoints: tasks --------------------------------------------------------------------------


def list_tasks(
    *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
) -> OffsetList[WireTask]:
    """``GET /crm/tasks``: the brand's tasks, page by page."""
    _page_args(start, limit)
    expand = _expand(associations)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec("GET", "/crm/tasks", _query(("start", offset), ("limit", size), ("order", order), expand))

    return OffsetList(build, _task_item, "task", start, limit)


def search_tasks(
    *, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE, **filters: Unpack[TaskFilters]
) -> OffsetList[WireTask]:
    """``GET /crm/tasks/search``: tasks matching every given filter, page by page."""
    _page_args(start, limit)
    pairs = _task_filter_pairs(filters)
    expand = _expand(associations)

    def build(offset: int, size: int) -> RequestSpec:
        query = _query(*pairs, ("start", offset), ("limit", size), expand)
        return RequestSpec("GET", "/crm/tasks/search", query, idempotent=True)

    return OffsetList(build, _task_item, "task", start, limit)


def get_task(task_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[WireTask]:
    """``GET /crm/tasks/{id}``, expanding ``associations`` (e.g. ``crm_task.reminders``)."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}"
    return Endpoint(RequestSpec("GET", path, _query(_expand(associations))), _read_task)


def create_task(task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> Endpoint[WireTask]:
    """``POST /crm/tasks``: not idempotent (a resend after an ambiguous failure could duplicate)."""
    spec = RequestSpec("POST", "/crm/tasks", _query(_expand(associations)), _body(task), idempotent=False)
    return Endpoint(spec, _read_task)


def update_task(
    task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireTask]:
    """``PUT /crm/tasks/{id}``: the whole task (every reminder must be sent again)."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}"
    body = _body(task)
    # A PUT replaces, so it may be resent, except that associations without an id are *added*.
    adds = any(isinstance(a, Mapping) and not a.get("id") for a in body.get("associations") or [])
    spec = RequestSpec("PUT", path, _query(_expand(associations)), body, idempotent=not adds)
    return Endpoint(spec, _read_task)


def list_task_associations(task_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[list[WireAssociation]]:
    """``GET /crm/tasks/{id}/associations`` (contacts and listings come expanded)."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}/associations"
    return Endpoint(RequestSpec("GET", path, _query(_expand(associations))), _read_associations)


def add_task_association(
    task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireAssociation]:
    """``POST /crm/tasks/{id}/associations``: link a contact, listing or deal."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}/associations"
    spec = RequestSpec("POST", path, _query(_expand(associations)), _body(association), idempotent=False)
    return Endpoint(spec, _read_association)


def remove_task_association(task_id: IdLike, association_id: IdLike) -> Endpoint[None]:
    """``DELETE /crm/tasks/{id}/associations/{association}``."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}/associations/{_uuid(association_id, 'association')}"
    return Endpoint(RequestSpec("DELETE", path), _nothing)


def remove_task_associations(task_id: IdLike, association_ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /crm/tasks/{id}/associations?ids=a,b``: bulk remove."""
    path = f"/crm/tasks/{_uuid(task_id, 'task')}/associations"
    ids = ",".join(_uuids(association_ids, "association"))
    if not ids:
        raise ValueError("at least one association id is required")
    return Endpoint(RequestSpec("DELETE", path, _query(("ids", ids))), _nothing)


# -- endpoints: contacts -----------------------------------------------------------------------


def list_contacts(
    *,
    associations: Sequence[str] = (),
    start: int = 0,
    limit: int = CONTACT_PAGE_SIZE,
    **filters: Unpack[ContactFilters],
) -> OffsetList[WireContact]:
    """``GET /contacts``: contacts matching the query-string filters, page by page."""
    _page_args(start, limit)
    pairs = _contact_filter_pairs(filters)
    expand = _expand(associations)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec("GET", "/contacts", _query(*pairs, ("start", offset), ("limit", size), expand))

    return OffsetList(build, _contact_item, "contact", start, limit)


def filter_contacts(
    *,
    order: str | None = None,
    associations: Sequence[str] = (),
    start: int = 0,
    limit: int = CONTACT_PAGE_SIZE,
    **body: Unpack[ContactFilterBody],
) -> OffsetList[WireContact]:
    """``POST /contacts/filter``: attribute filters and free text; a read, so it may be resent."""
    _page_args(start, limit)
    json_body = _filter_body(body)
    expand = _expand(associations)

    def build(offset: int, size: int) -> RequestSpec:
        query = _query(("start", offset), ("limit", size), ("order", order), expand)
        return RequestSpec("POST", "/contacts/filter", query, json_body, idempotent=True)

    return OffsetList(build, _contact_item, "contact", start, limit)


def _create_query(get: bool, relax: bool | None, activity: bool | None, associations: Sequence[str]) -> Any:
    return _query(("get", get), ("relax", relax), ("activity", activity), _expand(associations))


def create_contacts(
    contacts: Sequence[Mapping[str, Any]],
    *,
    relax: bool | None = None,
    activity: bool | None = None,
    associations: Sequence[str] = (),
) -> Endpoint[list[WireContact]]:
    """``POST /contacts?get=true``: create ContactInput dicts (``{user, attributes}``); the new contacts."""
    spec = RequestSpec(
        "POST", "/contacts", _create_query(True, relax, activity, associations), {"contacts": _bodies(contacts)}
    )
    return Endpoint(spec, _read_contacts)


def create_contacts_ids(
    contacts: Sequence[Mapping[str, Any]], *, relax: bool | None = None, activity: bool | None = None
) -> Endpoint[list[str]]:
    """``POST /contacts`` without ``get``: the new contacts' ids."""
    spec = RequestSpec("POST", "/contacts", _create_query(False, relax, activity, ()), {"contacts": _bodies(contacts)})
    return Endpoint(spec, _read_contact_ids)


def bulk_update_contacts(
    *,
    contacts: Sequence[Mapping[str, Any]] | None = None,
    patch: Mapping[str, Any] | None = None,
    ids: Sequence[IdLike] | None = None,
    attribute_filters: Sequence[Mapping[str, Any]] | None = None,
) -> Endpoint[None]:
    """``PATCH /contacts``: per-contact patches (each with its ``id``), or one ``patch`` for ``ids``."""
    body: Json = {}
    if contacts is not None:
        body["contacts"] = [{**dict(c), "id": _uuid(c.get("id"), "contact")} for c in contacts]
    if patch is not None:
        body["patch"] = dict(patch)
    if ids is not None:
        body["ids"] = _uuids(ids, "contact")
    if attribute_filters is not None:
        body["filter"] = [dict(f) for f in attribute_filters]
    return Endpoint(RequestSpec("PATCH", "/contacts", body=body), _nothing)


def bulk_delete_contacts(ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /contacts`` with ``{ids}``: soft delete."""
    return Endpoint(RequestSpec("DELETE", "/contacts", body={"ids": _uuids(ids, "contact")}), _nothing)


def undelete_contacts(
    *,
    deleted_gte: float | dt.datetime | None = None,
    deleted_lte: float | dt.datetime | None = None,
    ids: Sequence[IdLike] = (),
) -> Endpoint[None]:
    """``POST /contacts/undelete``: restore the contacts deleted in the range (one bound is required)."""
    if deleted_gte is None and deleted_lte is None:
        raise ValueError("deleted_gte or deleted_lte is required")
    body: Json = {"ids": _uuids(ids, "contact")} if ids else {}
    if deleted_gte is not None:
        body["deleted_gte"] = _epoch(deleted_gte)
    if deleted_lte is not None:
        body["deleted_lte"] = _epoch(deleted_lte)
    return Endpoint(RequestSpec("POST", "/contacts/undelete", body=body, idempotent=False), _nothing)


def _contact_path(contact_id: IdLike, suffix: str = "") -> str:
    return f"/contacts/{_uuid(contact_id, 'contact')}{suffix}"


def get_contact(contact_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[WireContact]:
    """``GET /contacts/{id}`` (``contact.attributes`` expands the attributes)."""
    return Endpoint(RequestSpec("GET", _contact_path(contact_id), _query(_expand(associations))), _read_contact)


def update_contact(
    contact_id: IdLike, patch: Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireContact]:
    """``PATCH /contacts/{id}`` (a ContactPatch dict): attributes with an id are edited, others added."""
    spec = RequestSpec("PATCH", _contact_path(contact_id), _query(_expand(associations)), dict(patch))
    return Endpoint(spec, _read_contact)


def delete_contact(contact_id: IdLike) -> Endpoint[None]:
    """``DELETE /contacts/{id}``: soft delete."""
    return Endpoint(RequestSpec("DELETE", _contact_path(contact_id)), _nothing)


def set_contact_owner(contact_id: IdLike, user_id: IdLike) -> Endpoint[WireContact]:
    """``PUT /contacts/{id}/owner``."""
    body = {"user": _uuid(user_id, "user")}
    return Endpoint(RequestSpec("PUT", _contact_path(contact_id, "/owner"), body=body), _read_contact)


def set_contact_touch(contact_id: IdLike, touch_freq: int | None) -> Endpoint[WireContact]:
    """``PATCH /contacts/{id}/touch``: the touch frequency in days (None clears it).

    Marked idempotent: it sets a value, so sending it twice leaves the same state.
    """
    spec = RequestSpec("PATCH", _contact_path(contact_id, "/touch"), body={"touch_freq": touch_freq}, idempotent=True)
    return Endpoint(spec, _read_contact)


def set_contact_assignees(contact_id: IdLike, assignees: Sequence[IdLike | Mapping[str, Any]]) -> Endpoint[WireContact]:
    """``PUT /contacts/{id}/assignees``: user ids (or ``{user, brand}`` dicts) replace the assignees."""
    items = [
        {"user": _uuid(a, "user")} if not isinstance(a, Mapping) else {**dict(a), "user": _uuid(a.get("user"), "user")}
        for a in assignees
    ]
    return Endpoint(
        RequestSpec("PUT", _contact_path(contact_id, "/assignees"), body={"assignees": items}), _read_contact
    )


def get_contact_duplicates(contact_id: IdLike) -> Endpoint[list[WireContact]]:
    """``GET /contacts/{id}/duplicates``: contacts sharing an email or phone number with it."""
    return Endpoint(RequestSpec("GET", _contact_path(contact_id, "/duplicates")), _read_contacts)


def duplicate_clusters(*, start: int = 0, limit: int = CONTACT_PAGE_SIZE) -> OffsetList[Json]:
    """``GET /contacts/duplicates``: clusters (plain dicts ``{id, type, contacts}``), page by page."""
    _page_args(start, limit)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec("GET", "/contacts/duplicates", _query(("start", offset), ("limit", size)))

    return OffsetList(build, raw_item("duplicate_cluster"), "duplicate_cluster", start, limit)


def merge_into_contact(contact_id: IdLike, sub_contacts: Sequence[IdLike]) -> Endpoint[WireContact]:
    """``POST /contacts/{id}/merge``: the sub contacts' attributes move here; they are deleted."""
    body = {"sub_contacts": _uuids(sub_contacts, "contact")}
    spec = RequestSpec("POST", _contact_path(contact_id, "/merge"), body=body, idempotent=False)
    return Endpoint(spec, _read_contact)


def bulk_merge_contacts(clusters: Mapping[IdLike, Sequence[IdLike]]) -> Endpoint[None]:
    """``POST /contacts/merge``: ``{parent id: [sub contact ids]}``, several merges at once."""
    body = {
        "clusters": [
            {"parent": _uuid(parent, "contact"), "sub_contacts": _uuids(subs, "contact")}
            for parent, subs in clusters.items()
        ]
    }
    return Endpoint(RequestSpec("POST", "/contacts/merge", body=body, idempotent=False), _nothing)


def import_contacts_json(contacts: Sequence[Mapping[str, Any]]) -> Endpoint[Json]:
    """``POST /contacts/import.json``: ContactInput dicts; the import job (a plain dict) to poll."""
    body = {"contacts": _bodies(contacts)}
    return Endpoint(RequestSpec("POST", "/contacts/import.json", body=body, idempotent=False), _json_reader("job"))


def _file_part(
    content: FileInput, filename: str | None, content_type: str | None, default: str | None = None
) -> tuple[str, bytes, str]:
    """``(filename, bytes, content type)``; the name is ``filename``, else the file object's, else ``default``.

    A file object is read whole, so a retry could resend it all.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    else:
        data = content.read()
        if not isinstance(data, bytes):
            raise TypeError("the file must be bytes or a binary file object (open it with 'rb')")
    if filename is None:
        name = getattr(content, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default
    if not filename:
        raise ValueError("a filename is needed (Rechat keeps it and checks its extension)")
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = content_type or _FILE_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, data, kind


def _import_options(owner: IdLike | None, mappings: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if owner is not None:
        options["owner"] = _uuid(owner, "user")
    if mappings is not None:
        options["mappings"] = {str(header): dict(mapping) for header, mapping in mappings.items()}
    return options


def _import_file(
    kind: ImportKind,
    content: FileInput,
    filename: str | None,
    owner: IdLike | None,
    mappings: Mapping[str, Mapping[str, Any]] | None,
) -> Endpoint[Json]:
    if kind not in _FILE_TYPES:
        raise ValueError(f"kind must be one of {', '.join(_FILE_TYPES)}")
    part = _file_part(content, filename, None, default=f"contacts.{kind}")
    files: dict[str, Any] = {IMPORT_FILE_FIELD: part}
    for name, value in _import_options(owner, mappings).items():
        files[name] = (None, value if isinstance(value, str) else json.dumps(value))
    spec = RequestSpec("POST", f"/contacts/import.{kind}", files=files, idempotent=False)
    return Endpoint(spec, _json_reader("job"))


def import_contacts_csv(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.csv`` (multipart field ``file``): the import job (a plain dict).

    ``owner`` owns the new contacts (Rechat's default: the caller); ``mappings`` maps CSV headers
    to ``{attribute_type | attribute_def, label?, is_primary?, is_partner?}``. The file name
    defaults to the file object's, else ``contacts.csv``. Not idempotent: never resent.
    """
    return _import_file("csv", content, filename, owner, mappings)


def import_contacts_xls(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.xls`` (multipart field ``file``); as :func:`import_contacts_csv`."""
    return _import_file("xls", content, filename, owner, mappings)


def import_contacts_xlsx(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.xlsx`` (multipart field ``file``); as :func:`import_contacts_csv`."""
    return _import_file("xlsx", content, filename, owner, mappings)


def upload_contacts_file(
    content: FileInput, *, filename: str | None = None, content_type: str | None = None
) -> Endpoint[Json]:
    """``POST /contacts/upload`` (multipart field ``file``): the stored file (a plain dict with its ``id``).

    The file name is required (given, or the file object's): Rechat keeps it and checks its
    extension. Not idempotent: every upload stores a new file.
    """
    files = {IMPORT_FILE_FIELD: _file_part(content, filename, content_type)}
    spec = RequestSpec("POST", "/contacts/upload", files=files, idempotent=False)
    return Endpoint(spec, _json_reader("file"))


def import_uploaded_file(
    file_id: IdLike,
    *,
    kind: ImportKind = "csv",
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.{kind}`` with JSON ``{file_id, owner?, mappings?}``: imports an uploaded file.

    This is the body the open-sourced Rechat server reads. Not idempotent: never resent.
    """
    if kind not in _FILE_TYPES:
        raise ValueError(f"kind must be one of {', '.join(_FILE_TYPES)}")
    body = {"file_id": _uuid(file_id, "file"), **_import_options(owner, mappings)}
    spec = RequestSpec("POST", f"/contacts/import.{kind}", body=body, idempotent=False)
    return Endpoint(spec, _json_reader("job"))


def get_import_job(job_id: str) -> Endpoint[Json]:
    """``GET /contacts/jobs/{job_id}``: the state of an import job (a plain dict)."""
    return Endpoint(RequestSpec("GET", f"/contacts/jobs/{_job_id(job_id)}"), _json_reader("job"))


# -- endpoints: attributes ---------------------------------------------------------------------


def add_contact_attributes(
    contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]
) -> Endpoint[WireContact]:
    """``POST /contacts/{id}/attributes``: the contact, with its attributes."""
    body = {"attributes": _bodies(attributes)}
    spec = RequestSpec("POST", _contact_path(contact_id, "/attributes"), body=body, idempotent=False)
    return Endpoint(spec, _read_contact)


def update_contact_attribute(
    contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
) -> Endpoint[WireContact]:
    """``PUT /contacts/{id}/attributes/{attribute_id}``: the contact, with its attributes."""
    path = _contact_path(contact_id, f"/attributes/{_uuid(attribute_id, 'attribute')}")
    return Endpoint(RequestSpec("PUT", path, body=_body(changes)), _read_contact)


def delete_contact_attribute(contact_id: IdLike, attribute_id: IdLike) -> Endpoint[WireContact | None]:
    """``DELETE /contacts/{id}/attributes/{attribute_id}``: the contact (200) or None (204)."""
    path = _contact_path(contact_id, f"/attributes/{_uuid(attribute_id, 'attribute')}")
    return Endpoint(RequestSpec("DELETE", path), _read_maybe_contact)


def bulk_add_attributes(
    contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]
) -> Endpoint[None]:
    """``POST /contacts/attributes``: the same attributes added to every contact of ``contact_ids``."""
    body = {"ids": _uuids(contact_ids, "contact"), "attributes": _bodies(attributes)}
    return Endpoint(RequestSpec("POST", "/contacts/attributes", body=body, idempotent=False), _nothing)


def bulk_delete_attributes(attribute_ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /contacts/attributes``: remove attributes by id."""
    body = {"ids": _uuids(attribute_ids, "attribute")}
    return Endpoint(RequestSpec("DELETE", "/contacts/attributes", body=body), _nothing)


def list_attribute_defs() -> Endpoint[list[Json]]:
    """``GET /contacts/attribute_defs``: global and custom definitions (plain dicts)."""
    return Endpoint(RequestSpec("GET", "/contacts/attribute_defs"), _json_list_reader("attribute_def"))


def create_attribute_def(definition: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /contacts/attribute_defs``: a custom definition (dict in and out)."""
    spec = RequestSpec("POST", "/contacts/attribute_defs", body=dict(definition), idempotent=False)
    return Endpoint(spec, _json_reader("attribute_def"))


def _def_path(definition_id: IdLike) -> str:
    return f"/contacts/attribute_defs/{_uuid(definition_id, 'attribute_def')}"


def get_attribute_def(definition_id: IdLike) -> Endpoint[Json]:
    """``GET /contacts/attribute_defs/{id}`` (a plain dict)."""
    return Endpoint(RequestSpec("GET", _def_path(definition_id)), _json_reader("attribute_def"))


def update_attribute_def(definition_id: IdLike, definition: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /contacts/attribute_defs/{id}``: custom definitions only (a plain dict)."""
    return Endpoint(RequestSpec("PUT", _def_path(definition_id), body=dict(definition)), _json_reader("attribute_def"))


def delete_attribute_def(definition_id: IdLike) -> Endpoint[None]:
    """``DELETE /contacts/attribute_defs/{id}``."""
    return Endpoint(RequestSpec("DELETE", _def_path(definition_id)), _nothing)


# -- endpoints: tags ---------------------------------------------------------------------------


def list_tags() -> Endpoint[list[Json]]:
    """``GET /contacts/tags``: the brand's tags (plain dicts)."""
    return Endpoint(RequestSpec("GET", "/contacts/tags"), _json_list_reader("tag"))


def create_tag(tag: str, *, touch_freq: int | None = None) -> Endpoint[Json]:
    """``POST /contacts/tags``: add a tag to the catalogue (a plain dict)."""
    body: Json = {"tag": tag}
    if touch_freq is not None:
        body["touch_freq"] = touch_freq
    return Endpoint(RequestSpec("POST", "/contacts/tags", body=body, idempotent=False), _json_reader("tag"))


def rename_tag(tag: str, new_name: str) -> Endpoint[None]:
    """``PATCH /contacts/tags/{tag}``: rename it everywhere in the brand."""
    spec = RequestSpec("PATCH", f"/contacts/tags/{_tag_segment(tag)}", body={"tag": new_name})
    return Endpoint(spec, _nothing)


def delete_tag(tag: str) -> Endpoint[None]:
    """``DELETE /contacts/tags/{tag}``: remove it from the catalogue and every contact."""
    return Endpoint(RequestSpec("DELETE", f"/contacts/tags/{_tag_segment(tag)}"), _nothing)


def set_tag_touch(tag: str, touch_freq: int | None) -> Endpoint[None]:
    """``PATCH /contacts/tags/{tag}/touch``: sets a value, so marked idempotent."""
    path = f"/contacts/tags/{_tag_segment(tag)}/touch"
    return Endpoint(RequestSpec("PATCH", path, body={"touch_freq": touch_freq}, idempotent=True), _nothing)


# -- the clients -------------------------------------------------------------------------------


def _brand_headers(brand: IdLike | None) -> dict[str, str]:
    if brand is None:
        return {}
    return {"X-RECHAT-BRAND": _uuid(brand, "brand")}


class RechatClient(SyncAPIClient):
    """A blocking Rechat client: ``client.tasks`` and ``client.contacts``.

    ``brand`` (a UUID) goes in ``X-RECHAT-BRAND``; without it Rechat uses the user's default brand.
    """

    system = SYSTEM

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        brand: IdLike | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        headers = _brand_headers(brand)
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            headers=headers,
            transport=transport,
            verify=verify,
        )
        self.brand = headers.get("X-RECHAT-BRAND")
        self.tasks = Tasks(self)
        self.contacts = Contacts(self)


class AsyncRechatClient(AsyncAPIClient):
    """The async twin of :class:`RechatClient`: same arguments and methods, awaited."""

    system = SYSTEM

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        brand: IdLike | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        headers = _brand_headers(brand)
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            headers=headers,
            transport=transport,
            verify=verify,
        )
        self.brand = headers.get("X-RECHAT-BRAND")
        self.tasks = AsyncTasks(self)
        self.contacts = AsyncContacts(self)


# -- sync resources ----------------------------------------------------------------------------


class TaskAssociations:
    """``client.tasks.associations``: the records linked to a task."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client

    def list(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> AssociationList:
        """``GET /crm/tasks/{id}/associations``."""
        return self._c.call(list_task_associations(task_id, associations=associations))

    def add(
        self, task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireAssociation:
        """``POST /crm/tasks/{id}/associations``."""
        return self._c.call(add_task_association(task_id, association, associations=associations))

    def remove(self, task_id: IdLike, association_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}/associations/{association}``."""
        self._c.call(remove_task_association(task_id, association_id))

    def remove_many(self, task_id: IdLike, association_ids: Sequence[IdLike]) -> None:
        """``DELETE /crm/tasks/{id}/associations?ids=...``."""
        self._c.call(remove_task_associations(task_id, association_ids))


class Tasks:
    """``client.tasks``: CRM tasks."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client
        self.associations = TaskAssociations(client)

    def list(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> SyncPager[WireTask]:
        """``GET /crm/tasks``, auto-paging (``.pages()`` for page-level access)."""
        return self._c.pager(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def list_page(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks``."""
        return self._c.page(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def search(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> SyncPager[WireTask]:
        """``GET /crm/tasks/search``, auto-paging."""
        return self._c.pager(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    def search_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks/search``."""
        return self._c.page(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    def get(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> WireTask:
        """``GET /crm/tasks/{id}``."""
        return self._c.call(get_task(task_id, associations=associations))

    def create(self, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> WireTask:
        """``POST /crm/tasks``."""
        return self._c.call(create_task(task, associations=associations))

    def update(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``PUT /crm/tasks/{id}``."""
        return self._c.call(update_task(task_id, task, associations=associations))


class ContactAttributes:
    """``client.contacts.attributes``: a contact's EAV attributes."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client

    def add(self, contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> WireContact:
        """``POST /contacts/{id}/attributes``."""
        return self._c.call(add_contact_attributes(contact_id, attributes))

    def update(
        self, contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
    ) -> WireContact:
        """``PUT /contacts/{id}/attributes/{attribute_id}``."""
        return self._c.call(update_contact_attribute(contact_id, attribute_id, changes))

    def delete(self, contact_id: IdLike, attribute_id: IdLike) -> WireContact | None:
        """``DELETE /contacts/{id}/attributes/{attribute_id}``."""
        return self._c.call(delete_contact_attribute(contact_id, attribute_id))

    def bulk_add(self, contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> None:
        """``POST /contacts/attributes``."""
        self._c.call(bulk_add_attributes(contact_ids, attributes))

    def bulk_delete(self, attribute_ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts/attributes``."""
        self._c.call(bulk_delete_attributes(attribute_ids))


class AttributeDefs:
    """``client.contacts.attribute_defs``: attribute definitions (plain dicts)."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client

    def list(self) -> JsonList:
        """``GET /contacts/attribute_defs``."""
        return self._c.call(list_attribute_defs())

    def create(self, definition: Mapping[str, Any]) -> Json:
        """``POST /contacts/attribute_defs``."""
        return self._c.call(create_attribute_def(definition))

    def get(self, definition_id: IdLike) -> Json:
        """``GET /contacts/attribute_defs/{id}``."""
        return self._c.call(get_attribute_def(definition_id))

    def update(self, definition_id: IdLike, definition: Mapping[str, Any]) -> Json:
        """``PUT /contacts/attribute_defs/{id}``."""
        return self._c.call(update_attribute_def(definition_id, definition))

    def delete(self, definition_id: IdLike) -> None:
        """``DELETE /contacts/attribute_defs/{id}``."""
        self._c.call(delete_attribute_def(definition_id))


class Tags:
    """``client.contacts.tags``: the brand's tag catalogue (plain dicts)."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client

    def list(self) -> JsonList:
        """``GET /contacts/tags``."""
        return self._c.call(list_tags())

    def create(self, tag: str, *, touch_freq: int | None = None) -> Json:
        """``POST /contacts/tags``."""
        return self._c.call(create_tag(tag, touch_freq=touch_freq))

    def rename(self, tag: str, new_name: str) -> None:
        """``PATCH /contacts/tags/{tag}``."""
        self._c.call(rename_tag(tag, new_name))

    def delete(self, tag: str) -> None:
        """``DELETE /contacts/tags/{tag}``."""
        self._c.call(delete_tag(tag))

    def set_touch(self, tag: str, touch_freq: int | None) -> None:
        """``PATCH /contacts/tags/{tag}/touch``."""
        self._c.call(set_tag_touch(tag, touch_freq))


class Contacts:
    """``client.contacts``: contacts, and their attributes, definitions and tags."""

    def __init__(self, client: RechatClient) -> None:
        self._c = client
        self.attributes = ContactAttributes(client)
        self.attribute_defs = AttributeDefs(client)
        self.tags = Tags(client)

    def list(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **filters: Unpack[ContactFilters],
    ) -> SyncPager[WireContact]:
        """``GET /contacts``, auto-paging (``.pages()`` for page-level access)."""
        return self._c.pager(list_contacts(associations=associations, start=start, limit=limit, **filters).spec())

    def list_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **filters: Unpack[ContactFilters],
    ) -> Page[WireContact]:
        """One page of ``GET /contacts``."""
        return self._c.page(list_contacts(associations=associations, start=start, limit=limit, **filters).spec())

    def filter(
        self,
        *,
        order: str | None = None,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **body: Unpack[ContactFilterBody],
    ) -> SyncPager[WireContact]:
        """``POST /contacts/filter``, auto-paging."""
        paged = filter_contacts(order=order, associations=associations, start=start, limit=limit, **body)
        return self._c.pager(paged.spec())

    def filter_page(
        self,
        *,
        order: str | None = None,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **body: Unpack[ContactFilterBody],
    ) -> Page[WireContact]:
        """One page of ``POST /contacts/filter``."""
        paged = filter_contacts(order=order, associations=associations, start=start, limit=limit, **body)
        return self._c.page(paged.spec())

    def create(
        self,
        contacts: Sequence[Mapping[str, Any]],
        *,
        relax: bool | None = None,
        activity: bool | None = None,
        associations: Sequence[str] = (),
    ) -> ContactList:
        """``POST /contacts?get=true``."""
        return self._c.call(create_contacts(contacts, relax=relax, activity=activity, associations=associations))

    def create_ids(
        self, contacts: Sequence[Mapping[str, Any]], *, relax: bool | None = None, activity: bool | None = None
    ) -> IdList:
        """``POST /contacts``: only the new ids."""
        return self._c.call(create_contacts_ids(contacts, relax=relax, activity=activity))

    def get(self, contact_id: IdLike, *, associations: Sequence[str] = ()) -> WireContact:
        """``GET /contacts/{id}``."""
        return self._c.call(get_contact(contact_id, associations=associations))

    def update(self, contact_id: IdLike, patch: Mapping[str, Any], *, associations: Sequence[str] = ()) -> WireContact:
        """``PATCH /contacts/{id}``."""
        return self._c.call(update_contact(contact_id, patch, associations=associations))

    def delete(self, contact_id: IdLike) -> None:
        """``DELETE /contacts/{id}``."""
        self._c.call(delete_contact(contact_id))

    def set_owner(self, contact_id: IdLike, user_id: IdLike) -> WireContact:
        """``PUT /contacts/{id}/owner``."""
        return self._c.call(set_contact_owner(contact_id, user_id))

    def set_touch(self, contact_id: IdLike, touch_freq: int | None) -> WireContact:
        """``PATCH /contacts/{id}/touch``."""
        return self._c.call(set_contact_touch(contact_id, touch_freq))

    def set_assignees(self, contact_id: IdLike, assignees: Sequence[IdLike | Mapping[str, Any]]) -> WireContact:
        """``PUT /contacts/{id}/assignees``."""
        return self._c.call(set_contact_assignees(contact_id, assignees))

    def bulk_update(
        self,
        *,
        contacts: Sequence[Mapping[str, Any]] | None = None,
        patch: Mapping[str, Any] | None = None,
        ids: Sequence[IdLike] | None = None,
        attribute_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """``PATCH /contacts``."""
        self._c.call(bulk_update_contacts(contacts=contacts, patch=patch, ids=ids, attribute_filters=attribute_filters))

    def bulk_delete(self, ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts``."""
        self._c.call(bulk_delete_contacts(ids))

    def undelete(
        self,
        *,
        deleted_gte: float | dt.datetime | None = None,
        deleted_lte: float | dt.datetime | None = None,
        ids: Sequence[IdLike] = (),
    ) -> None:
        """``POST /contacts/undelete``."""
        self._c.call(undelete_contacts(deleted_gte=deleted_gte, deleted_lte=deleted_lte, ids=ids))

    def duplicates(self, contact_id: IdLike) -> ContactList:
        """``GET /contacts/{id}/duplicates``."""
        return self._c.call(get_contact_duplicates(contact_id))

    def duplicate_clusters(self, *, start: int = 0, limit: int = CONTACT_PAGE_SIZE) -> SyncPager[Json]:
        """``GET /contacts/duplicates``, auto-paging (clusters are plain dicts)."""
        return self._c.pager(duplicate_clusters(start=start, limit=limit).spec())

    def merge(self, contact_id: IdLike, sub_contacts: Sequence[IdLike]) -> WireContact:
        """``POST /contacts/{id}/merge``."""
        return self._c.call(merge_into_contact(contact_id, sub_contacts))

    def bulk_merge(self, clusters: Mapping[IdLike, Sequence[IdLike]]) -> None:
        """``POST /contacts/merge``."""
        self._c.call(bulk_merge_contacts(clusters))

    def import_json(self, contacts: Sequence[Mapping[str, Any]]) -> Json:
        """``POST /contacts/import.json``."""
        return self._c.call(import_contacts_json(contacts))

    def get_job(self, job_id: str) -> Json:
        """``GET /contacts/jobs/{job_id}``."""
        return self._c.call(get_import_job(job_id))

    def import_csv(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.csv`` (multipart); the import job."""
        return self._c.call(import_contacts_csv(file, filename=filename, owner=owner, mappings=mappings))

    def import_xls(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.xls`` (multipart); the import job."""
        return self._c.call(import_contacts_xls(file, filename=filename, owner=owner, mappings=mappings))

    def import_xlsx(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.xlsx`` (multipart); the import job."""
        return self._c.call(import_contacts_xlsx(file, filename=filename, owner=owner, mappings=mappings))

    def upload(self, file: FileInput, *, filename: str | None = None, content_type: str | None = None) -> Json:
        """``POST /contacts/upload`` (multipart); the stored file."""
        return self._c.call(upload_contacts_file(file, filename=filename, content_type=content_type))

    def import_uploaded(
        self,
        file_id: IdLike,
        *,
        kind: ImportKind = "csv",
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.{kind}`` naming an uploaded file; the import job."""
        return self._c.call(import_uploaded_file(file_id, kind=kind, owner=owner, mappings=mappings))


# -- async resources (the same methods, awaited) -----------------------------------------------


class AsyncTaskAssociations:
    """``client.tasks.associations`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client

    async def list(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> AssociationList:
        """``GET /crm/tasks/{id}/associations``."""
        return await self._c.call(list_task_associations(task_id, associations=associations))

    async def add(
        self, task_id: IdLike, association: WireAssociation | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireAssociation:
        """``POST /crm/tasks/{id}/associations``."""
        return await self._c.call(add_task_association(task_id, association, associations=associations))

    async def remove(self, task_id: IdLike, association_id: IdLike) -> None:
        """``DELETE /crm/tasks/{id}/associations/{association}``."""
        await self._c.call(remove_task_association(task_id, association_id))

    async def remove_many(self, task_id: IdLike, association_ids: Sequence[IdLike]) -> None:
        """``DELETE /crm/tasks/{id}/associations?ids=...``."""
        await self._c.call(remove_task_associations(task_id, association_ids))


class AsyncTasks:
    """``client.tasks`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client
        self.associations = AsyncTaskAssociations(client)

    def list(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> AsyncPager[WireTask]:
        """``GET /crm/tasks``, auto-paging (``async for``; ``.pages()`` for page-level access)."""
        return self._c.pager(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    async def list_page(
        self, *, order: str | None = None, associations: Sequence[str] = (), start: int = 0, limit: int = TASK_PAGE_SIZE
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks``."""
        return await self._c.page(list_tasks(order=order, associations=associations, start=start, limit=limit).spec())

    def search(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> AsyncPager[WireTask]:
        """``GET /crm/tasks/search``, auto-paging."""
        return self._c.pager(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    async def search_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = TASK_PAGE_SIZE,
        **filters: Unpack[TaskFilters],
    ) -> Page[WireTask]:
        """One page of ``GET /crm/tasks/search``."""
        return await self._c.page(search_tasks(associations=associations, start=start, limit=limit, **filters).spec())

    async def get(self, task_id: IdLike, *, associations: Sequence[str] = ()) -> WireTask:
        """``GET /crm/tasks/{id}``."""
        return await self._c.call(get_task(task_id, associations=associations))

    async def create(self, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()) -> WireTask:
        """``POST /crm/tasks``."""
        return await self._c.call(create_task(task, associations=associations))

    async def update(
        self, task_id: IdLike, task: WireTask | Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireTask:
        """``PUT /crm/tasks/{id}``."""
        return await self._c.call(update_task(task_id, task, associations=associations))


class AsyncContactAttributes:
    """``client.contacts.attributes`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client

    async def add(self, contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> WireContact:
        """``POST /contacts/{id}/attributes``."""
        return await self._c.call(add_contact_attributes(contact_id, attributes))

    async def update(
        self, contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
    ) -> WireContact:
        """``PUT /contacts/{id}/attributes/{attribute_id}``."""
        return await self._c.call(update_contact_attribute(contact_id, attribute_id, changes))

    async def delete(self, contact_id: IdLike, attribute_id: IdLike) -> WireContact | None:
        """``DELETE /contacts/{id}/attributes/{attribute_id}``."""
        return await self._c.call(delete_contact_attribute(contact_id, attribute_id))

    async def bulk_add(
        self, contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]
    ) -> None:
        """``POST /contacts/attributes``."""
        await self._c.call(bulk_add_attributes(contact_ids, attributes))

    async def bulk_delete(self, attribute_ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts/attributes``."""
        await self._c.call(bulk_delete_attributes(attribute_ids))


class AsyncAttributeDefs:
    """``client.contacts.attribute_defs`` of :class:`AsyncRechatClient` (plain dicts)."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client

    async def list(self) -> JsonList:
        """``GET /contacts/attribute_defs``."""
        return await self._c.call(list_attribute_defs())

    async def create(self, definition: Mapping[str, Any]) -> Json:
        """``POST /contacts/attribute_defs``."""
        return await self._c.call(create_attribute_def(definition))

    async def get(self, definition_id: IdLike) -> Json:
        """``GET /contacts/attribute_defs/{id}``."""
        return await self._c.call(get_attribute_def(definition_id))

    async def update(self, definition_id: IdLike, definition: Mapping[str, Any]) -> Json:
        """``PUT /contacts/attribute_defs/{id}``."""
        return await self._c.call(update_attribute_def(definition_id, definition))

    async def delete(self, definition_id: IdLike) -> None:
        """``DELETE /contacts/attribute_defs/{id}``."""
        await self._c.call(delete_attribute_def(definition_id))


class AsyncTags:
    """``client.contacts.tags`` of :class:`AsyncRechatClient` (plain dicts)."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client

    async def list(self) -> JsonList:
        """``GET /contacts/tags``."""
        return await self._c.call(list_tags())

    async def create(self, tag: str, *, touch_freq: int | None = None) -> Json:
        """``POST /contacts/tags``."""
        return await self._c.call(create_tag(tag, touch_freq=touch_freq))

    async def rename(self, tag: str, new_name: str) -> None:
        """``PATCH /contacts/tags/{tag}``."""
        await self._c.call(rename_tag(tag, new_name))

    async def delete(self, tag: str) -> None:
        """``DELETE /contacts/tags/{tag}``."""
        await self._c.call(delete_tag(tag))

    async def set_touch(self, tag: str, touch_freq: int | None) -> None:
        """``PATCH /contacts/tags/{tag}/touch``."""
        await self._c.call(set_tag_touch(tag, touch_freq))


class AsyncContacts:
    """``client.contacts`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncRechatClient) -> None:
        self._c = client
        self.attributes = AsyncContactAttributes(client)
        self.attribute_defs = AsyncAttributeDefs(client)
        self.tags = AsyncTags(client)

    def list(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **filters: Unpack[ContactFilters],
    ) -> AsyncPager[WireContact]:
        """``GET /contacts``, auto-paging."""
        return self._c.pager(list_contacts(associations=associations, start=start, limit=limit, **filters).spec())

    async def list_page(
        self,
        *,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **filters: Unpack[ContactFilters],
    ) -> Page[WireContact]:
        """One page of ``GET /contacts``."""
        return await self._c.page(list_contacts(associations=associations, start=start, limit=limit, **filters).spec())

    def filter(
        self,
        *,
        order: str | None = None,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **body: Unpack[ContactFilterBody],
    ) -> AsyncPager[WireContact]:
        """``POST /contacts/filter``, auto-paging."""
        paged = filter_contacts(order=order, associations=associations, start=start, limit=limit, **body)
        return self._c.pager(paged.spec())

    async def filter_page(
        self,
        *,
        order: str | None = None,
        associations: Sequence[str] = (),
        start: int = 0,
        limit: int = CONTACT_PAGE_SIZE,
        **body: Unpack[ContactFilterBody],
    ) -> Page[WireContact]:
        """One page of ``POST /contacts/filter``."""
        paged = filter_contacts(order=order, associations=associations, start=start, limit=limit, **body)
        return await self._c.page(paged.spec())

    async def create(
        self,
        contacts: Sequence[Mapping[str, Any]],
        *,
        relax: bool | None = None,
        activity: bool | None = None,
        associations: Sequence[str] = (),
    ) -> ContactList:
        """``POST /contacts?get=true``."""
        return await self._c.call(create_contacts(contacts, relax=relax, activity=activity, associations=associations))

    async def create_ids(
        self, contacts: Sequence[Mapping[str, Any]], *, relax: bool | None = None, activity: bool | None = None
    ) -> IdList:
        """``POST /contacts``: only the new ids."""
        return await self._c.call(create_contacts_ids(contacts, relax=relax, activity=activity))

    async def get(self, contact_id: IdLike, *, associations: Sequence[str] = ()) -> WireContact:
        """``GET /contacts/{id}``."""
        return await self._c.call(get_contact(contact_id, associations=associations))

    async def update(
        self, contact_id: IdLike, patch: Mapping[str, Any], *, associations: Sequence[str] = ()
    ) -> WireContact:
        """``PATCH /contacts/{id}``."""
        return await self._c.call(update_contact(contact_id, patch, associations=associations))

    async def delete(self, contact_id: IdLike) -> None:
        """``DELETE /contacts/{id}``."""
        await self._c.call(delete_contact(contact_id))

    async def set_owner(self, contact_id: IdLike, user_id: IdLike) -> WireContact:
        """``PUT /contacts/{id}/owner``."""
        return await self._c.call(set_contact_owner(contact_id, user_id))

    async def set_touch(self, contact_id: IdLike, touch_freq: int | None) -> WireContact:
        """``PATCH /contacts/{id}/touch``."""
        return await self._c.call(set_contact_touch(contact_id, touch_freq))

    async def set_assignees(self, contact_id: IdLike, assignees: Sequence[IdLike | Mapping[str, Any]]) -> WireContact:
        """``PUT /contacts/{id}/assignees``."""
        return await self._c.call(set_contact_assignees(contact_id, assignees))

    async def bulk_update(
        self,
        *,
        contacts: Sequence[Mapping[str, Any]] | None = None,
        patch: Mapping[str, Any] | None = None,
        ids: Sequence[IdLike] | None = None,
        attribute_filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """``PATCH /contacts``."""
        endpoint = bulk_update_contacts(contacts=contacts, patch=patch, ids=ids, attribute_filters=attribute_filters)
        await self._c.call(endpoint)

    async def bulk_delete(self, ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts``."""
        await self._c.call(bulk_delete_contacts(ids))

    async def undelete(
        self,
        *,
        deleted_gte: float | dt.datetime | None = None,
        deleted_lte: float | dt.datetime | None = None,
        ids: Sequence[IdLike] = (),
    ) -> None:
        """``POST /contacts/undelete``."""
        await self._c.call(undelete_contacts(deleted_gte=deleted_gte, deleted_lte=deleted_lte, ids=ids))

    async def duplicates(self, contact_id: IdLike) -> ContactList:
        """``GET /contacts/{id}/duplicates``."""
        return await self._c.call(get_contact_duplicates(contact_id))

    def duplicate_clusters(self, *, start: int = 0, limit: int = CONTACT_PAGE_SIZE) -> AsyncPager[Json]:
        """``GET /contacts/duplicates``, auto-paging (clusters are plain dicts)."""
        return self._c.pager(duplicate_clusters(start=start, limit=limit).spec())

    async def merge(self, contact_id: IdLike, sub_contacts: Sequence[IdLike]) -> WireContact:
        """``POST /contacts/{id}/merge``."""
        return await self._c.call(merge_into_contact(contact_id, sub_contacts))

    async def bulk_merge(self, clusters: Mapping[IdLike, Sequence[IdLike]]) -> None:
        """``POST /contacts/merge``."""
        await self._c.call(bulk_merge_contacts(clusters))

    async def import_json(self, contacts: Sequence[Mapping[str, Any]]) -> Json:
        """``POST /contacts/import.json``."""
        return await self._c.call(import_contacts_json(contacts))

    async def get_job(self, job_id: str) -> Json:
        """``GET /contacts/jobs/{job_id}``."""
        return await self._c.call(get_import_job(job_id))

    async def import_csv(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.csv`` (multipart); the import job."""
        return await self._c.call(import_contacts_csv(file, filename=filename, owner=owner, mappings=mappings))

    async def import_xls(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.xls`` (multipart); the import job."""
        return await self._c.call(import_contacts_xls(file, filename=filename, owner=owner, mappings=mappings))

    async def import_xlsx(
        self,
        file: FileInput,
        *,
        filename: str | None = None,
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.xlsx`` (multipart); the import job."""
        return await self._c.call(import_contacts_xlsx(file, filename=filename, owner=owner, mappings=mappings))

    async def upload(self, file: FileInput, *, filename: str | None = None, content_type: str | None = None) -> Json:
        """``POST /contacts/upload`` (multipart); the stored file."""
        return await self._c.call(upload_contacts_file(file, filename=filename, content_type=content_type))

    async def import_uploaded(
        self,
        file_id: IdLike,
        *,
        kind: ImportKind = "csv",
        owner: IdLike | None = None,
        mappings: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Json:
        """``POST /contacts/import.{kind}`` naming an uploaded file; the import job."""
        return await self._c.call(import_uploaded_file(file_id, kind=kind, owner=owner, mappings=mappings))
