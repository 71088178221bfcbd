"""Benchmark 3, paging: a full export of EstatePrime contacts over loopback with added latency.

The EstatePrime sandbox is served by uvicorn on 127.0.0.1 (in a thread of this process) behind
``FaultConfig(latency_ms=20)``; ``AsyncEstatePrimeClient(concurrency=c).contacts.list()`` reads
every page (page 1, then the rest ``c`` at a time). The figure is elapsed time over the ideal,
``pages * latency / concurrency``: 1.0 would be a client that costs nothing but the wait.

The store is filled by writing documents straight into ``sandbox.store`` (the contact example,
ids varied): ``seed_records=`` also generates communications and events, and its time is
reported next to the direct fill's. A second sandbox without latency gives the floor: what a
page costs on loopback (server + client CPU) when nothing waits.
"""

from __future__ import annotations

import asyncio
import copy
import statistics
import time
from typing import Any

from bench._common import Row, Settings, example
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient
from crmbridge.sandbox import FaultConfig, Sandbox, make_sandbox, serve_in_thread

__all__ = ["TARGET", "run"]

NAME = "paging"
TARGET = 1.2
"""Within 1.2 times the ideal at concurrency 8."""
PAGE_SIZE = 50
LATENCY_MS = 20.0
CONCURRENCIES = (1, 4, 8)


def fill(sandbox: Sandbox, contacts: int) -> None:
    """Put ``contacts`` copies of the contact example (ids 1..N) straight into the sandbox's store."""
    base = example("estateprime", "contact.object")
    for ident in range(1, contacts + 1):
        document = copy.deepcopy(base)
        document["id"] = ident
        sandbox.store.put("contacts", str(ident), document)


async def _export(base_url: str, token: str, concurrency: int) -> int:
    async with AsyncEstatePrimeClient(base_url=base_url, token=token, concurrency=concurrency) as client:
        count = 0
        async for _ in client.contacts.list():
            count += 1
        return count


def _timed_export(base_url: str, token: str, concurrency: int, expected: int) -> float:
    start = time.perf_counter()
    count = asyncio.run(_export(base_url, token, concurrency))
    elapsed = time.perf_counter() - start
    if count != expected:
        raise RuntimeError(f"exported {count} contacts, expected {expected}")
    return elapsed


def _seed_timing(settings: Settings, contacts: int) -> dict[str, float]:
    """Seconds to fill the store directly and through ``seed_records`` (the latter once)."""
    start = time.perf_counter()
    fill(make_sandbox("estateprime"), contacts)
    direct = time.perf_counter() - start
    start = time.perf_counter()
    make_sandbox("estateprime", seed_records=contacts, seed=1)
    seeded = time.perf_counter() - start
    return {"direct_store_fill_s": direct, "seed_records_s": seeded}


def run(settings: Settings) -> list[Row]:
    """One row per concurrency (the target applies at 8), plus the loopback floor."""
    pages = 4 if settings.quick else 200
    contacts = pages * PAGE_SIZE
    seeding = _seed_timing(settings, contacts)
    slow = make_sandbox("estateprime", faults=FaultConfig(latency_ms=LATENCY_MS))
    fast = make_sandbox("estateprime")
    fill(slow, contacts)
    fill(fast, contacts)
    rows = []
    with serve_in_thread(slow) as slow_url, serve_in_thread(fast) as fast_url:
        floor = {
            c: statistics.median(_timed_export(fast_url, fast.token, c, contacts) for _ in range(settings.reps))
            for c in CONCURRENCIES
        }
        for concurrency in CONCURRENCIES:
            samples = [_timed_export(slow_url, slow.token, concurrency, contacts) for _ in range(settings.reps)]
            elapsed = statistics.median(samples)
            ideal = pages * LATENCY_MS / 1000 / concurrency
            raw: dict[str, Any] = {
                "pages": pages,
                "contacts": contacts,
                "latency_ms": LATENCY_MS,
                "concurrency": concurrency,
                "median_elapsed_s": elapsed,
                "ideal_s": ideal,
                "no_latency_elapsed_s": floor[concurrency],
                "elapsed_samples_s": samples,
                **seeding,
            }
            rows.append(
                Row(
                    benchmark=NAME,
                    case=f"concurrency {concurrency}",
                    ratio=elapsed / ideal,
                    meaning="elapsed / ideal",
                    target=TARGET if concurrency == CONCURRENCIES[-1] else None,
                    comparison="<=",
                    detail=(
                        f"{pages} pages: {elapsed:.2f} s vs ideal {ideal:.2f} s; "
                        f"same export without latency {floor[concurrency]:.2f} s"
                    ),
                    raw=raw,
                )
            )
    return rows
