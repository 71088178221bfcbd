"""The command line with its state in PostgreSQL (`--state postgresql://...`), against a real server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmbridge.cli import app
from crmbridge.sandbox import make_sandbox, serve_in_thread

runner = CliRunner()


def test_migrate_crosswalk_and_feed_keep_their_state_in_postgresql(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration with a PostgreSQL state resumes from it (a second run creates nothing); crosswalk and feed use it."""
    for name in list(os.environ):
        if name.startswith("CRMBRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    source, target = make_sandbox("estateprime", seed_records=4, seed=8), make_sandbox("activix")
    with serve_in_thread(source) as ep, serve_in_thread(target) as ax:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", source.token)
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", ep)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", target.token)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", ax + "/v2")
        args = ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact", "--state", postgres_url]
        args += ["--to-option", "default_lead_type=web_order", "--link", "estateprime:user:1=activix:user:1"]
        args += [f"--link=estateprime:user:{i}=activix:user:2" for i in range(2, 60)]
        reports = []
        for run in (1, 2):
            result = runner.invoke(app, [*args, "--report", f"r{run}.json"])
            assert result.exit_code == 0, result.output
            reports.append(json.loads((tmp_path / f"r{run}.json").read_text(encoding="utf-8"))["kinds"]["contact"])
        walked = runner.invoke(app, ["crosswalk", "--state", postgres_url, "--to", "activix", "--json"])
        fed = runner.invoke(app, ["feed", "activix", "--state", postgres_url, "--output", "out.ndjson"])
    assert reports[0]["created"] == 4
    assert reports[1]["created"] == 0
    assert target.store.count("leads") == 4
    assert walked.exit_code == 0, walked.output
    assert sorted(json.loads(walked.stdout)) == [f"estateprime:contact:{i}" for i in range(1, 5)]
    assert fed.exit_code == 0, fed.output
    assert len((tmp_path / "out.ndjson").read_text(encoding="utf-8").splitlines()) >= 4
    assert not list(tmp_path.glob("postgresql*")), "the URL was not taken as a file path"


def test_an_unreachable_postgresql_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PostgreSQL URL nobody answers at is one line and exit 3, without the password."""
    monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", "t")
    monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", "http://127.0.0.1:1")
    url = "postgresql://someone:s3cret@127.0.0.1:1/db"
    result = runner.invoke(app, ["feed", "estateprime", "--state", url])
    assert result.exit_code == 3, result.output
    assert "cannot open the state store" in result.output
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output
