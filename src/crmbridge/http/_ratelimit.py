"""A client-side rate limit, so a job stays under a CRM's limit instead of bouncing off it."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["RateLimiter", "SharedRateLimit"]


@runtime_checkable
class SharedRateLimit(Protocol):
    """A rate limit kept outside the client (shared by processes), given to a client as ``rate_limit=``.

    ``wait``/``wait_async`` block until the caller may send; ``pause`` is told when the CRM answered
    429 with ``Retry-After`` (``seconds``, None when absent), so that every client drawing on the same
    budget holds off, not only the one that was refused.
    """

    def wait(self) -> None: ...

    async def wait_async(self) -> None: ...

    def pause(self, seconds: float | None) -> None: ...


class RateLimiter:
    """Spaces requests evenly at ``rate`` per second, across threads and tasks.

    Each caller books the next free slot and waits for it, so concurrent callers share the rate
    instead of each getting all of it. Even spacing (no bursts) keeps a client under a server
    limit measured over any window.
    """

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = float("-inf")
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next slot; the seconds to wait for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now

    def wait(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """Block until this caller's slot."""
        delay = self.reserve()
        if delay > 0:
            sleep(delay)

    async def wait_async(self) -> None:
        """Wait (without blocking the event loop) until this caller's slot."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
