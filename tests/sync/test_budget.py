"""One rate budget per vendor account: shared by instances and processes, paused for all by a 429."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmbridge.http import SharedRateLimit, SyncAPIClient
from crmbridge.sandbox import serve_sandbox_tenants
from crmbridge.sync import AccountBudget
from crmbridge.sync._budget import budget_location


class _FakeTime:
    """A wall clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _most_in_any_window(times: list[float], window: float) -> int:
    """The most events in any interval of ``window`` seconds."""
    ordered = sorted(times)
    return max(sum(1 for u in ordered if t <= u < t + window) for t in ordered)


def test_a_budget_is_shared_by_every_instance_on_its_store(tmp_path: Path) -> None:
    """Two budgets of one account (one SQLite store, two threads) together send at most the limit per window."""
    location = budget_location(tmp_path)
    times: list[float] = []

    def spend(count: int) -> None:
        with AccountBudget("acct", requests=4, per_seconds=0.5, location=location) as budget:
            for _ in range(count):
                budget.wait()
                times.append(time.monotonic())

    workers = [threading.Thread(target=spend, args=(6,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(times) == 12
    assert _most_in_any_window(times, 0.5) <= 4


def test_a_pause_holds_every_worker_of_the_account(tmp_path: Path) -> None:
    """A pause written by one budget makes another of the same account wait it out; the later end wins."""
    fake = _FakeTime()
    location = budget_location(tmp_path)
    options: dict[str, Any] = {"requests": 100, "per_seconds": 1, "location": location}
    with (
        AccountBudget("acct", sleep=fake.sleep, clock=fake.clock, **options) as first,
        AccountBudget("acct", sleep=fake.sleep, clock=fake.clock, **options) as second,
        AccountBudget("other", sleep=fake.sleep, clock=fake.clock, **options) as other,
    ):
        assert isinstance(first, SharedRateLimit)
        first.pause(30)
        second.pause(5)
        assert second.paused_until() == pytest.approx(1_030.0)
        other.wait()
        assert fake.slept == []
        second.wait()
        assert fake.slept == [pytest.approx(30.0)]
        first.pause(None)
        first.wait()
        assert fake.slept[-1] == pytest.approx(1.0)
        assert repr(first) == "AccountBudget('acct', 100/s)"


def test_a_429_with_retry_after_pauses_the_shared_budget(tmp_path: Path) -> None:
    """The HTTP core tells a shared budget of a 429's Retry-After, so every worker of the account holds off."""
    fake = _FakeTime()
    answers = iter([httpx.Response(429, headers={"retry-after": "7"}, json={}), httpx.Response(200, json={"ok": 1})])
    transport = httpx.MockTransport(lambda _request: next(answers))
    location = budget_location(tmp_path)
    with AccountBudget("acct", requests=100, per_seconds=1, location=location, sleep=fake.sleep, clock=fake.clock) as b:
        client = SyncAPIClient(base_url="http://crm.invalid", token="t" * 12, rate_limit=b, transport=transport)
        assert client.request("GET", "things") == {"ok": 1}
        assert b.paused_until() == pytest.approx(1_007.0)
        assert fake.slept == [pytest.approx(7.0)]


_WORKER = """
import sys
from crmbridge.sync import load_tenants, plan, run_shard
tenants_file, tenant, state = sys.argv[1:4]
for shard in plan(load_tenants(tenants_file).only(tenant)):
    report = run_shard(shard, state)
    assert report.failed == 0, report.failures
"""


class _Recorder:
    """ASGI middleware noting when each request reached the server."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.times.append(time.monotonic())
        await self.app(scope, receive, send)


def test_two_processes_on_one_account_stay_within_its_limit(tmp_path: Path, postgres_url: str) -> None:
    """Two worker processes writing through one account (budget in PostgreSQL) never exceed it: 0 x 429."""
    limit, window = 3, 1.0
    recorders: list[_Recorder] = []
    wrap: Callable[[Any], Any] = lambda app: recorders.append(_Recorder(app)) or recorders[-1]  # noqa: E731
    with serve_sandbox_tenants(
        tmp_path / "t",
        ("left", "right"),
        records=4,
        shared_target=True,
        account_limit=(limit, window),
        server_rate_limit=limit * 1.2,
        wrap_target=wrap,
    ) as served:
        env = {**os.environ, **served.environ}
        workers = [
            subprocess.Popen([sys.executable, "-c", _WORKER, str(served.tenants_file), name, postgres_url], env=env)
            for name in ("left", "right")
        ]
        assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
        target = served.targets["left"]
        assert target is served.targets["right"]
        assert target.faults is not None
        assert target.faults.injected.get("rate_limited", 0) == 0
        (recorder,) = recorders
        assert len(recorder.times) > 2 * limit
        assert _most_in_any_window(recorder.times, window) <= limit
        contacts = sum(served.sources[name].store.count("contacts") for name in ("left", "right"))
        assert target.store.count("leads") == contacts


def test_a_postgresql_budget_shares_its_pause_and_waits_async(postgres_url: str) -> None:
    """The PostgreSQL store holds the pause row too; the async wait takes a slot without blocking the loop."""
    fake = _FakeTime()
    options: dict[str, Any] = {"requests": 50, "per_seconds": 1, "location": budget_location(postgres_url)}
    with (
        AccountBudget("pg-acct", sleep=fake.sleep, clock=fake.clock, **options) as first,
        AccountBudget("pg-acct", sleep=fake.sleep, clock=fake.clock, **options) as second,
    ):
        first.pause(12)
        first.pause(3)
        assert second.paused_until() == pytest.approx(1_012.0)
        second.wait()
        assert fake.slept == [pytest.approx(12.0)]
        asyncio.run(second.wait_async())
        assert fake.slept == [pytest.approx(12.0)]
