"""One run per job: concurrent migrations and feeds on one state store, SQLite and PostgreSQL.

Two ``crmbridge migrate`` of the same pair of CRMs started at once on one state store (the
second waits for the first with ``--wait``), and two ``crmbridge feed`` of one CRM at once: no
duplicate, no traceback. Without ``--wait`` a second run refuses with one line naming the
holder (exit 4). A killed holder's lease expires (or, on its own host, is taken over at once).
Different jobs on one store run side by side.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

import crmbridge
from crmbridge.errors import JobLocked
from crmbridge.sandbox import make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, engine_url, feed, migrate
from crmbridge.sync._lease import Lease

from ._matrix import (
    DIRECTIONS,
    check_exactly_once,
    cli_env,
    cli_migrate,
    connect,
    expected_copies,
    landed,
    links_for,
    seeded_source,
)

EP_TO_AX = DIRECTIONS[0]
ELSEWHERE = "host elsewhere.example pid 1 run 0badcafe"
"""A holder on another host: its lease is respected until it expires."""


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh state store location: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "state.db")
        return
    base: str = request.getfixturevalue("postgres_url")
    name = f"j_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield base.rsplit("/", 1)[0] + f"/{name}"


def _traceback_free(completed: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.stderr


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(run: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    out, err = run.communicate(timeout=300)
    return subprocess.CompletedProcess(run.args, run.returncode, out, err)


def test_two_migrations_at_once_move_each_record_once(state_url: str, tmp_path: Path) -> None:
    """Two migrations of one job started together: the second waits for the first; each record lands once."""
    source, target = seeded_source("estateprime", 5), make_sandbox("activix", db=tmp_path / "activix.db")
    with connect(source) as src:
        links = links_for([r for kind in EP_TO_AX.kinds for r in src.list(kind)], target)
    with serve_in_thread(source) as source_url, serve_in_thread(target) as target_url:
        env = cli_env(source, source_url, target, target_url)
        command = [*cli_migrate(EP_TO_AX, state_url, links, target), "--wait", "120"]
        runs = [_start(command, env), _start(command, env)]
        done = [_finish(run) for run in runs]
    for completed in done:
        _traceback_free(completed)
        assert completed.returncode == 0, completed.stderr
    got = landed(EP_TO_AX, source, target, state_url)
    assert check_exactly_once(got, expected_copies(EP_TO_AX, 5))["duplicated"] == 0


def test_a_second_run_refuses_with_one_line_naming_the_holder(state_url: str, tmp_path: Path) -> None:
    """While another run holds the job, ``migrate`` exits 4 with one line naming it, and writes nothing."""
    store = StateStore(state_url)
    store.take_lease("migrate estateprime->activix", ELSEWHERE, timedelta(minutes=5))
    store.close()
    source, target = seeded_source("estateprime", 5), make_sandbox("activix")
    with serve_in_thread(source) as source_url, serve_in_thread(target) as target_url:
        env = cli_env(source, source_url, target, target_url)
        completed = subprocess.run(
            cli_migrate(EP_TO_AX, state_url, {}, target), env=env, capture_output=True, text=True, timeout=120
        )
    stderr = _traceback_free(completed)
    assert completed.returncode == 4
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "already running" in stderr
    assert ELSEWHERE in stderr
    with connect(target, target=True) as dst:
        assert list(dst.list("contact")) == [], "the refused run wrote nothing"


def test_two_feeds_at_once_emit_each_record_once(state_url: str, tmp_path: Path) -> None:
    """Two feeds of one CRM on one state and output started together: seqs 1..n, every record once."""
    source = seeded_source("estateprime", 5)
    output = tmp_path / "feed.ndjson"
    with serve_in_thread(source) as url:
        env = cli_env(source, url, source, url)
        command = [sys.executable, "-m", "crmbridge.cli", "feed", "estateprime", "--output", str(output)]
        command += ["--state", state_url, "--kinds", "contact,activity", "--wait", "120"]
        runs = [_start(command, env), _start(command, env)]
        done = [_finish(run) for run in runs]
    for completed in done:
        _traceback_free(completed)
        assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    with connect(source) as crm:
        expected = {str(r.ref) for kind in ("contact", "activity") for r in crm.list(kind)}
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert sorted(line["ref"] for line in lines) == sorted(expected), "every record once, none twice"


def test_a_killed_holders_lease_expires(state_url: str) -> None:
    """A lease nobody renews (its run was killed elsewhere) blocks the job until it expires, then is taken over."""
    store = StateStore(state_url)
    store.take_lease("feed feed:estateprime", ELSEWHERE, timedelta(seconds=1))
    source = seeded_source("estateprime", 5)
    with crmbridge.connect("estateprime", **source.client_options()) as crm:
        with pytest.raises(JobLocked) as refused:
            feed(crm, output=io.StringIO(), state=store, kinds=["contact"])
        assert refused.value.holder == ELSEWHERE
        assert refused.value.expires_at > datetime.now(UTC)
        report = feed(crm, output=io.StringIO(), state=store, kinds=["contact"], wait=10)
    assert sum(report.upserts.values()) > 0
    store.close()


def test_a_holder_killed_on_this_host_is_taken_over_at_once(state_url: str) -> None:
    """A lease whose holder's process is gone (same host) is taken over without waiting for it to expire."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store = StateStore(state_url)
    holder = Lease(store, "x").holder.replace(f"pid {os.getpid()}", f"pid {finished.stdout.strip()}")
    store.take_lease("migrate estateprime->activix", holder, timedelta(minutes=5))
    source, target = seeded_source("estateprime", 5), make_sandbox("activix")
    with connect(source) as src, connect(target, target=True) as dst:
        links = links_for(list(src.list("contact")), target)
        report = migrate(source=src, target=dst, kinds=["contact"], state=store, links=links)
    assert report.kinds["contact"].created > 0
    store.close()


def test_different_jobs_run_side_by_side_and_schema_creation_races_safely(state_url: str) -> None:
    """Eight stores opened at once on a new location all work; leases of different jobs are held together."""
    errors: list[BaseException] = []
    stores: list[StateStore] = []

    def open_store() -> None:
        try:
            stores.append(StateStore(state_url))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with (
        Lease(stores[0], "migrate a->b"),
        Lease(stores[1], "migrate b->a"),
        Lease(stores[2], "feed f"),
        pytest.raises(JobLocked, match="migrate a->b is already running"),
    ):
        Lease(stores[3], "migrate a->b").acquire()
    for store in stores:
        store.close()


def test_a_waiting_run_writes_nothing_until_the_holder_is_done(state_url: str, tmp_path: Path) -> None:
    """With ``--wait`` a second run blocks while the job's lease is held, then runs to the end once it is released."""
    source, target = seeded_source("estateprime", 5), make_sandbox("activix")
    with connect(source) as src:
        links = links_for(list(src.list("contact")), target)
    store = StateStore(state_url)
    with serve_in_thread(source) as source_url, serve_in_thread(target) as target_url:
        env = cli_env(source, source_url, target, target_url)
        command = [*cli_migrate(EP_TO_AX, state_url, links, target), "--kinds", "contact", "--wait", "120"]
        with Lease(store, "migrate estateprime->activix"):
            waiting = _start(command, env)
            time.sleep(3)
            assert waiting.poll() is None, "the run waits for the lease"
            with connect(target, target=True) as dst:
                assert list(dst.list("contact")) == [], "and writes nothing meanwhile"
        completed = _finish(waiting)
    _traceback_free(completed)
    assert completed.returncode == 0, completed.stderr
    assert len(list(store.links("activix"))) == 30
    store.close()
