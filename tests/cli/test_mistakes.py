"""Every mistake a user can make on the command line: one or two lines, the documented exit code, no traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crmbridge.cli import app
from crmbridge.sandbox import Sandbox, make_sandbox

from ._served import served, use_credentials

runner = CliRunner()


@pytest.fixture(scope="module")
def crms() -> Iterator[dict[str, tuple[Sandbox, str]]]:
    """EstatePrime (5 contacts), an empty Activix and an empty Rechat, served on loopback."""
    sandboxes = {
        "estateprime": make_sandbox("estateprime", seed_records=5, seed=3),
        "activix": make_sandbox("activix"),
        "rechat": make_sandbox("rechat"),
    }
    with served(sandboxes) as urls:
        yield {system: (sandbox, urls[system]) for system, sandbox in sandboxes.items()}


@pytest.fixture
def env(crms: dict[str, tuple[Sandbox, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """Credentials of the three sandboxes in the environment; the test runs in a fresh folder."""
    use_credentials(
        monkeypatch, {s: sandbox for s, (sandbox, _) in crms.items()}, {s: url for s, (_, url) in crms.items()}
    )
    monkeypatch.chdir(tmp_path)
    return {"path": tmp_path, "crms": crms}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def run(*args: str) -> Any:
    """Invoke the CLI; assert it printed no traceback (the caller asserts the exit code and message)."""
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    said = [line for line in result.output.strip().splitlines() if not line.startswith("retry ")]
    assert len(said) <= 3, result.output
    return result


MIGRATE = ("migrate", "--from", "estateprime", "--to", "activix", "--to-option", "default_lead_type=web_order")


def _leads(env: dict[str, Any]) -> int:
    count: int = env["crms"]["activix"][0].store.count("leads")
    return count


def test_state_file_mistakes(env: dict[str, Any]) -> None:
    """A state path that is a folder, in a missing folder, or not a database: exit 2 naming --state."""
    folder = env["path"] / "folder"
    folder.mkdir()
    (env["path"] / "notes.txt").write_text("not a database\n", encoding="utf-8")
    cases = {
        str(folder): "is a directory",
        str(env["path"] / "missing" / "s.db"): "does not exist",
        str(env["path"] / "notes.txt"): "not a crmbridge state file",
    }
    for state, said in cases.items():
        for command in ((*MIGRATE, "--state", state), ("feed", "estateprime", "--state", state)):
            result = run(*command)
            assert result.exit_code == 2, result.output
            assert "--state" in result.output
            assert said in result.output


def test_output_and_report_files_are_checked_before_the_run(env: dict[str, Any]) -> None:
    """`feed --output` and `migrate --report` in a missing folder or on a folder: exit 2, before any record moves."""
    for path, said in ((env["path"] / "no" / "x.json", "does not exist"), (env["path"], "is a directory")):
        fed = run("feed", "estateprime", "--output", str(path))
        assert fed.exit_code == 2
        assert "--output" in fed.output
        assert said in fed.output
        moved = run(*MIGRATE, "--report", str(path))
        assert moved.exit_code == 2
        assert "--report" in moved.output
        assert said in moved.output
    assert _leads(env) == 0
    assert not (env["path"] / "crmbridge-state.db").exists()


def test_unknown_kinds(env: dict[str, Any]) -> None:
    """A kind the CRM lacks or a misspelled one is a usage error (exit 2) with the kinds it has."""
    assert "estateprime has no kind 'foo'" in run("feed", "estateprime", "--kinds", "foo").output
    misspelled = run(*MIGRATE, "--kinds", "contacts")
    assert misspelled.exit_code == 2
    assert "did you mean 'contact'?" in misspelled.output
    task = run("inspect", "estateprime", "task", "1")
    assert task.exit_code == 2
    assert "estateprime has no kind 'task'" in task.output
    event = run(*MIGRATE, "--kinds", "event")
    assert event.exit_code == 2
    assert "--convert event=task" in event.output
    assert _leads(env) == 0


def test_inspect_mistakes(env: dict[str, Any]) -> None:
    """A missing id exits 1 saying so; a record the CRM cannot read alone exits 2; a malformed id exits 2."""
    missing = run("inspect", "estateprime", "contact", "999999")
    assert missing.exit_code == 1
    assert "estateprime has no contact 999999" in missing.output
    activity = run("inspect", "activix", "activity", "1")
    assert activity.exit_code == 2, activity.output
    malformed = run("inspect", "estateprime", "contact", "../admin")
    assert malformed.exit_code == 2, malformed.output


def test_missing_credentials_name_the_right_option(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """No base URL or token: exit 2 naming the option of that command and end (--to-token, --token)."""
    monkeypatch.delenv("CRMBRIDGE_ESTATEPRIME_BASE_URL")
    no_url = run(*MIGRATE)
    assert no_url.exit_code == 2
    assert "estateprime: no base URL" in no_url.output
    assert "--from-url" in no_url.output
    monkeypatch.delenv("CRMBRIDGE_ACTIVIX_TOKEN")
    no_token = run("migrate", "--from", "activix", "--to", "rechat")
    assert no_token.exit_code == 2
    assert "--from-token" in no_token.output
    no_token = run(*MIGRATE, "--from-url", "http://127.0.0.1:1")
    assert no_token.exit_code == 2
    assert "--to-token" in no_token.output
    assert "--from-token" not in no_token.output
    for command in (("feed", "activix"), ("inspect", "activix", "contact", "1")):
        result = run(*command)
        assert result.exit_code == 2
        assert "give --token or set CRMBRIDGE_ACTIVIX_TOKEN" in result.output


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (("--to-option", "rate_limit=abc"), "rate_limit: expected a number"),
        (("--to-option", "colour=blue"), "activix has no option 'colour'"),
        (("--to-option", "default_region=XX"), "default_region"),
        (("--from-option", "timezone=Mars/Olympus"), "Mars/Olympus"),
        (("--to-option", 'retry={"attempts": 3'), "retry: not valid JSON"),
        (("--to-option", 'retry={"tries": 3}'), "retry: unknown key 'tries'"),
        (("--from-option", "timeout={bad"), "timeout: expected a number"),
        (("--to-option", "brand"), "takes KEY=VALUE"),
        (("--link", "estateprime:user:1=nonsense"), "--link"),
        (("--convert", "event=lead"), "no such conversion"),
        (("--to-url", "http://user:pw@127.0.0.1:1/v2"), "--to-url: activix: base_url must not carry user info"),
        (("--to-url", "127.0.0.1:1/v2"), "must start with http:// or https://"),
    ],
)
def test_bad_option_values(env: dict[str, Any], option: tuple[str, str], said: str) -> None:
    """Every bad option value is refused before any work (exit 2), naming the option."""
    result = run(*MIGRATE, *option)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert _leads(env) == 0


def test_bad_json_in_feed_and_inspect_options(env: dict[str, Any]) -> None:
    """`--option` of feed and inspect is parsed strictly too: bad JSON is an error, not a string."""
    for command in (("feed", "estateprime"), ("inspect", "estateprime", "contact", "1")):
        result = run(*command, "--option", "lookups={bad")
        assert result.exit_code == 2
        assert "--option lookups: not valid JSON" in result.output


def test_refused_or_unreachable_target_exits_3_before_moving_records(env: dict[str, Any]) -> None:
    """A wrong target token, an unreachable target and a base URL without /v2 end in the preflight: exit 3."""
    ax_url = env["crms"]["activix"][1]
    cases = [
        (("--to-token", "wrong"), "activix refused the credentials"),
        (("--to-url", f"http://127.0.0.1:{_closed_port()}/v2"), "cannot reach activix"),
        (("--to-url", ax_url.removesuffix("/v2")), "is not its API"),
        (("--from-token", "wrong"), "estateprime refused the credentials"),
    ]
    for option, said in cases:
        result = run(*MIGRATE, *option)
        assert result.exit_code == 3, result.output
        assert said in result.output
    assert _leads(env) == 0


def test_circuit_breaker_stops_a_run_whose_target_went_away(env: dict[str, Any]) -> None:
    """Without the preflight, writes to an unreachable target stop after N failures in a row: exit 3, resumable."""
    result = run(
        *MIGRATE,
        "--no-preflight",
        "--kinds",
        "contact",
        "--max-connection-failures",
        "2",
        "--to-url",
        f"http://127.0.0.1:{_closed_port()}/v2",
        "--to-option",
        'retry={"attempts": 1}',
        "--link",
        "estateprime:user:1=activix:user:1",
    )
    assert result.exit_code == 3, result.output
    assert "could not be reached 2 times in a row" in result.output
    assert "run the same command again" in result.output


def test_debug_shows_the_traceback(env: dict[str, Any]) -> None:
    """`--debug` prints the traceback of the error (for bug reports), with the same exit code."""
    result = runner.invoke(app, ["--debug", "inspect", "estateprime", "contact", "999999"])
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert "NotFoundError" in result.output


def test_version() -> None:
    """`--version` prints the installed version."""
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"crmbridge {version('crmbridge')}"


def test_help_shows_no_bool_metavar() -> None:
    """Plain flags show no `<bool>` in --help."""
    for command in ("migrate", "feed", "schema"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert "<bool>" not in result.output
        assert "<list[str]>" not in result.output


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """Run as a process (console, not the test runner), a user error is one line on stderr and exit 2."""
    command = [sys.executable, "-m", "crmbridge.cli", "feed", "estateprime", "--state", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBRIDGE_")}
    env |= {"CRMBRIDGE_ESTATEPRIME_TOKEN": "t", "CRMBRIDGE_ESTATEPRIME_BASE_URL": "http://127.0.0.1:1"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "is a directory" in done.stderr
    assert json.dumps(done.stdout) == '""'


def test_failure_hints_name_command_line_options(env: dict[str, Any]) -> None:
    """Records that fail for a missing option or user link say which CLI option fixes it, not a Python call."""
    result = runner.invoke(
        app, ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "--to-option default_lead_type=web_order" in result.output
    assert "crmbridge links suggest" in result.output
    assert "get_adapter" not in result.output
    assert "run the same command again" in result.output


def test_a_token_refused_during_the_run_stops_it_at_once(env: dict[str, Any]) -> None:
    """Without the preflight, the first write refused with a 401 stops the run: exit 3, not a failure per record."""
    result = run(
        *MIGRATE,
        "--no-preflight",
        "--kinds",
        "contact",
        "--to-token",
        "wrong",
        "--link=estateprime:user:1=activix:user:1",
    )
    assert result.exit_code == 3, result.output
    assert "activix refused the credentials" in result.output
    assert _leads(env) == 0


def test_a_feed_with_nothing_new_says_so(env: dict[str, Any]) -> None:
    """A second feed run with no change says "no changes", not "last seq 0"."""
    first = runner.invoke(app, ["feed", "estateprime", "--kinds", "contact", "--output", "out.ndjson"])
    assert first.exit_code == 0, first.output
    assert "last seq 5" in first.output
    again = runner.invoke(app, ["feed", "estateprime", "--kinds", "contact", "--output", "out.ndjson"])
    assert again.exit_code == 0
    assert "no changes since the last run" in again.output
