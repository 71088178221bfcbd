"""Checks around a migration: a preflight of both ends, and a circuit breaker during the run."""

from __future__ import annotations

from typing import Any

from crmbridge._cli._errors import EXIT_UNREACHABLE, UserError
from crmbridge._connection import Connection
from crmbridge.canonical import Record, Ref
from crmbridge.errors import (
    APIConnectionError,
    AuthenticationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    ServerError,
)

__all__ = ["CircuitOpen", "GuardedConnection", "preflight"]

PREFLIGHT_TIMEOUT_S = 10.0
"""How long one preflight request may take, all its attempts together."""


class CircuitOpen(Exception):
    """The target failed too many writes in a row to connect, or refused the token: the run stops.

    Not a :class:`~crmbridge.errors.CrmBridgeError` on purpose: the migration engine reports those
    per record and goes on, while this must end the run.
    """

    def __init__(self, system: str, reason: str) -> None:
        super().__init__(f"stopped: {system} {reason}")
        self.system = system


class GuardedConnection(Connection):
    """A connection whose writes trip a breaker after ``limit`` connection failures in a row (or one 401)."""

    def __init__(self, connection: Connection, limit: int) -> None:
        super().__init__(connection.backend)
        self.limit = limit
        self.in_a_row = 0

    def _guard(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            result = call(*args, **kwargs)
        except APIConnectionError as error:
            self.in_a_row += 1
            if self.in_a_row >= self.limit:
                raise CircuitOpen(
                    self.system, f"could not be reached {self.in_a_row} times in a row ({error})"
                ) from error
            raise
        except AuthenticationError as error:
            raise CircuitOpen(self.system, f"refused the credentials ({error})") from error
        self.in_a_row = 0
        return result

    def create(self, record: Record, **kwargs: Any) -> Ref:
        """Create, counting connection failures."""
        ref: Ref = self._guard(super().create, record, **kwargs)
        return ref

    def update(self, record: Record, **kwargs: Any) -> None:
        """Update, counting connection failures."""
        self._guard(super().update, record, **kwargs)


def _probe_kind(connection: Connection, kinds: list[str]) -> str:
    for kind in ("contact", *kinds):
        if kind in connection.adapter.kinds:
            return kind
    return sorted(connection.adapter.kinds)[0]


def preflight(connection: Connection, kinds: list[str], flags: tuple[str, str]) -> None:
    """Read the first record of one kind: the CRM answers, takes the token, and shows the brand/account.

    ``connection`` is a short-lived twin of the real one (few retries, a short timeout), so an
    unreachable CRM or a refused token ends the command in seconds, before any record moves;
    those errors reach the command's error handler (exit 3).
    """
    kind = _probe_kind(connection, kinds)
    try:
        next(iter(connection.list(kind, on_error="skip")), None)
    except (NotFoundError, InvalidResponseError) as error:
        system = connection.system
        raise UserError(
            f"{system} at this base URL is not its API: {error}",
            f"check {flags[1]} (or CRMBRIDGE_{system.upper()}_BASE_URL); Activix's ends in /v2, "
            "and 'crmbridge sandbox serve' prints the URL to use",
            code=EXIT_UNREACHABLE,
        ) from None
    except (ServerError, RateLimitError) as error:
        # Still failing after its retries: nothing was moved, so trying later loses nothing.
        raise UserError(
            f"{connection.system} is not answering: {error}", "re-run to resume once it answers", code=EXIT_UNREACHABLE
        ) from None
