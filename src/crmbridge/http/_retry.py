"""When and how long to wait before sending a request again."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from crmbridge.errors import APIConnectionError, APIStatusError, InvalidResponseError

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "is_connect_failure", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How a client retries (with stamina: exponential backoff with jitter).

    - ``attempts``: total tries of one request, the first included;
    - ``timeout``: seconds all tries of one request may take together;
    - ``wait_initial``/``wait_max``/``wait_jitter``: the backoff between tries;
    - ``max_retry_after``: the longest ``Retry-After`` the client waits for; a CRM asking for
      more gets its error raised instead (waiting less than asked would only bounce again).
    """

    attempts: int = 8
    timeout: float = 120.0
    wait_initial: float = 0.2
    wait_max: float = 10.0
    wait_jitter: float = 0.5
    max_retry_after: float = 60.0

    def decide(self, error: Exception) -> bool | float:
        """stamina's backoff hook: False = do not retry, True = back off, a float = wait this long.

        Only errors that leave a request safe to send again are retried: connection failures,
        timeouts, cut-off bodies and 408/425/429/5xx of idempotent requests (non-idempotent
        writes surface those as :class:`AmbiguousWriteError`, which is never retried), and
        failures proven to happen before a write reached the CRM.
        """
        if isinstance(error, APIStatusError):
            if error.status_code not in RETRYABLE_STATUSES:
                return False
            if error.retry_after is None:
                return True
            return error.retry_after if error.retry_after <= self.max_retry_after else False
        # AmbiguousWriteError is neither of these, so an ambiguous write is never retried.
        return isinstance(error, APIConnectionError | InvalidResponseError)


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    # ASCII digits only: "²" and "٣" pass str.isdigit() but are no delta-seconds (nor floats).
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
        if when.tzinfo is None:
            return None
        return max(0.0, when.timestamp() - now())
    except (TypeError, ValueError, IndexError, OverflowError):  # not a date, or one no datetime can hold
        return None


def is_connect_failure(error: httpx.TransportError) -> bool:
    """True when the request certainly never reached the server (the connection did not open)."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
