"""Benchmark 5, rate limit: a migration into a CRM that allows N requests per second.

EstatePrime (sandbox in-process, seeded) is migrated into an Activix sandbox served on loopback
behind ``FaultConfig(rate_limit=N)`` (a token bucket answering 429 above N/s), through an Activix
connection made with ``rate_limit=N``. A counting ASGI layer in front of the Activix sandbox
timestamps every request that reaches it (429s included). The figure is the achieved rate over
the migration (requests - 1 over first-to-last request time) divided by N; the 429s are the
sandbox's own count (``FaultInjector.injected["rate_limited"]``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

import crmbridge
from bench._common import Row, Settings
from crmbridge import Ref
from crmbridge.sandbox import FaultConfig, make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, migrate

__all__ = ["RequestClock", "run"]

NAME = "rate_limit"
TARGET = 0.9
RATE = 20.0
"""N, requests per second (the sandbox's limit and the connection's)."""
USERS = range(1, 60)


class RequestClock:
    """ASGI middleware that records when each HTTP request arrived."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrivals: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.arrivals.append(time.perf_counter())
        await self.app(scope, receive, send)


def run(settings: Settings) -> list[Row]:
    """One row: achieved requests/s over N (target 0.9, and no 429)."""
    contacts = 10 if settings.quick else 200
    source_box = make_sandbox("estateprime", seed_records=contacts, seed=5)
    target_box = make_sandbox("activix", faults=FaultConfig(rate_limit=RATE))
    clock = RequestClock(target_box.app)
    target_box.app = clock
    with tempfile.TemporaryDirectory() as folder, serve_in_thread(target_box) as url:
        options: dict[str, Any] = {**target_box.client_options(), "base_url": f"{url}/v2", "transport": None}
        source = crmbridge.connect("estateprime", **source_box.client_options())
        with crmbridge.connect(
            "activix", **options, rate_limit=RATE, default_lead_type="web_order", default_region="US"
        ) as target:
            users = [Ref("activix", "user", str(u["id"])) for u in target.lookups()["account"][0]["users"]]
            links = {Ref("estateprime", "user", str(i)): users[i % len(users)] for i in USERS}
            state = StateStore(Path(folder) / "state.db")
            start = time.perf_counter()
            report = migrate(source=source, target=target, kinds=["contact"], state=state, links=links)
            elapsed = time.perf_counter() - start
            state.close()
        source.close()
    during = [t for t in clock.arrivals if t >= start]
    span = during[-1] - during[0] if len(during) > 1 else float("nan")
    achieved = (len(during) - 1) / span if len(during) > 1 else 0.0
    rejected = (target_box.faults.injected if target_box.faults else {}).get("rate_limited", 0)
    counts = report.kinds["contact"]
    return [
        Row(
            benchmark=NAME,
            case=f"migrate {contacts} contacts, N={RATE:g}/s",
            ratio=achieved / RATE,
            meaning="achieved requests/s / N (and no 429)",
            target=TARGET,
            detail=f"{len(during)} requests in {span:.1f} s = {achieved:.1f}/s; 429s: {rejected}; "
            f"created {counts.created}",
            raw={
                "limit_per_s": RATE,
                "requests": len(during),
                "span_s": span,
                "migration_s": elapsed,
                "achieved_per_s": achieved,
                "rate_limited_429": rejected,
                "created": counts.created,
                "failed": counts.failed,
            },
            also_required=rejected == 0,
        )
    ]
