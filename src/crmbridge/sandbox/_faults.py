"""Fault injection for the sandboxes: latency, random failures and a server-side rate limit."""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "ALL_FAULT_KINDS",
    "FAULT_KINDS",
    "DroppedConnection",
    "FaultConfig",
    "FaultInjector",
    "SimulatedTimeout",
    "TokenBucket",
]

FaultKind = Literal["429", "500", "503", "drop", "timeout", "truncate", "lost"]
FAULT_KINDS: tuple[FaultKind, ...] = ("429", "500", "503", "drop", "timeout", "truncate")
"""The faults injected by default. All but ``truncate`` refuse the request before the sandbox
applies it; ``truncate`` applies it and cuts the answer's body in half (a connection that died
mid-body: the server did the work, the client cannot read what it did)."""
ALL_FAULT_KINDS: tuple[FaultKind, ...] = (*FAULT_KINDS, "lost")
"""Also ``lost``: the sandbox APPLIES the request, then drops the connection before answering (the
client cannot know whether its write happened: what exactly-once reconciliation is for)."""


class DroppedConnection(Exception):
    """Raised inside the app to drop the connection without an answer."""


class SimulatedTimeout(Exception):
    """Raised inside the app to make the client see a read timeout."""


@dataclass(frozen=True)
class FaultConfig:
    """What a sandbox does wrong on purpose.

    - ``latency_ms``: added to every request;
    - ``error_rate``: share of requests (0..1) that fail with one of ``kinds``;
    - ``rate_limit``: requests per second above which the sandbox answers 429 with Retry-After;
    - ``seed``: makes the sequence of failures reproducible.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit: float | None = None
    kinds: tuple[FaultKind, ...] = FAULT_KINDS
    retry_after_s: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be positive")
        unknown = set(self.kinds) - set(ALL_FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {', '.join(ALL_FAULT_KINDS)}")


class TokenBucket:
    """``rate`` tokens per second, holding at most ``rate`` (one second of burst)."""

    def __init__(self, rate: float, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token; False when the bucket is empty (the request is over the limit)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


class FaultInjector:
    """ASGI middleware that applies a :class:`FaultConfig` in front of a sandbox app.

    It counts what it did in ``injected`` (by fault kind, plus ``"rate_limited"``), so tests can
    report how many faults a run survived.
    """

    def __init__(self, app: ASGIApp, config: FaultConfig) -> None:
        self.app = app
        self.config = config
        self._random = random.Random(config.seed)
        self._bucket = TokenBucket(config.rate_limit) if config.rate_limit else None
        self.injected: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.injected[what] = self.injected.get(what, 0) + 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._bucket is not None and not self._bucket.take():
            self._count("rate_limited")
            await _send_json(send, 429, {"message": "Too Many Requests"}, {"retry-after": "1"})
            return
        if self.config.latency_ms:
            await asyncio.sleep(self.config.latency_ms / 1000)
        if self.config.error_rate and self._random.random() < self.config.error_rate:
            kind = self._random.choice(self.config.kinds)
            self._count(kind)
            await self._fail(kind, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _fail(self, kind: FaultKind, scope: Scope, receive: Receive, send: Send) -> None:
        if kind == "429":
            await _send_json(
                send, 429, {"message": "Too Many Requests"}, {"retry-after": str(self.config.retry_after_s)}
            )
        elif kind in ("500", "503"):
            await _send_json(send, int(kind), {"message": "Internal Error"}, {})
        elif kind == "drop":
            raise DroppedConnection("connection dropped by the sandbox")
        elif kind == "timeout":
            raise SimulatedTimeout("the sandbox did not answer in time")
        elif kind == "lost":
            await self._apply(scope, receive)
            raise DroppedConnection("the sandbox applied the request and dropped the connection")
        else:
            status, body = await self._apply(scope, receive)
            await _send_raw(send, status, body[: len(body) // 2])

    async def _apply(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        """Run the request through the sandbox and keep its answer from the client: (status, body)."""
        answer: dict[str, Any] = {"status": 500, "body": b""}

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        await self.app(scope, receive, keep)
        return int(answer["status"]), bytes(answer["body"])


async def _send_json(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    await _send_raw(send, status, json.dumps(body).encode(), headers)


async def _send_raw(send: Send, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    start: Message = {"type": "http.response.start", "status": status, "headers": raw_headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
