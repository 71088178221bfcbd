"""Auto-paging iterators, ordered concurrent page fetching, and the client-side rate limiter."""

from __future__ import annotations

import asyncio
import threading

import pytest

from crmbridge.http import AsyncPager, Page, RateLimiter, SyncPager, fetch_numbered_pages

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
