"""Rechat's ``client.contacts``: contacts listed, filtered, created, edited, merged and imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypedDict, Unpack

from crmbridge.adapters.rechat._resources._shared import (
    DATE_FILTERS,
    SYSTEM,
    IdLike,
    Json,
    check_page_args,
    contact_item,
    contact_path,
    epoch,
    expand_pair,
    offset_list,
    query_pairs,
    raw_item,
    read_all,
    read_contact,
    read_nothing,
    uuid_arg,
    uuid_args,
    wire_bodies,
)
from crmbridge.adapters.rechat._resources.attribute_defs import AsyncAttributeDefs, AttributeDefs
from crmbridge.adapters.rechat._resources.contact_attributes import AsyncContactAttributes, ContactAttributes
from crmbridge.adapters.rechat._resources.contact_imports import (
    FileInput,
    ImportKind,
    get_import_job,
    import_contacts_csv,
    import_contacts_json,
    import_contacts_xls,
    import_contacts_xlsx,
    import_uploaded_file,
    upload_contacts_file,
)
from crmbridge.adapters.rechat._resources.tags import AsyncTags, Tags
from crmbridge.adapters.rechat.wire import WireContact, canonical_uuid
from crmbridge.errors import MappingError
from crmbridge.http import AsyncAPIClient, AsyncPager, Endpoint, Page, PagedList, RequestSpec, SyncAPIClient, SyncPager

__all__ = [
    "CONTACT_PAGE_SIZE",
    "AsyncContacts",
    "ContactFilterBody",
    "ContactFilters",
    "Contacts",
    "bulk_delete_contacts",
    "bulk_merge_contacts",
    "bulk_update_contacts",
    "create_contacts",
    "create_contacts_ids",
    "delete_contact",
    "duplicate_clusters",
    "filter_contacts",
    "get_contact",
    "get_contact_duplicates",
    "list_contacts",
    "merge_into_contact",
    "set_contact_assignees",
    "set_contact_owner",
    "set_contact_touch",
    "undelete_contacts",
    "update_contact",
]

CONTACT_PAGE_SIZE: Final = 50
"""Rechat's documented default page size of the contact lists."""

# Module-level aliases: inside classes that define a ``list`` method, ``list[...]`` would name it.
ContactList = list[WireContact]
IdList = list[str]

_ID_LISTS: Final = ("users", "ids", "excludes", "crm_tasks")


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


def _contact_filter_pairs(filters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in filters.items():
        if name in _ID_LISTS:
            pairs.append((f"{name}[]", uuid_args(value, name)))
        elif name == "q":
            pairs.append(("q[]", [value] if isinstance(value, str) else list(value)))
        elif name in DATE_FILTERS:
            pairs.append((name, epoch(value)))
        else:
            pairs.append((name, value))
    return pairs


def _filter_body(body: Mapping[str, Any]) -> Json:
    out: Json = {}
    for name, value in body.items():
        if name in _ID_LISTS:
            out[name] = uuid_args(value, name)
        elif name in DATE_FILTERS:
            out[name] = epoch(value)
        elif name == "filter":
            out[name] = [dict(f) for f in value]
        else:
            out[name] = value
    return out


def _uuid_item(raw: Any, path: str) -> str:
    try:
        return canonical_uuid(raw)
    except (TypeError, ValueError):
        raise MappingError(SYSTEM, "contact", path, "expected a UUID") from None


def _read_contacts(answer: Any) -> list[WireContact]:
    return read_all(answer, contact_item, "contact")


def _read_contact_ids(answer: Any) -> list[str]:
    return read_all(answer, _uuid_item, "contact")


def list_contacts(
    *,
    associations: Sequence[str] = (),
    start: int = 0,
    limit: int = CONTACT_PAGE_SIZE,
    **filters: Unpack[ContactFilters],
) -> PagedList[WireContact]:
    """``GET /contacts``: contacts matching the query-string filters, page by page."""
    check_page_args(start, limit)
    pairs = _contact_filter_pairs(filters)
    expand = expand_pair(associations)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec("GET", "/contacts", query_pairs(*pairs, ("start", offset), ("limit", size), expand))

    return offset_list(build, contact_item, "contact", start, limit)


def filter_contacts(
    *,
    order: str | None = None,
    associations: Sequence[str] = (),
    start: int = 0,
    limit: int = CONTACT_PAGE_SIZE,
    **body: Unpack[ContactFilterBody],
) -> PagedList[WireContact]:
    """``POST /contacts/filter``: attribute filters and free text; a read, so it may be resent."""
    check_page_args(start, limit)
    json_body = _filter_body(body)
    expand = expand_pair(associations)

    def build(offset: int, size: int) -> RequestSpec:
        query = query_pairs(("start", offset), ("limit", size), ("order", order), expand)
        return RequestSpec("POST", "/contacts/filter", query, json_body, idempotent=True)

    return offset_list(build, contact_item, "contact", start, limit)


def _create_query(get: bool, relax: bool | None, activity: bool | None, associations: Sequence[str]) -> Any:
    return query_pairs(("get", get), ("relax", relax), ("activity", activity), expand_pair(associations))


def create_contacts(
    contacts: Sequence[Mapping[str, Any]],
    *,
    relax: bool | None = None,
    activity: bool | None = None,
    associations: Sequence[str] = (),
) -> Endpoint[list[WireContact]]:
    """``POST /contacts?get=true``: create ContactInput dicts (``{user, attributes}``); the new contacts."""
    spec = RequestSpec(
        "POST", "/contacts", _create_query(True, relax, activity, associations), {"contacts": wire_bodies(contacts)}
    )
    return Endpoint(spec, _read_contacts)


def create_contacts_ids(
    contacts: Sequence[Mapping[str, Any]], *, relax: bool | None = None, activity: bool | None = None
) -> Endpoint[list[str]]:
    """``POST /contacts`` without ``get``: the new contacts' ids."""
    spec = RequestSpec(
        "POST", "/contacts", _create_query(False, relax, activity, ()), {"contacts": wire_bodies(contacts)}
    )
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
        body["contacts"] = [{**dict(c), "id": uuid_arg(c.get("id"), "contact")} for c in contacts]
    if patch is not None:
        body["patch"] = dict(patch)
    if ids is not None:
        body["ids"] = uuid_args(ids, "contact")
    if attribute_filters is not None:
        body["filter"] = [dict(f) for f in attribute_filters]
    return Endpoint(RequestSpec("PATCH", "/contacts", body=body), read_nothing)


def bulk_delete_contacts(ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /contacts`` with ``{ids}``: soft delete."""
    return Endpoint(RequestSpec("DELETE", "/contacts", body={"ids": uuid_args(ids, "contact")}), read_nothing)


def undelete_contacts(
    *,
    deleted_gte: float | dt.datetime | None = None,
    deleted_lte: float | dt.datetime | None = None,
    ids: Sequence[IdLike] = (),
) -> Endpoint[None]:
    """``POST /contacts/undelete``: restore the contacts deleted in the range (one bound is required)."""
    if deleted_gte is None and deleted_lte is None:
        raise ValueError("deleted_gte or deleted_lte is required")
    body: Json = {"ids": uuid_args(ids, "contact")} if ids else {}
    if deleted_gte is not None:
        body["deleted_gte"] = epoch(deleted_gte)
    if deleted_lte is not None:
        body["deleted_lte"] = epoch(deleted_lte)
    return Endpoint(RequestSpec("POST", "/contacts/undelete", body=body, idempotent=False), read_nothing)


def get_contact(contact_id: IdLike, *, associations: Sequence[str] = ()) -> Endpoint[WireContact]:
    """``GET /contacts/{id}`` (``contact.attributes`` expands the attributes)."""
    return Endpoint(RequestSpec("GET", contact_path(contact_id), query_pairs(expand_pair(associations))), read_contact)


def update_contact(
    contact_id: IdLike, patch: Mapping[str, Any], *, associations: Sequence[str] = ()
) -> Endpoint[WireContact]:
    """``PATCH /contacts/{id}`` (a ContactPatch dict): attributes with an id are edited, others added."""
    spec = RequestSpec("PATCH", contact_path(contact_id), query_pairs(expand_pair(associations)), dict(patch))
    return Endpoint(spec, read_contact)


def delete_contact(contact_id: IdLike) -> Endpoint[None]:
    """``DELETE /contacts/{id}``: soft delete."""
    return Endpoint(RequestSpec("DELETE", contact_path(contact_id)), read_nothing)


def set_contact_owner(contact_id: IdLike, user_id: IdLike) -> Endpoint[WireContact]:
    """``PUT /contacts/{id}/owner``."""
    body = {"user": uuid_arg(user_id, "user")}
    return Endpoint(RequestSpec("PUT", contact_path(contact_id, "/owner"), body=body), read_contact)


def set_contact_touch(contact_id: IdLike, touch_freq: int | None) -> Endpoint[WireContact]:
    """``PATCH /contacts/{id}/touch``: the touch frequency in days (None clears it).

    Marked idempotent: it sets a value, so sending it twice leaves the same state.
    """
    spec = RequestSpec("PATCH", contact_path(contact_id, "/touch"), body={"touch_freq": touch_freq}, idempotent=True)
    return Endpoint(spec, read_contact)


def set_contact_assignees(contact_id: IdLike, assignees: Sequence[IdLike | Mapping[str, Any]]) -> Endpoint[WireContact]:
    """``PUT /contacts/{id}/assignees``: user ids (or ``{user, brand}`` dicts) replace the assignees."""
    items = [
        {"user": uuid_arg(a, "user")}
        if not isinstance(a, Mapping)
        else {**dict(a), "user": uuid_arg(a.get("user"), "user")}
        for a in assignees
    ]
    return Endpoint(RequestSpec("PUT", contact_path(contact_id, "/assignees"), body={"assignees": items}), read_contact)


def get_contact_duplicates(contact_id: IdLike) -> Endpoint[list[WireContact]]:
    """``GET /contacts/{id}/duplicates``: contacts sharing an email or phone number with it."""
    return Endpoint(RequestSpec("GET", contact_path(contact_id, "/duplicates")), _read_contacts)


def duplicate_clusters(*, start: int = 0, limit: int = CONTACT_PAGE_SIZE) -> PagedList[Json]:
    """``GET /contacts/duplicates``: clusters (plain dicts ``{id, type, contacts}``), page by page."""
    check_page_args(start, limit)

    def build(offset: int, size: int) -> RequestSpec:
        return RequestSpec("GET", "/contacts/duplicates", query_pairs(("start", offset), ("limit", size)))

    return offset_list(build, raw_item("duplicate_cluster"), "duplicate_cluster", start, limit)


def merge_into_contact(contact_id: IdLike, sub_contacts: Sequence[IdLike]) -> Endpoint[WireContact]:
    """``POST /contacts/{id}/merge``: the sub contacts' attributes move here; they are deleted."""
    body = {"sub_contacts": uuid_args(sub_contacts, "contact")}
    spec = RequestSpec("POST", contact_path(contact_id, "/merge"), body=body, idempotent=False)
    return Endpoint(spec, read_contact)


def bulk_merge_contacts(clusters: Mapping[IdLike, Sequence[IdLike]]) -> Endpoint[None]:
    """``POST /contacts/merge``: ``{parent id: [sub contact ids]}``, several merges at once."""
    body = {
        "clusters": [
            {"parent": uuid_arg(parent, "contact"), "sub_contacts": uuid_args(subs, "contact")}
            for parent, subs in clusters.items()
        ]
    }
    return Endpoint(RequestSpec("POST", "/contacts/merge", body=body, idempotent=False), read_nothing)


class Contacts:
    """``client.contacts``: contacts, and their attributes, definitions and tags."""

    def __init__(self, client: SyncAPIClient) -> None:
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


class AsyncContacts:
    """``client.contacts`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncAPIClient) -> None:
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
