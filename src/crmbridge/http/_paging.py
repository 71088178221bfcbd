"""Iterators that page on their own, sync and async, plus ordered concurrent page fetching."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["AsyncPager", "Page", "SyncPager", "fetch_numbered_pages"]

T = TypeVar("T")


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
