"""`crmbridge migrate` beyond the happy path: resolving dry runs, default conversions, full scans, totals, Ctrl-C."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge._cli._progress import reported_total
from crmbridge.cli import app
from crmbridge.sandbox import make_sandbox

from ._served import served, use_credentials

runner = CliRunner()
RECORDS = 6


@pytest.fixture
def crms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Fresh sandboxes on loopback (EstatePrime seeded), their credentials in the environment, a fresh folder."""
    monkeypatch.chdir(tmp_path)
    sandboxes = {
        "estateprime": make_sandbox("estateprime", seed_records=RECORDS, seed=11),
        "activix": make_sandbox("activix"),
        "rechat": make_sandbox("rechat"),
    }
    with served(sandboxes) as urls:
        use_credentials(monkeypatch, sandboxes, urls)
        yield sandboxes


def _users(to: str, user: str) -> list[str]:
    return [f"--link=estateprime:user:{i}={to}:user:{user}" for i in range(1, 60)]


def _to_activix() -> list[str]:
    options = ["--to-option", "default_lead_type=web_order", "--to-option", "default_region=US"]
    return ["migrate", "--from", "estateprime", "--to", "activix", *options, *_users("activix", "1")]


def _to_rechat(sandbox: Any) -> list[str]:
    owner = sandbox.user(sandbox.token).id
    return [
        "migrate",
        "--from",
        "estateprime",
        "--to",
        "rechat",
        f"--to-option=default_owner={owner}",
        *_users("rechat", owner),
    ]


def _report(args: list[str], path: Path, code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--report", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == code, result.output
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


def test_dry_run_resolves_references_to_records_it_would_create(crms: dict[str, Any], tmp_path: Path) -> None:
    """A dry run of contacts and activities (or events as Rechat tasks) fails nothing and writes nothing."""
    report = _report([*_to_activix(), "--dry-run"], tmp_path / "ax.json")
    assert report["failures"] == []
    assert report["kinds"]["activity"]["read"] == crms["estateprime"].store.count("communication") > 0
    assert crms["activix"].store.count("leads") == 0
    rechat = _report([*_to_rechat(crms["rechat"]), "--convert", "event=task", "--dry-run"], tmp_path / "rc.json")
    assert rechat["failures"] == []
    assert rechat["kinds"]["event"]["read"] == crms["estateprime"].store.count("calendar") > 0


def test_convert_adds_the_converted_kind_to_the_defaults(crms: dict[str, Any], tmp_path: Path) -> None:
    """`--convert event=task` without `--kinds` moves the events too (as tasks)."""
    report = _report([*_to_rechat(crms["rechat"]), "--convert", "event=task"], tmp_path / "r.json")
    events = crms["estateprime"].store.count("calendar")
    assert report["kinds"]["event"]["created"] == events > 0
    assert report["kinds"]["contact"]["created"] == RECORDS
    assert report["skipped_kinds"] == {}


def test_full_scan_reads_everything_again(crms: dict[str, Any], tmp_path: Path) -> None:
    """After a run, a re-run reads only what changed since the checkpoint; `--full-scan` reads every record."""
    args = [*_to_activix(), "--kinds", "contact"]
    first = _report(args, tmp_path / "1.json")
    assert first["kinds"]["contact"]["created"] == RECORDS
    again = _report(args, tmp_path / "2.json")
    assert again["kinds"]["contact"]["read"] < RECORDS
    full = _report([*args, "--full-scan"], tmp_path / "3.json")
    assert full["kinds"]["contact"]["read"] == full["kinds"]["contact"]["unchanged"] == RECORDS


def test_progress_bars_show_the_totals_the_source_reports(crms: dict[str, Any]) -> None:
    """A first run's bars end at N/N (EstatePrime's total_results), not N/?."""
    result = runner.invoke(app, [*_to_activix(), "--kinds", "contact"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"{RECORDS}/{RECORDS}" in result.output
    assert "/?" not in result.output


@pytest.mark.parametrize(
    ("system", "kind", "collection"),
    [
        ("estateprime", "contact", "contacts"),
        ("estateprime", "activity", "communication"),
        ("estateprime", "event", "calendar"),
        ("rechat", "contact", None),
        ("rechat", "task", None),
        ("activix", "contact", "leads"),
    ],
)
def test_reported_totals_equal_what_is_listed(system: str, kind: str, collection: str | None) -> None:
    """The total each CRM reports on its first page is the number of records listed (several pages)."""
    sandbox = make_sandbox(system, seed_records=120, seed=2)
    with crmbridge.connect(system, **sandbox.client_options()) as connection:
        listed = sum(1 for _ in connection.list(kind))
        assert listed > 50  # more than one page of EstatePrime's
        assert reported_total(connection, kind) == listed
    if collection is not None:
        assert sandbox.store.count(collection) == listed


def test_activix_activities_have_no_total() -> None:
    """Activix lists communications through their leads: no total is claimed for them."""
    sandbox = make_sandbox("activix", seed_records=3)
    with crmbridge.connect("activix", **sandbox.client_options()) as connection:
        assert reported_total(connection, "activity") is None


def test_ctrl_c_says_how_to_resume(crms: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during a migration exits 130 with a line saying that running it again resumes."""
    import crmbridge.sync

    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(crmbridge.sync, "migrate", interrupted)
    result = runner.invoke(app, [*_to_activix(), "--kinds", "contact"])
    assert result.exit_code == 130
    assert "interrupted" in result.output
    assert "run the same command again to resume" in result.output
    assert "Traceback" not in result.output


def test_ctrl_c_of_a_real_run_then_resume_moves_each_record_once(crms: dict[str, Any], tmp_path: Path) -> None:
    """SIGINT mid-run exits 130 with the resume line and no traceback; the same command then finishes, once each."""
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "crmbridge.cli", *_to_activix(), "--kinds", "contact", "--state", "s.db"]
    leads = crms["activix"].store
    with subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as run:
        deadline = time.monotonic() + 60
        while leads.count("leads") < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=60)
    assert run.returncode == 130, out + err
    assert "run the same command again to resume" in err
    assert "Traceback" not in err
    assert leads.count("leads") < RECORDS
    again = runner.invoke(app, [*_to_activix(), "--kinds", "contact", "--state", str(tmp_path / "s.db")])
    assert again.exit_code == 0, again.output
    assert leads.count("leads") == RECORDS
