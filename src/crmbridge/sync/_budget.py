"""One rate budget per vendor account, shared by every process that draws on it.

The budget is a pyrate-limiter sliding-window bucket kept in a database every worker reaches: the
state store's PostgreSQL (a ``postgresql://`` location: workers on many machines), or a SQLite file
guarded by a file lock (a plain path: workers on one machine). Beside the bucket sits one row per
account saying until when the account is *paused*: a worker answered 429 with ``Retry-After``
writes it, and every worker of that account waits it out before its next request, so one refusal
stops them all instead of each running into its own.

An :class:`AccountBudget` is what the HTTP core takes as ``rate_limit=`` (it is a
:class:`crmbridge.http.SharedRateLimit`).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pyrate_limiter import Limiter, PostgresBucket, Rate, SQLiteBucket
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmbridge.sync._state import engine_url

__all__ = ["DEFAULT_PAUSE", "AccountBudget", "budget_location"]

DEFAULT_PAUSE = 1.0
"""Seconds every worker of an account holds off after a 429 that gave no Retry-After."""

_metadata = sa.MetaData()
rate_pauses = sa.Table(
    "crmbridge_rate_pauses",
    _metadata,
    sa.Column("account", sa.String(60), primary_key=True),
    sa.Column("until", sa.Float, nullable=False),
)


def _is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://", "postgresql+"))


def budget_location(state: str | Path) -> str:
    """Where the budgets of a state location live: the same PostgreSQL, or ``rate-budget.db`` in the state folder."""
    text = str(state)
    if _is_postgres(text):
        return text
    return str(Path(text) / "rate-budget.db")


def _table(account: str) -> str:
    return "budget_" + re.sub(r"[^a-z0-9_]", "_", account.lower())


def _postgres_bucket(location: str, table: str, rates: list[Rate]) -> tuple[PostgresBucket, Any]:
    from psycopg_pool import ConnectionPool

    conninfo = "postgresql://" + location.split("://", 1)[1]
    pool = ConnectionPool(conninfo, min_size=1, max_size=2, open=True)
    return PostgresBucket(pool, table, rates), pool


class AccountBudget:
    """The shared rate budget of one vendor account: ``requests`` per ``per_seconds``, and its pause."""

    def __init__(
        self,
        account: str,
        *,
        requests: int,
        per_seconds: float,
        location: str | Path,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.rate = requests / per_seconds
        self._sleep = sleep
        self._clock = clock
        rates = [Rate(requests, int(per_seconds * 1000))]
        text = str(location)
        self._pool: Any = None
        if _is_postgres(text):
            bucket, self._pool = _postgres_bucket(text, _table(account), rates)
            self._engine = sa.create_engine(engine_url(text))
            self._limiter = Limiter(bucket)
        else:
            Path(text).parent.mkdir(parents=True, exist_ok=True)
            self._limiter = Limiter(
                SQLiteBucket.init_from_file(rates, table=_table(account), db_path=text, use_file_lock=True)
            )
            self._engine = sa.create_engine(engine_url(text))
        _metadata.create_all(self._engine)

    def __repr__(self) -> str:
        return f"AccountBudget({self.account!r}, {self.rate:g}/s)"

    def paused_until(self) -> float:
        """The wall-clock time (epoch seconds) before which no worker of this account may send."""
        with self._engine.connect() as connection:
            until = connection.scalar(sa.select(rate_pauses.c.until).where(rate_pauses.c.account == self.account))
        return float(until or 0.0)

    def pause(self, seconds: float | None) -> None:
        """Hold every worker of this account off for ``seconds`` (a 429's Retry-After; None: the default)."""
        until = self._clock() + (DEFAULT_PAUSE if seconds is None else max(seconds, 0.0))
        postgres = self._engine.dialect.name == "postgresql"
        insert = (pg_insert if postgres else sqlite_insert)(rate_pauses).values(account=self.account, until=until)
        # One atomic statement: of two workers pausing at once, the later end wins.
        later = (sa.func.greatest if postgres else sa.func.max)(rate_pauses.c.until, insert.excluded.until)
        with self._engine.begin() as connection:
            connection.execute(insert.on_conflict_do_update(index_elements=["account"], set_={"until": later}))

    def wait(self) -> None:
        """Block until the account is not paused and the budget has room for one request."""
        while (delay := self.paused_until() - self._clock()) > 0:
            self._sleep(delay)
        self._limiter.try_acquire(self.account, blocking=True)

    async def wait_async(self) -> None:
        """:meth:`wait` without blocking the event loop."""
        await asyncio.to_thread(self.wait)

    def close(self) -> None:
        """Stop the bucket's leak thread and close the connections."""
        self._limiter.close()
        if self._pool is not None:
            self._pool.close()
        self._engine.dispose()

    def __enter__(self) -> AccountBudget:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
