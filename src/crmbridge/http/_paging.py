"""Iterators that page on their own, sync and async, ordered concurrent page fetching, and the
list endpoints they page through (:class:`PagedList`, one shape for offset and page-number paging)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from crmbridge.http._endpoint import PagedSpec, RequestSpec

__all__ = [
    "AsyncPager",
    "ItemReader",
    "Page",
    "PageReader",
    "PagedList",
    "SyncPager",
    "fetch_numbered_pages",
    "listed_item",
]

T = TypeVar("T")
U = TypeVar("U")

ItemReader = Callable[[Any, str], T]
"""Reads one item of a list answer; the second argument is its path (``data[3]``) for errors."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, the cursor of the next page (None at the end), the total."""

    items: list[T]
    next_cursor: Any = None
    total: int | None = None
    raw: Any = field(default=None, repr=False, compare=False)


class SyncPager(Generic[T]):
    """Iterate items across pages: ``for contact in client.contacts.list(): ...``.

    ``fetch(cursor)`` returns a :class:`Page`; the first call gets ``first_cursor``. Use
    :meth:`pages` for page-level access.
    """

    def __init__(self, fetch: Callable[[Any], Page[T]], first_cursor: Any = None) -> None:
        self._fetch = fetch
        self._first = first_cursor

    def pages(self) -> Iterator[Page[T]]:
        """Every page, fetched as the iteration reaches it."""
        cursor = self._first
        while True:
            page = self._fetch(cursor)
            yield page
            if page.next_cursor is None or not page.items:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.items


class AsyncPager(Generic[T]):
    """The async twin of :class:`SyncPager`: ``async for contact in client.contacts.list(): ...``.

    ``pages`` may be replaced by a faster strategy (e.g. :func:`fetch_numbered_pages`).
    """

    def __init__(
        self,
        fetch: Callable[[Any], Awaitable[Page[T]]],
        first_cursor: Any = None,
        pages: Callable[[], AsyncIterator[Page[T]]] | None = None,
    ) -> None:
        self._fetch = fetch
        self._first = first_cursor
        self._pages = pages

    def pages(self) -> AsyncIterator[Page[T]]:
        """Every page, in order."""
        if self._pages is not None:
            return self._pages()
        return self._sequential_pages()

    async def _sequential_pages(self) -> AsyncIterator[Page[T]]:
        cursor = self._first
        while True:
            page = await self._fetch(cursor)
            yield page
            if page.next_cursor is None or not page.items:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item


async def fetch_numbered_pages(
    fetch: Callable[[int], Awaitable[Page[T]]],
    *,
    total_pages: Callable[[Page[T]], int],
    concurrency: int = 4,
) -> AsyncIterator[Page[T]]:
    """Fetch page 1, then pages 2..N concurrently (at most ``concurrency`` at once), in order.

    Only ``concurrency`` pages are ever in flight or waiting to be yielded, so memory stays
    bounded however many pages there are. If a page fails, the pages after it are cancelled.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    first = await fetch(1)
    yield first
    last = total_pages(first)
    pending: deque[asyncio.Task[Page[T]]] = deque()
    next_number = 2
    try:
        while next_number <= last or pending:
            while next_number <= last and len(pending) < concurrency:
                pending.append(asyncio.ensure_future(fetch(next_number)))
                next_number += 1
            yield await pending.popleft()
    finally:
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def listed_item(raw: Any, path: str) -> Any:
    """The item reader of the raw listings behind a connection: every item is kept as it came.

    A listing translates its items one by one, so an item that is not a JSON object (``42``,
    ``"x"``, ``null`` in the ``data`` array) is handed on as it is: translating it fails for that
    item alone (a :class:`~crmbridge.errors.MappingError` of the system and kind, path ``""``,
    reported at the item's position by ``Connection.list``), and the page's other items are still
    read. A reader that refused it here would refuse the whole page.
    """
    del path
    return raw


class PageReader(Protocol):
    """Reads one page of a list answer: its items (through ``item``) and the next cursor."""

    def __call__(self, answer: Any, item: ItemReader[U], kind: str, cursor: int, size: int) -> Page[U]:
        """The page ``answer`` holds, requested at ``cursor`` with ``size`` items a page."""
        ...


@dataclass(frozen=True)
class PagedList(Generic[T]):
    """A list endpoint paged by an integer cursor and a page size.

    The cursor is whatever the CRM pages by: an offset (Rechat's ``start``/``limit``) or a page
    number (Activix's ``page``/``per_page``). ``build(cursor, size)`` makes one page's request,
    ``read_page`` reads its answer with ``item`` (errors name ``kind``); the list begins at
    ``first``.
    """

    build: Callable[[int, int], RequestSpec]
    read_page: PageReader
    item: ItemReader[T]
    kind: str
    first: int
    size: int

    def at(self, cursor: int) -> RequestSpec:
        """The request of the page at ``cursor``."""
        return self.build(cursor, self.size)

    def read(self, answer: Any, cursor: int) -> Page[T]:
        """The page an answer holds; its ``next_cursor`` is the next cursor (None at the end)."""
        return self.read_page(answer, self.item, self.kind, cursor, self.size)

    def with_items(self, item: ItemReader[U]) -> PagedList[U]:
        """The same list, its items read by ``item``."""
        return PagedList(self.build, self.read_page, item, self.kind, self.first, self.size)

    def raw(self) -> PagedList[Any]:
        """The same list with items kept as the raw JSON sent (what a connection backend needs).

        An item that is not a JSON object is kept too (see :func:`listed_item`), so that
        translating it fails for that item alone and the rest of its page is still read.
        """
        return self.with_items(listed_item)

    def spec(self) -> PagedSpec[T]:
        """The list as the HTTP client pages it."""
        return PagedSpec(build=self.at, read=self.read, first=self.first)
