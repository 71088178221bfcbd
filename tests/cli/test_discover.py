"""Discovery from the command line: users, lookups, links files and the crosswalk, against served sandboxes."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge._cli._discover import User, lookup_rows, match_users
from crmbridge.cli import app
from crmbridge.sandbox import Sandbox, make_sandbox, serve_in_thread

runner = CliRunner()


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, tuple[Sandbox, str]]]:
    """A seeded EstatePrime and an empty Activix on loopback."""
    estateprime, activix = make_sandbox("estateprime", seed_records=6, seed=5), make_sandbox("activix")
    with serve_in_thread(estateprime) as ep, serve_in_thread(activix) as ax:
        yield {"estateprime": (estateprime, ep), "activix": (activix, ax + "/v2")}


@pytest.fixture
def env(served: dict[str, tuple[Sandbox, str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The sandboxes' credentials in the environment; a fresh working folder."""
    for name in list(os.environ):
        if name.startswith("CRMBRIDGE_"):
            monkeypatch.delenv(name)
    for system, (sandbox, url) in served.items():
        monkeypatch.setenv(f"CRMBRIDGE_{system.upper()}_TOKEN", sandbox.token)
        monkeypatch.setenv(f"CRMBRIDGE_{system.upper()}_BASE_URL", url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_users_of_a_crm_with_a_user_list(env: Path, served: dict[str, tuple[Sandbox, str]]) -> None:
    """`users activix --json` lists the account's users with their names and emails."""
    sandbox, url = served["activix"]
    with crmbridge.connect("activix", base_url=url, token=sandbox.token) as connection:
        account = connection.lookups()["account"][0]["users"]
    listed = _json("users", "activix", "--json")
    assert [(u["ref"], u["email"]) for u in listed] == [(f"activix:user:{u['id']}", u["email"]) for u in account]
    assert all(u["name"] for u in listed)
    table = runner.invoke(app, ["users", "activix"], env={"COLUMNS": "200"})
    assert account[0]["email"] in table.output


def test_users_of_a_crm_without_one_come_from_its_records(env: Path, served: dict[str, tuple[Sandbox, str]]) -> None:
    """`users estateprime` lists the user Refs its records hold, with how many records refer to each."""
    sandbox, url = served["estateprime"]
    expected: Counter[str] = Counter()
    with crmbridge.connect("estateprime", base_url=url, token=sandbox.token) as connection:
        for kind in connection.adapter.kinds:
            for record in connection.list(kind):
                refs = {str(r) for name in ("owners", "users", "user", "created_by") for r in _as_list(record, name)}
                expected.update(r for r in refs if ":user:" in r)
    listed = _json("users", "estateprime", "--json")
    assert {u["ref"]: u["records"] for u in listed} == dict(expected)


def _as_list(record: Any, name: str) -> list[Any]:
    value = getattr(record, name, None)
    if value is None or isinstance(value, crmbridge.Ref):  # a Ref is a tuple: not a list of refs
        return [] if value is None else [value]
    return list(value)


def test_lookups_json_and_table(env: Path, served: dict[str, tuple[Sandbox, str]]) -> None:
    """`lookups --json` is the CRM's lookup lists; the table has a row per entry."""
    sandbox, url = served["estateprime"]
    with crmbridge.connect("estateprime", base_url=url, token=sandbox.token) as connection:
        data = connection.lookups()
    assert _json("lookups", "estateprime", "--json") == data
    table = runner.invoke(app, ["lookups", "estateprime"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for name, _, label in lookup_rows(data):
        assert name in table.output
        assert label in table.output


def test_match_users_by_email_then_name_then_fallback() -> None:
    """Email wins (case-insensitive), then the name (spacing and case ignored), then the fallback."""
    sources = [
        User("a:user:1", "Ann Lee", "ANN@x.org"),
        User("a:user:2", "bob  smith", ""),
        User("a:user:3", "Nobody", "n@x.org"),
    ]
    targets = [User("b:user:7", "Someone Else", "ann@x.org"), User("b:user:8", "Bob Smith", "b@x.org")]
    assert match_users(sources, targets, None) == {"a:user:1": ("b:user:7", "email"), "a:user:2": ("b:user:8", "name")}
    assert match_users(sources, targets, "b:user:8")["a:user:3"] == ("b:user:8", "fallback")


def test_links_suggest_then_migrate_then_crosswalk(env: Path, served: dict[str, tuple[Sandbox, str]]) -> None:
    """A links file from `links suggest` lets `migrate --links` move every record; `crosswalk` shows the result."""
    unmatched = runner.invoke(app, ["links", "suggest", "--from", "estateprime", "--to", "activix"])
    assert unmatched.exit_code == 1
    assert "--fallback" in unmatched.output
    bad = runner.invoke(app, ["links", "suggest", "--from", "estateprime", "--to", "activix", "--fallback", "99"])
    assert bad.exit_code == 2
    done = runner.invoke(app, ["links", "suggest", "--from", "estateprime", "--to", "activix", "--fallback", "2"])
    assert done.exit_code == 0, done.output
    links = json.loads((env / "links.json").read_text(encoding="utf-8"))["links"]
    assert set(links.values()) == {"activix:user:2"}
    assert set(links) == {u["ref"] for u in _json("users", "estateprime", "--json")}
    options = ["--to-option", "default_lead_type=web_order", "--to-option", "default_region=US"]
    moved = runner.invoke(
        app, ["migrate", "--from", "estateprime", "--to", "activix", "--links", "links.json", *options]
    )
    assert moved.exit_code == 0, moved.output
    walked = _json("crosswalk", "--json")
    assert {k for k in walked if k.startswith("estateprime:contact:")} == {
        f"estateprime:contact:{i}" for i in range(1, 7)
    }
    first = next(iter(walked))
    single = runner.invoke(app, ["crosswalk", first, "--to", "activix"], env={"COLUMNS": "200"})
    assert walked[first] in single.output
    missing = runner.invoke(app, ["crosswalk", "estateprime:contact:999"])
    assert missing.exit_code == 1
    assert "has not been migrated" in missing.output
    assert runner.invoke(app, ["crosswalk", "--state", "nowhere.db"]).exit_code == 2
    assert runner.invoke(app, ["crosswalk", "nonsense"]).exit_code == 2


def test_links_file_mistakes(env: Path) -> None:
    """A missing, non-JSON or wrongly shaped links file is a usage error (exit 2) before any work."""
    (env / "bad.json").write_text("{nope", encoding="utf-8")
    (env / "list.json").write_text("[1, 2]", encoding="utf-8")
    for name in ("absent.json", "bad.json", "list.json"):
        result = runner.invoke(app, ["migrate", "--from", "estateprime", "--to", "activix", "--links", name])
        assert result.exit_code == 2, result.output
        assert "--links" in result.output
        assert "Traceback" not in result.output
