"""Benchmark 6, shards: T tenants x N records, each tenant's Activix account limited to L requests/s, W workers.

Each tenant is a seeded EstatePrime sandbox moving N contacts and their communications into its
own Activix sandbox (loopback), through its own Activix account budgeted at L requests per second
(``crmbridge.sync.AccountBudget``, SQLite store: one machine). W worker processes share the
tenants (worker i runs tenants i, i+W, ...; each runs its tenants' shards with ``run_shard``).
A counting ASGI layer timestamps every request each Activix sandbox receives.

The figure, per W, is the elapsed time over the ideal: the slowest account's requests / L. The
elapsed time runs from the first request any Activix sandbox received to the last one (the
workers' start-up, a second or more of imports on a loaded machine, is reported apart). Below
W = T some accounts wait for a worker, so the ratio grows; from W = T on every account is busy at
its limit and the ratio should approach 1 (the budget's sliding window admits a burst of L at
once, so it can even dip below 1).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from starlette.types import ASGIApp

from bench._common import Row, Settings
from bench.rate_limit import RequestClock
from crmbridge.sandbox import serve_sandbox_tenants

__all__ = ["run"]

NAME = "shards"
TARGET = 1.2
"""Elapsed over ideal at W = T."""

_WORKER = """
import sys
from crmbridge.sync import load_tenants, plan, run_shard
tenants_file, state, *names = sys.argv[1:]
tenants = load_tenants(tenants_file)
for name in names:
    for shard in plan(tenants.only(name)):
        report = run_shard(shard, state)
        assert report.failed == 0, report.failures
"""


def _run_workers(tenants_file: Path, state: Path, names: list[str], workers: int, env: dict[str, str]) -> float:
    """Seconds from starting ``workers`` processes (tenants dealt round robin) to the last one ending."""
    start = time.perf_counter()
    processes = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(tenants_file), str(state), *names[i::workers]], env=env)
        for i in range(workers)
    ]
    codes = [process.wait(timeout=900) for process in processes]
    if any(codes):
        raise RuntimeError(f"a shard worker failed: exit codes {codes}")
    return time.perf_counter() - start


def _case(tenants: int, records: int, limit: float, workers: int) -> Row:
    clocks: list[RequestClock] = []

    def counted(app: ASGIApp) -> ASGIApp:
        clocks.append(RequestClock(app))
        return clocks[-1]

    names = [f"t{i}" for i in range(tenants)]
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_sandbox_tenants(
            Path(folder) / "tenants", names, records=records, account_limit=(int(limit), 1.0), wrap_target=counted
        ) as served,
    ):
        env = {**os.environ, **served.environ}
        elapsed = _run_workers(served.tenants_file, Path(folder) / "state", names, workers, env)
        leads = sum(box.store.count("leads") for box in served.targets.values())
    slowest = max(len(clock.arrivals) for clock in clocks)
    ideal = slowest / limit
    arrivals = [t for clock in clocks for t in clock.arrivals]
    span = max(arrivals) - min(arrivals)
    return Row(
        benchmark=NAME,
        case=f"T={tenants} x N={records}, L={limit:g}/s, W={workers}",
        ratio=span / ideal,
        meaning="first to last request / (slowest account's requests / L)",
        target=TARGET if workers >= tenants else None,
        comparison="<=",
        detail=f"{span:.1f} s ({elapsed:.1f} s with start-up); ideal {ideal:.1f} s ({slowest} requests at "
        f"{limit:g}/s); {leads} leads",
        raw={
            "span_s": span,
            "wall_s": elapsed,
            "ideal_s": ideal,
            "slowest_account_requests": slowest,
            "requests": len(arrivals),
            "leads": leads,
        },
    )


def run(settings: Settings) -> list[Row]:
    """One row per W: elapsed over ideal (target <= 1.2 once W >= T)."""
    if settings.quick:
        return [_case(2, 2, 20, workers) for workers in (1, 2)]
    return [_case(4, 12, 2, workers) for workers in (1, 2, 4)]
