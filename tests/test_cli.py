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


def test_demo_prints_valid_canonical_records() -> None:
    """Every line the demo prints is a canonical record that validates as its kind."""
    result = runner.invoke(app, ["demo"])
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
