"""The command line: schema export and drift check, and the demo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from crmbridge.canonical import RECORD_TYPES, render_schemas
from crmbridge.cli import app

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def test_schema_writes_one_file_per_kind(tmp_path: Path) -> None:
    """`crmbridge schema --out DIR` writes a schema file for each canonical kind, equal to the code's."""
    result = runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{k}.schema.json" for k in RECORD_TYPES)
    for name, text in render_schemas().items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text


def test_schema_check_fails_on_drift(tmp_path: Path) -> None:
    """`--check` exits 1 naming the drifted file, and 0 once the files are regenerated."""
    runner.invoke(app, ["schema", "--out", str(tmp_path)])
    (tmp_path / "task.schema.json").write_text("{}", encoding="utf-8")
    drifted = runner.invoke(app, ["schema", "--out", str(tmp_path), "--check"])
    assert drifted.exit_code == 1
    assert "task.schema.json" in drifted.output
    runner.invoke(app, ["schema", "--out", str(tmp_path)])
    assert runner.invoke(app, ["schema", "--out", str(tmp_path), "--check"]).exit_code == 0


def test_committed_schemas_match_the_code() -> None:
    """The schema files committed in canonical/ are what the code generates (no drift)."""
    result = runner.invoke(app, ["schema", "--out", str(REPO / "canonical"), "--check"])
    assert result.exit_code == 0, result.output


def test_examples_prints_valid_canonical_records() -> None:
    """Every line `crmbridge examples` prints is a canonical record that validates as its kind."""
    result = runner.invoke(app, ["examples"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert {line["system"] for line in lines} == {"estateprime", "rechat", "activix"}
    for line in lines:
        record = RECORD_TYPES[line["kind"]].model_validate(line["record"])
        assert record.model_dump(mode="json") == line["record"]


def test_sandbox_serve_answers_over_loopback() -> None:
    """`crmbridge sandbox serve` serves a seeded sandbox on 127.0.0.1 that answers with its token."""
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "crmbridge.cli",
        "sandbox",
        "serve",
        "estateprime",
        "--port",
        str(port),
        "--seed-records",
        "3",
    ]
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as server:
        _check_serving(server, port)


def _check_serving(server: Any, port: int) -> None:
    import time

    import httpx

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/api/contacts", headers={"Authorization": "Bearer sandbox-token"}
                )
                break
            except httpx.ConnectError:
                assert server.poll() is None, server.stderr.read() if server.stderr else "server exited"
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        assert response.status_code == 200
        assert response.json()["total_results"] == 3
        assert httpx.get(f"http://127.0.0.1:{port}/api/contacts").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_sandbox_serve_refuses_an_unknown_crm_and_a_public_host() -> None:
    """An unknown CRM or a non-loopback host is a usage error (exit 2) with a one-line message."""
    unknown = runner.invoke(app, ["sandbox", "serve", "nocrm"])
    assert unknown.exit_code == 2
    assert "no sandbox for system 'nocrm'" in unknown.output
    public = runner.invoke(app, ["sandbox", "serve", "rechat", "--host", "0.0.0.0"])
    assert public.exit_code == 2
    assert "loopback only" in public.output


def test_demo_migrates_between_the_sandboxes() -> None:
    """The demo moves a small seeded EstatePrime into Activix and Rechat without failures and shows the feed."""
    result = runner.invoke(app, ["demo", "--records", "20"])
    assert result.exit_code == 0, result.output
    assert "estateprime -> activix" in result.output
    assert "estateprime -> rechat" in result.output
    assert '"op": "upsert"' in result.output


def test_migrate_feed_and_inspect_over_loopback(tmp_path: Path, monkeypatch: Any) -> None:
    """`migrate`, `feed` and `inspect` work against sandboxes served on 127.0.0.1 with env credentials."""
    from crmbridge.sandbox import make_sandbox, serve_in_thread

    estateprime, activix = make_sandbox("estateprime", seed_records=5, seed=3), make_sandbox("activix")
    with serve_in_thread(estateprime) as ep_url, serve_in_thread(activix) as ax_url:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", estateprime.token)
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", ep_url)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", activix.token)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{ax_url}/v2")
        links = [f"--link=estateprime:user:{i}=activix:user:1" for i in range(1, 40)]
        moved = runner.invoke(
            app,
            [
                "migrate",
                "--from",
                "estateprime",
                "--to",
                "activix",
                "--kinds",
                "contact",
                "--state",
                str(tmp_path / "s.db"),
                "--report",
                str(tmp_path / "r.json"),
                "--to-option",
                "default_lead_type=web_order",
                "--to-option",
                "default_region=US",
                *links,
            ],
        )
        assert moved.exit_code == 0, moved.output
        assert json.loads((tmp_path / "r.json").read_text())["kinds"]["contact"]["created"] == 5
        fed = runner.invoke(
            app,
            [
                "feed",
                "activix",
                "--output",
                str(tmp_path / "f.ndjson"),
                "--state",
                str(tmp_path / "f.db"),
                "--kinds",
                "contact",
            ],
        )
        assert fed.exit_code == 0, fed.output
        assert len((tmp_path / "f.ndjson").read_text().splitlines()) == 5
        shown = runner.invoke(app, ["inspect", "activix", "contact", "1"])
        assert shown.exit_code == 0, shown.output
        assert json.loads(shown.stdout)["ref"] == {"system": "activix", "kind": "lead", "id": "1"}
        assert activix.token not in moved.output + fed.output + shown.output
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", "wrong")
        refused = runner.invoke(app, ["inspect", "activix", "contact", "1"])
        assert refused.exit_code == 3
        assert "refused the credentials" in refused.output


def test_cli_usage_errors_are_one_line() -> None:
    """Missing credentials, bad KEY=VALUE pairs and unknown CRMs exit 2 with a clear message."""
    missing = runner.invoke(app, ["inspect", "rechat", "task", "x"], env={"CRMBRIDGE_RECHAT_TOKEN": ""})
    assert missing.exit_code == 2
    assert "no token" in missing.output
    unknown = runner.invoke(app, ["inspect", "salesforce", "contact", "1"])
    assert unknown.exit_code == 2
    assert "unknown CRM" in unknown.output
    bad = runner.invoke(app, ["inspect", "rechat", "task", "x", "--token", "t", "--option", "novalue"])
    assert bad.exit_code == 2
    assert "KEY=VALUE" in bad.output


def test_retries_are_reported_one_line_each_on_stderr(monkeypatch: Any) -> None:
    """A command that needs retries prints one readable line per retry, and leaves stamina's hooks as they were."""
    import stamina

    from crmbridge.sandbox import FaultConfig, make_sandbox, serve_in_thread

    flaky = make_sandbox("activix", seed_records=2, seed=1, faults=FaultConfig(error_rate=0.5, kinds=("503",), seed=1))
    hooks = stamina.instrumentation.get_on_retry_hooks()
    with serve_in_thread(flaky) as url:
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", flaky.token)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{url}/v2")
        shown = CliRunner().invoke(app, ["inspect", "activix", "contact", "1"])
    assert shown.exit_code == 0, shown.output
    retries = [line for line in shown.stderr.splitlines() if line.startswith("retry ")]
    assert flaky.faults is not None
    assert len(retries) == flaky.faults.injected["503"] > 0
    assert "503" in retries[0]
    assert flaky.token not in shown.stderr
    assert stamina.instrumentation.get_on_retry_hooks() == hooks
