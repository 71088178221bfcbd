"""The job lease in detail: renewal, a lease lost to another run, dead holders, schema creation retries."""

from __future__ import annotations

import os
import socket
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from crmbridge.errors import JobLocked
from crmbridge.sync import StateStore
from crmbridge.sync import _state as state_module
from crmbridge.sync._lease import Lease, _dead_on_this_host, lease_ttl

ELSEWHERE = "host elsewhere.example pid 1 run 0badcafe"
SHORT = timedelta(seconds=0.3)


def _until(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def _holder(store: StateStore) -> str | None:
    with store.engine.connect() as db:
        holder: str | None = db.execute(sa.select(state_module.leases.c.holder)).scalar_one_or_none()
    return holder


def test_a_held_lease_is_renewed_past_its_time_to_live(tmp_path: Path) -> None:
    """While a run goes on its lease is renewed: after three lease times another run is still refused."""
    store = StateStore(tmp_path / "s.db")
    with Lease(store, "job", ttl=SHORT) as lease:
        time.sleep(3 * SHORT.total_seconds())
        with pytest.raises(JobLocked) as refused:
            Lease(store, "job", ttl=SHORT).acquire()
        assert refused.value.holder == lease.holder
        lease.check()
    Lease(store, "job", ttl=SHORT).acquire()  # released on exit: free at once
    store.close()


def test_a_lease_taken_over_makes_its_old_holder_stop(tmp_path: Path) -> None:
    """A run whose lease was taken over by another run learns it at its next renewal and writes no more."""
    store = StateStore(tmp_path / "s.db")
    with Lease(store, "job", ttl=SHORT) as lease:
        store.release_lease("job", lease.holder)
        store.take_lease("job", ELSEWHERE, timedelta(minutes=5))
        assert _until(lambda: lease.lost_to is not None)
        with pytest.raises(JobLocked, match=r"elsewhere\.example"):
            lease.check()
    assert store.take_lease("job", "x", SHORT).holder == ELSEWHERE, "the old holder did not release the new lease"
    store.close()


def test_a_lease_whose_row_vanished_is_taken_again(tmp_path: Path) -> None:
    """A renewal that finds no row (nobody else took the job) takes the lease again instead of giving up."""
    store = StateStore(tmp_path / "s.db")
    with Lease(store, "job", ttl=SHORT) as lease:
        store.release_lease("job", lease.holder)
        assert _until(lambda: _holder(store) == lease.holder)
        lease.check()
    store.close()


def test_a_busy_store_does_not_lose_the_lease(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A renewal that fails on the database is tried again at the next beat."""
    store = StateStore(tmp_path / "s.db")
    real_renew, failures = store.renew_lease, []

    def renew(*args: Any) -> bool:
        if not failures:
            failures.append(1)
            raise sa.exc.OperationalError("UPDATE leases", {}, Exception("database is locked"))
        return real_renew(*args)

    monkeypatch.setattr(store, "renew_lease", renew)
    with Lease(store, "job", ttl=SHORT) as lease:
        time.sleep(2 * SHORT.total_seconds())
        lease.check()
    assert failures == [1]
    store.close()


def test_waiting_for_a_lease_ends_with_job_locked(tmp_path: Path) -> None:
    """A wait shorter than the holder's lease ends with JobLocked naming the holder."""
    store = StateStore(tmp_path / "s.db")
    store.take_lease("job", ELSEWHERE, timedelta(minutes=5))
    started = time.monotonic()
    with pytest.raises(JobLocked, match="job is already running") as refused:
        Lease(store, "job", wait=0.3).acquire()
    assert time.monotonic() - started >= 0.3
    assert refused.value.holder == ELSEWHERE
    store.close()


def test_dead_holders_are_recognised_only_on_this_host() -> None:
    """A holder is dead only when it names this host and a pid that does not exist."""
    host = socket.gethostname()
    assert not _dead_on_this_host(ELSEWHERE)
    assert not _dead_on_this_host("not a holder")
    assert not _dead_on_this_host(f"host {host} pid {os.getpid()} run 1")
    assert _dead_on_this_host(f"host {host} pid 4194999 run 1")


def test_the_lease_time_can_be_set_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CRMBRIDGE_LEASE_SECONDS sets the lease time; without it a lease lasts a minute."""
    monkeypatch.delenv("CRMBRIDGE_LEASE_SECONDS", raising=False)
    assert lease_ttl() == timedelta(minutes=1)
    monkeypatch.setenv("CRMBRIDGE_LEASE_SECONDS", "2.5")
    assert lease_ttl() == timedelta(seconds=2.5)


def test_sqlite_schema_creation_retries_while_another_process_creates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CREATE TABLE that fails because another process made the table first is looked at again."""
    real_create, calls = state_module._metadata.create_all, []

    def racing(bind: Any, **options: Any) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise sa.exc.OperationalError("CREATE TABLE crosswalk", {}, Exception("table crosswalk already exists"))
        real_create(bind, **options)

    monkeypatch.setattr(state_module._metadata, "create_all", racing)
    StateStore(tmp_path / "s.db").close()
    assert len(calls) == 3
    calls.clear()
    monkeypatch.setattr(state_module, "SCHEMA_ATTEMPTS", 2)
    with pytest.raises(sa.exc.OperationalError):
        StateStore(tmp_path / "t.db")


def test_the_run_errors_survive_pickling() -> None:
    """JobLocked and RunInterrupted keep their fields through pickle (multiprocessing, task queues)."""
    import pickle
    from datetime import UTC, datetime

    from crmbridge.errors import RunInterrupted

    locked = pickle.loads(pickle.dumps(JobLocked("migrate a->b", ELSEWHERE, datetime(2030, 1, 2, tzinfo=UTC))))
    assert (locked.job, locked.holder, locked.expires_at.year) == ("migrate a->b", ELSEWHERE, 2030)
    assert "2030-01-02 00:00:00 UTC" in str(locked)
    stopped = pickle.loads(pickle.dumps(RunInterrupted("a->b", ConnectionError("down"))))
    assert stopped.job == "a->b"
    assert "re-run to resume" in str(stopped)
