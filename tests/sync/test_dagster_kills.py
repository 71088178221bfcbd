"""Dagster's multiprocess executor, PostgreSQL state: a step SIGKILLed mid-shard is retried to exactly once."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

dg = pytest.importorskip("dagster")

from crmbridge.dagster import PARTITIONS, tenants_job  # noqa: E402 - only once dagster is known to be installed
from crmbridge.sandbox import SandboxTenants, serve_sandbox_tenants  # noqa: E402
from crmbridge.sync import TenantsFileError  # noqa: E402


def _step_processes() -> list[int]:
    """This process's children that multiprocessing spawned (the executor's step processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _kill_when(progress: Callable[[], int], at: int, killed: list[tuple[int, int]], stop: threading.Event) -> None:
    """SIGKILL the step processes once ``progress()`` reaches ``at``; note each pid with the progress then."""
    while not stop.is_set():
        if progress() >= at and (pids := _step_processes()):
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed.extend((pid, progress()) for pid in pids)
            return
        time.sleep(0.01)


@pytest.fixture
def tenants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str) -> Iterator[SandboxTenants]:
    """One sandbox tenant whose Activix account allows 4 requests/s (so a shard takes seconds); state in PostgreSQL."""
    with serve_sandbox_tenants(tmp_path / "t", ("killed",), records=8, account_limit=(4, 1.0)) as served:
        for name, value in served.environ.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CRMBRIDGE_TENANTS_FILE", str(served.tenants_file))
        monkeypatch.setenv("CRMBRIDGE_STATE_URL", postgres_url)
        yield served


def test_a_step_killed_mid_shard_is_retried_to_exactly_once(tenants: SandboxTenants, tmp_path: Path) -> None:
    """SIGKILL of the contact step after its second create: the RetryPolicy reruns it; every contact lands once."""
    target, source = tenants.targets["killed"], tenants.sources["killed"]
    contacts = source.store.count("contacts")
    killed: list[tuple[int, int]] = []
    stop = threading.Event()
    killer = threading.Thread(
        target=_kill_when, args=(lambda: target.store.count("leads"), 2, killed, stop), daemon=True
    )
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        instance.add_dynamic_partitions(PARTITIONS.name, ["killed"])
        killer.start()
        try:
            result = dg.execute_job(
                dg.reconstructable(tenants_job), instance=instance, tags={"dagster/partition": "killed"}
            )
        finally:
            stop.set()
            killer.join()
        assert killed, "no step process was killed"
        assert all(leads < contacts for _pid, leads in killed), "the kill came after the shard had finished"
        assert result.success
        retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
        assert [e.step_key for e in retried] == ["crmbridge__contact"]
    assert 2 <= contacts == target.store.count("leads")


def test_the_environment_must_name_the_tenants_file_and_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without CRMBRIDGE_TENANTS_FILE and CRMBRIDGE_STATE_URL the code location says which to set."""
    monkeypatch.delenv("CRMBRIDGE_TENANTS_FILE", raising=False)
    monkeypatch.setenv("CRMBRIDGE_STATE_URL", "state")
    with pytest.raises(TenantsFileError, match="set CRMBRIDGE_TENANTS_FILE"):
        tenants_job()
