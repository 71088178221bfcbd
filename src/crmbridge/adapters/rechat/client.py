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
:class:`RequestSpec` plus the shared reader of its answer) or, for lists, a
:class:`~crmbridge.http.PagedList`. The sync and async classes only send specs and apply readers.
Each resource (its builders and its two classes) has its own module under ``_resources/``
(``tasks``, ``task_associations``, ``contacts``, ``contact_attributes``, ``attribute_defs``,
``tags``, ``contact_imports``); this module holds the two clients and re-exports the rest.

Answers come back as the attrs classes of :mod:`crmbridge.adapters.rechat.wire` (``WireTask``,
``WireContact``, ``WireAssociation``), structured with the wire converter; an answer that does
not fit raises :class:`MappingError`. Objects ``wire.py`` does not model (attribute definitions,
tags, duplicate clusters, import jobs) are plain JSON dicts.

Paging is offset based (``start``/``limit``): a list stops when ``start + info.count >=
info.total`` or when a page is empty (``info.total`` is 0 when Rechat skips counting, and then
only an empty page ends the list).
"""

from __future__ import annotations

import time
from typing import Any, Final

import httpx

from crmbridge.adapters.rechat._resources._shared import (
    SYSTEM,
    IdLike,
    raw_data,
    raw_item,
    read_all,
    read_one,
    read_page,
    uuid_arg,
)
from crmbridge.adapters.rechat._resources.attribute_defs import (
    create_attribute_def,
    delete_attribute_def,
    get_attribute_def,
    list_attribute_defs,
    update_attribute_def,
)
from crmbridge.adapters.rechat._resources.contact_attributes import (
    add_contact_attributes,
    bulk_add_attributes,
    bulk_delete_attributes,
    delete_contact_attribute,
    update_contact_attribute,
)
from crmbridge.adapters.rechat._resources.contact_imports import (
    IMPORT_FILE_FIELD,
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
from crmbridge.adapters.rechat._resources.contacts import (
    CONTACT_PAGE_SIZE,
    AsyncContacts,
    ContactFilterBody,
    ContactFilters,
    Contacts,
    bulk_delete_contacts,
    bulk_merge_contacts,
    bulk_update_contacts,
    create_contacts,
    create_contacts_ids,
    delete_contact,
    duplicate_clusters,
    filter_contacts,
    get_contact,
    get_contact_duplicates,
    list_contacts,
    merge_into_contact,
    set_contact_assignees,
    set_contact_owner,
    set_contact_touch,
    undelete_contacts,
    update_contact,
)
from crmbridge.adapters.rechat._resources.tags import (
    create_tag,
    delete_tag,
    list_tags,
    rename_tag,
    set_tag_touch,
)
from crmbridge.adapters.rechat._resources.task_associations import (
    add_task_association,
    add_task_associations,
    list_task_associations,
    remove_task_association,
    remove_task_associations,
)
from crmbridge.adapters.rechat._resources.tasks import (
    TASK_PAGE_SIZE,
    AsyncTasks,
    TaskFilters,
    Tasks,
    clone_task,
    create_task,
    delete_task,
    get_task,
    list_tasks,
    search_tasks,
    set_task_status,
    update_task,
)
from crmbridge.errors import AuthenticationError, ServerError
from crmbridge.http import AsyncAPIClient, PagedList, RetryPolicy, SyncAPIClient

__all__ = [
    "BRAND_CHECKED_FIRST",
    "CONTACT_PAGE_SIZE",
    "DEFAULT_BASE_URL",
    "IMPORT_FILE_FIELD",
    "TASK_PAGE_SIZE",
    "TOKEN_CHECK",
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
    "add_task_associations",
    "bulk_add_attributes",
    "bulk_delete_attributes",
    "bulk_delete_contacts",
    "bulk_merge_contacts",
    "bulk_update_contacts",
    "create_attribute_def",
    "create_contacts",
    "create_contacts_ids",
    "create_tag",
    "clone_task",
    "create_task",
    "delete_attribute_def",
    "delete_contact",
    "delete_contact_attribute",
    "delete_tag",
    "delete_task",
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
    "read_all",
    "read_one",
    "read_page",
    "remove_task_association",
    "remove_task_associations",
    "rename_tag",
    "search_tasks",
    "set_contact_assignees",
    "set_contact_owner",
    "set_contact_touch",
    "set_tag_touch",
    "set_task_status",
    "undelete_contacts",
    "update_attribute_def",
    "update_contact",
    "update_contact_attribute",
    "update_task",
    "upload_contacts_file",
]

DEFAULT_BASE_URL: Final = "https://api.rechat.com"

OffsetList = PagedList
"""Rechat's lists are :class:`~crmbridge.http.PagedList` s whose cursor is the ``start`` offset
(the name the Rechat lists had before the paging of every CRM became one class)."""


BRAND_CHECKED_FIRST: Final = frozenset({("GET", "/crm/tasks"), ("DELETE", "/crm/tasks")})
"""Routes where Rechat checks the brand before the token: an expired token answers 500 there."""
TOKEN_CHECK: Final = ("GET", "/crm/tasks/search", [("limit", 1)])
"""A cheap request where Rechat checks the token first (401 when it is refused)."""
_TOKEN_CONFIRMED_FOR: Final = 60.0
# Seconds a passed token check covers, so a retried 500 checks once, not on every attempt.


class _TokenCheck:
    """Whether a 500 from a brand-first route needs the token checked (once, then remembered)."""

    def __init__(self) -> None:
        self._confirmed_until = 0.0

    def wanted(self, error: Exception, method: str, path: str) -> bool:
        """True for a 500 from a brand-first route while no recent check vouches for the token."""
        brand_first = (method, "/" + path.strip("/")) in BRAND_CHECKED_FIRST
        is_500 = isinstance(error, ServerError) and error.status_code == 500
        return brand_first and is_500 and time.monotonic() >= self._confirmed_until

    def passed(self) -> None:
        """Remember that the token was accepted just now."""
        self._confirmed_until = time.monotonic() + _TOKEN_CONFIRMED_FOR


def _brand_headers(brand: IdLike | None) -> dict[str, str]:
    if brand is None:
        return {}
    return {"X-RECHAT-BRAND": uuid_arg(brand, "brand")}


class RechatClient(SyncAPIClient):
    """A blocking Rechat client: ``client.tasks`` and ``client.contacts``.

    ``brand`` (a UUID) goes in ``X-RECHAT-BRAND``; without it Rechat uses the user's default brand.
    On ``GET``/``DELETE /crm/tasks`` Rechat checks the brand before the token, so an expired token
    answers 500 there: the client then checks the token once (``TOKEN_CHECK``) and raises
    :class:`~crmbridge.errors.AuthenticationError` when it is refused, instead of retrying the 500.
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
        self._token_check = _TokenCheck()

    def _send_once(self, method: str, path: str, params: Any, extra: dict[str, Any], safe: bool) -> Any:
        """One attempt; a 500 from a brand-first route first checks the token (see the class docstring)."""
        try:
            return super()._send_once(method, path, params, extra, safe)
        except ServerError as error:
            if self._token_check.wanted(error, method, path):
                check_method, check_path, check_params = TOKEN_CHECK
                try:
                    super()._send_once(check_method, check_path, check_params, {}, True)
                except AuthenticationError as refused:
                    raise refused from error  # not retried: the token, not the server, is at fault
                except Exception:  # the check failing otherwise says nothing of the token: the 500 stands
                    pass
                else:
                    self._token_check.passed()
            raise


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
        self._token_check = _TokenCheck()

    async def _send_once(self, method: str, path: str, params: Any, extra: dict[str, Any], safe: bool) -> Any:
        """One attempt; a 500 from a brand-first route first checks the token (see :class:`RechatClient`)."""
        try:
            return await super()._send_once(method, path, params, extra, safe)
        except ServerError as error:
            if self._token_check.wanted(error, method, path):
                check_method, check_path, check_params = TOKEN_CHECK
                try:
                    await super()._send_once(check_method, check_path, check_params, {}, True)
                except AuthenticationError as refused:
                    raise refused from error  # not retried: the token, not the server, is at fault
                except Exception:  # the check failing otherwise says nothing of the token: the 500 stands
                    pass
                else:
                    self._token_check.passed()
            raise
