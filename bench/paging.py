"""Benchmark 3, paging: a full export of EstatePrime contacts over loopback with added latency.

The EstatePrime sandbox is served by uvicorn on 127.0.0.1 behind ``FaultConfig(latency_ms=20)``,
in a process of its own (``python -m bench.paging --serve ...``), as a real server would be: a
server in a thread of the measuring process would compete with the client for the GIL, and the
figure would measure the sandbox as much as the client.
``AsyncEstatePrimeClient(concurrency=c).contacts.list()`` reads every page (page 1, then the rest
``c`` at a time). The figure is elapsed time over the ideal, ``pages * latency / concurrency``:
1.0 would be a client that costs nothing but the wait.

The store is filled by writing documents straight into ``sandbox.store`` (the contact example,
ids varied): ``seed_records=`` also generates communications and events, and its time is
reported next to the direct fill's. A second server without latency gives the floor: what a
page costs on loopback (server + client CPU) when nothing waits. Each row also records the CPU
time the client process spent, and the row of the highest concurrency the same export with the
items kept as raw JSON objects (``raw_list_spec``): what the HTTP transport alone costs.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench._common import REPO, Row, Settings, example
from crmbridge.adapters.estateprime.client import CONTACTS, AsyncEstatePrimeClient, raw_list_spec
from crmbridge.sandbox import FaultConfig, Sandbox, make_sandbox

__all__ = ["TARGET", "run"]

NAME = "paging"
TARGET = 1.2
"""Within 1.2 times the ideal at concurrency 8."""
PAGE_SIZE = 50
LATENCY_MS = 20.0
CONCURRENCIES = (1, 4, 8)
STARTUP_S = 60.0


def fill(sandbox: Sandbox, contacts: int) -> None:
    """Put ``contacts`` copies of the contact example (ids 1..N) straight into the sandbox's store."""
    base = example("estateprime", "contact.object")
    for ident in range(1, contacts + 1):
        document = copy.deepcopy(base)
        document["id"] = ident
        sandbox.store.put("contacts", str(ident), document)


async def _export(base_url: str, token: str, concurrency: int, *, raw_items: bool = False) -> int:
    async with AsyncEstatePrimeClient(base_url=base_url, token=token, concurrency=concurrency) as client:
        # raw_items: the same requests, with each item kept as the JSON object it is (what the
        # connection backend lists): the cost of the transport alone, without the wire objects.
        pager = client.pager(raw_list_spec(CONTACTS, {}, client.clock)) if raw_items else client.contacts.list()
        count = 0
        async for _ in pager:
            count += 1
        return count


def _timed_export(
    base_url: str, token: str, concurrency: int, expected: int, *, raw_items: bool = False
) -> tuple[float, float]:
    """Elapsed seconds of one export, and the CPU seconds this (client) process spent on it."""
    start, cpu = time.perf_counter(), time.process_time()
    count = asyncio.run(_export(base_url, token, concurrency, raw_items=raw_items))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if count != expected:
        raise RuntimeError(f"exported {count} contacts, expected {expected}")
    return elapsed, cpu


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def serve(contacts: int, latency_ms: float) -> None:
    """The server process: fill a sandbox, serve it on a free loopback port until stopped.

    The first line on stdout is JSON, ``{"port": ..., "token": ...}``, written once uvicorn
    listens.
    """
    import uvicorn

    sandbox = make_sandbox("estateprime", faults=FaultConfig(latency_ms=latency_ms))
    fill(sandbox, contacts)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # uvicorn binds the port itself: handing it a socket bound here made every request of a
    # single connection wait about 40 ms more (measured: 11 s instead of 3 s for 200 pages).
    config = uvicorn.Config(sandbox.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            time.sleep(0.01)
        print(json.dumps({"port": port, "token": sandbox.token}), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()


@contextmanager
def served(contacts: int, latency_ms: float) -> Iterator[tuple[str, str]]:
    """Run :func:`serve` in a child process; yields ``(base_url, token)``, stops the child after."""
    command = [sys.executable, "-m", "bench.paging", "--serve", str(contacts), "--latency-ms", str(latency_ms)]
    child = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], STARTUP_S)
        line = child.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"the sandbox server did not start within {STARTUP_S:.0f} s")
        where = json.loads(line)
        yield f"http://127.0.0.1:{where['port']}", where["token"]
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


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
    rows = []
    with served(contacts, LATENCY_MS) as (slow_url, slow_token), served(contacts, 0.0) as (fast_url, fast_token):
        floor = {
            c: _medians([_timed_export(fast_url, fast_token, c, contacts) for _ in range(settings.reps)])[0]
            for c in CONCURRENCIES
        }
        top = CONCURRENCIES[-1]
        transport = _medians(
            [_timed_export(slow_url, slow_token, top, contacts, raw_items=True) for _ in range(settings.reps)]
        )
        for concurrency in CONCURRENCIES:
            measured = [_timed_export(slow_url, slow_token, concurrency, contacts) for _ in range(settings.reps)]
            samples = [elapsed for elapsed, _ in measured]
            elapsed, client_cpu = _medians(measured)
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
                "client_cpu_s": client_cpu,
                "server": "uvicorn on 127.0.0.1, in a process of its own",
                **seeding,
            }
            detail = (
                f"{pages} pages: {elapsed:.2f} s vs ideal {ideal:.2f} s; "
                f"same export without latency {floor[concurrency]:.2f} s; client CPU {client_cpu:.2f} s"
            )
            if concurrency == top:
                raw["raw_items_elapsed_s"], raw["raw_items_client_cpu_s"] = transport
                detail += f" (items kept raw: {transport[0]:.2f} s, CPU {transport[1]:.2f} s)"
            rows.append(
                Row(
                    benchmark=NAME,
                    case=f"concurrency {concurrency}",
                    ratio=elapsed / ideal,
                    meaning="elapsed / ideal",
                    target=TARGET if concurrency == top else None,
                    comparison="<=",
                    detail=detail,
                    raw=raw,
                )
            )
    return rows


def main() -> None:
    """``python -m bench.paging --serve CONTACTS --latency-ms MS``: the server process of :func:`served`."""
    parser = argparse.ArgumentParser(description=(main.__doc__ or "").splitlines()[0])
    parser.add_argument("--serve", type=int, required=True, metavar="CONTACTS")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    serve(args.serve, args.latency_ms)


if __name__ == "__main__":
    main()
