"""Auto-paging iterators, ordered concurrent page fetching, and the client-side rate limiter."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from crmbridge.http import (
    AsyncPager,
    ItemReader,
    Page,
    PagedList,
    RateLimiter,
    RequestSpec,
    SyncPager,
    fetch_numbered_pages,
)

PAGES = {1: [1, 2], 2: [3, 4], 3: [5]}


def numbered(cursor: int | None) -> Page[int]:
    number = cursor or 1
    return Page(PAGES[number], next_cursor=number + 1 if number < 3 else None, total=5)


def test_sync_pager_walks_every_page_in_order() -> None:
    """Iterating a pager yields every item of every page, fetching pages as needed."""
    assert list(SyncPager(numbered)) == [1, 2, 3, 4, 5]
    assert [p.items for p in SyncPager(numbered).pages()] == [[1, 2], [3, 4], [5]]


def test_pager_stops_on_an_empty_page() -> None:
    """A page with no items ends the iteration even if the server offers a next cursor."""
    pager = SyncPager(lambda cursor: Page([], next_cursor=2))
    assert list(pager) == []


def test_async_pager_walks_every_page_in_order() -> None:
    """The async pager yields the same items as the sync one."""

    async def fetch(cursor: int | None) -> Page[int]:
        return numbered(cursor)

    async def collect() -> list[int]:
        return [item async for item in AsyncPager(fetch)]

    assert asyncio.run(collect()) == [1, 2, 3, 4, 5]


def test_numbered_pages_come_back_in_order_with_bounded_concurrency() -> None:
    """Pages 2..N are fetched concurrently, never more than `concurrency` at once, and yielded in order."""
    in_flight = 0
    most = 0

    async def fetch(number: int) -> Page[int]:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001 * (20 - number))  # later pages answer sooner
        in_flight -= 1
        return Page([number], total=20, raw={"total_pages": 20})

    async def collect() -> list[int]:
        pages = fetch_numbered_pages(fetch, total_pages=lambda p: p.raw["total_pages"], concurrency=4)
        return [p.items[0] async for p in pages]

    assert asyncio.run(collect()) == list(range(1, 21))
    assert most == 4


def test_numbered_pages_failure_cancels_the_rest() -> None:
    """When a page fails, the error surfaces and the pages still in flight are cancelled."""
    started: list[int] = []

    async def fetch(number: int) -> Page[int]:
        started.append(number)
        if number == 3:
            raise RuntimeError("page 3 failed")
        await asyncio.sleep(0.01)
        return Page([number], raw={"total_pages": 50})

    async def collect() -> list[int]:
        got = []
        async for page in fetch_numbered_pages(fetch, total_pages=lambda p: p.raw["total_pages"], concurrency=3):
            got.append(page.items[0])
        return got

    with pytest.raises(RuntimeError, match="page 3 failed"):
        asyncio.run(collect())
    assert max(started) <= 5


def test_concurrency_must_be_positive() -> None:
    """A concurrency below one is refused."""

    async def run() -> None:
        async for _ in fetch_numbered_pages(
            lambda n: asyncio.sleep(0, Page([])), total_pages=lambda p: 1, concurrency=0
        ):
            pass

    with pytest.raises(ValueError, match="concurrency"):
        asyncio.run(run())


def test_rate_limiter_spaces_requests_evenly() -> None:
    """At 10 requests/s, consecutive callers are booked 0.1 s apart; waiting callers do not pile up."""
    now = [100.0]
    limiter = RateLimiter(10, clock=lambda: now[0])
    assert [round(limiter.reserve(), 3) for _ in range(4)] == [0.0, 0.1, 0.2, 0.3]
    now[0] += 1.0
    assert limiter.reserve() == 0.0


def test_rate_limiter_shares_the_rate_between_threads() -> None:
    """Slots booked from several threads never collide: all bookings are distinct and 1/rate apart."""
    limiter = RateLimiter(1000, clock=lambda: 0.0)
    delays: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(50):
            delay = limiter.reserve()
            with lock:
                delays.append(delay)

    threads = [threading.Thread(target=book) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round(d * 1000) for d in delays) == list(range(200))


def test_rate_limiter_waits_sync_and_async() -> None:
    """wait() sleeps for the booked delay; wait_async() awaits it."""
    now = [0.0]
    slept: list[float] = []
    limiter = RateLimiter(2, clock=lambda: now[0])
    limiter.wait(sleep=slept.append)
    limiter.wait(sleep=slept.append)
    assert slept == [0.5]
    asyncio.run(RateLimiter(1000).wait_async())
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(0)


def _offset_build(offset: int, size: int) -> RequestSpec:
    return RequestSpec("GET", "/things", (("start", offset), ("limit", size)))


def _offset_read(answer: Any, item: ItemReader[Any], kind: str, cursor: int, size: int) -> Page[Any]:
    items = [item(raw, f"{kind}[{index}]") for index, raw in enumerate(answer)]
    return Page(items, next_cursor=cursor + size if len(items) == size else None)


def test_paged_list_builds_each_page_request_from_its_cursor_and_size() -> None:
    """A PagedList's spec starts at ``first`` and builds each request from the cursor and page size."""
    paged = PagedList(_offset_build, _offset_read, lambda raw, path: raw * 10, "thing", 4, 2)
    spec = paged.spec()
    assert spec.first == 4
    assert spec.build(6).params == (("start", 6), ("limit", 2))
    page = spec.read([1, 2], 6)
    assert page.items == [10, 20]
    assert page.next_cursor == 8
    assert spec.read([3], 8).next_cursor is None


def test_paged_list_raw_keeps_items_as_sent_and_the_rest_of_the_list() -> None:
    """``raw()`` swaps only the item reader: items come back as sent, non-objects included."""
    paths: list[str] = []

    def item(raw: Any, path: str) -> int:
        paths.append(path)
        return int(raw)

    paged = PagedList(_offset_build, _offset_read, item, "thing", 0, 3)
    assert paged.read(["1", "2", "3"], 0).items == [1, 2, 3]
    assert paths == ["thing[0]", "thing[1]", "thing[2]"]
    raw = paged.raw()
    assert raw.read([{"a": 1}, 42, None], 0).items == [{"a": 1}, 42, None]
    assert (raw.build, raw.kind, raw.first, raw.size) == (paged.build, "thing", 0, 3)
    assert raw.with_items(item).read(["7"], 3).items == [7]
