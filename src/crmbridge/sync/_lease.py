"""One run per job: a lease in the state store, renewed while the run goes on.

A migration (its job: the pair of CRMs, whose crosswalk it writes) or a feed (its job: the
feed's name) takes the job's lease before it reads or writes anything. A second run of the same
job waits for the lease (``wait`` seconds) or stops at once with
:class:`~crmbridge.errors.JobLocked` naming the holder. The holder renews the lease in a
background thread every third of its time to live; a run that is killed stops renewing, so its
lease expires and the next run takes it over; on the same host the next run takes it over at
once, as the holder's process is gone. Different jobs hold different leases and run side by side
on one store.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from datetime import timedelta
from types import TracebackType

import sqlalchemy

from crmbridge.errors import JobLocked
from crmbridge.sync._state import StateStore

__all__ = ["LEASE_TTL", "Lease", "lease_ttl"]

LEASE_TTL = timedelta(seconds=60)
"""How long a lease lasts without renewal (``CRMBRIDGE_LEASE_SECONDS`` overrides it)."""


def lease_ttl() -> timedelta:
    """The lease time to live: ``CRMBRIDGE_LEASE_SECONDS`` when set (tests shorten it), else :data:`LEASE_TTL`."""
    given = os.environ.get("CRMBRIDGE_LEASE_SECONDS")
    return timedelta(seconds=float(given)) if given else LEASE_TTL


def _holder_id() -> str:
    return f"host {socket.gethostname()} pid {os.getpid()} run {uuid.uuid4().hex[:8]}"


def _dead_on_this_host(holder: str) -> bool:
    """Whether ``holder`` (as :func:`_holder_id` writes it) is a process of this host that no longer exists."""
    parts = holder.split()
    if len(parts) != 6 or parts[0] != "host" or parts[1] != socket.gethostname() or not parts[3].isdigit():
        return False
    try:
        os.kill(int(parts[3]), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists (another user's process)
    return False


class Lease:
    """The lease of ``job`` in ``store`` for this run, as a context manager (released on exit)."""

    def __init__(self, store: StateStore, job: str, *, wait: float = 0.0, ttl: timedelta | None = None) -> None:
        self.store = store
        self.job = job
        self.wait = wait
        self.ttl = ttl if ttl is not None else lease_ttl()
        self.holder = _holder_id()
        self.lost_to: JobLocked | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def __enter__(self) -> Lease:
        self.acquire()
        self._heartbeat = threading.Thread(target=self._renew, name=f"lease {self.job}", daemon=True)
        self._heartbeat.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        self.store.release_lease(self.job, self.holder)

    def acquire(self) -> None:
        """Take the lease, waiting up to :attr:`wait` seconds for its holder; else :class:`JobLocked`."""
        deadline = time.monotonic() + self.wait
        while True:
            now = self.store.take_lease(self.job, self.holder, self.ttl)
            if now.holder != self.holder and _dead_on_this_host(now.holder):
                now = self.store.take_lease(self.job, self.holder, self.ttl, replacing=now.holder)
            if now.holder == self.holder:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise JobLocked(self.job, now.holder, now.expires_at)
            time.sleep(min(left, 0.2, self.ttl.total_seconds() / 4))

    def check(self) -> None:
        """Raise :class:`JobLocked` if the lease was lost (not renewed in time, and taken over)."""
        if self.lost_to is not None:
            raise self.lost_to

    def _renew(self) -> None:
        period = self.ttl.total_seconds() / 3
        while not self._stop.wait(period):
            try:
                renewed = self.store.renew_lease(self.job, self.holder, self.ttl)
            except sqlalchemy.exc.SQLAlchemyError:  # a busy store: the next beat tries again (a lease lasts 3)
                continue
            if not renewed:
                now = self.store.take_lease(self.job, self.holder, self.ttl)
                if now.holder != self.holder:
                    self.lost_to = JobLocked(self.job, now.holder, now.expires_at)
                    return
