"""`crmbridge mapping suggest` and `migrate --mapping`: custom fields on the command line; bad files exit 2."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge import Contact
from crmbridge.cli import app
from crmbridge.sandbox import make_sandbox

from ._served import served, use_credentials

runner = CliRunner()
USERS = [f"--link=estateprime:user:{i}=activix:user:1" for i in range(1, 60)]
TO_ACTIVIX = ["--to-option", "default_lead_type=web_order", "--to-option", "default_region=US", *USERS]
MIGRATE = ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact"]
SUGGEST = ["mapping", "suggest", "--from", "estateprime", "--to", "activix"]


@pytest.fixture
def crms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """EstatePrime (seeded) and Activix sandboxes on loopback, their credentials in the environment."""
    monkeypatch.chdir(tmp_path)
    sandboxes = {"estateprime": make_sandbox("estateprime", seed_records=8, seed=3), "activix": make_sandbox("activix")}
    with served(sandboxes) as urls:
        use_credentials(monkeypatch, sandboxes, urls)
        yield sandboxes


def test_suggest_writes_a_file_that_migrate_uses(crms: dict[str, Any]) -> None:
    """The suggested file pairs fields by name; migrating with it lands the budgets in Activix's Budget field."""
    suggested = runner.invoke(
        app, ["mapping", "suggest", "--from", "estateprime", "--to", "activix", "--output", "m.toml"]
    )
    assert suggested.exit_code == 0, suggested.output
    lines = tomllib.loads(Path("m.toml").read_text(encoding="utf-8"))["field"]
    assert {"kind": "contact", "from": "Available Budget", "to": "Budget"} in lines
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
            "--mapping",
            "m.toml",
            *TO_ACTIVIX,
        ],
    )
    assert moved.exit_code == 0, moved.output
    assert "Available Budget -> Budget" in moved.output
    with crmbridge.connect(
        "activix", base_url=os.environ["CRMBRIDGE_ACTIVIX_BASE_URL"], token=crms["activix"].token
    ) as ax:
        budgets = [
            c
            for lead in ax.list("contact")
            if isinstance(lead, Contact)
            for c in lead.custom_fields
            if c.name == "Budget"
        ]
    assert budgets


def test_suggest_to_stdout(crms: dict[str, Any]) -> None:
    """Without --output the starter file goes to stdout, valid TOML with a confidence comment per line."""
    result = runner.invoke(app, SUGGEST)
    assert result.exit_code == 0, result.output
    assert "# confidence" in result.stdout
    assert tomllib.loads(result.stdout)["auto"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[field]]\nfrom = 'Available Budget'\n", "m.toml:1: give exactly one of to, to_id, to_field"),
        ("[[field]]\nfrom = 'Nope'\nto = 'Budget'\n", "m.toml:1: estateprime has no contact custom field 'Nope'"),
        ("[[field]]\nfrom = 'Preferred Contact Methods'\nto = 'Pre-approved'\n", "cannot fill"),
    ],
)
def test_a_bad_mapping_is_exit_2_before_any_write(crms: dict[str, Any], text: str, message: str) -> None:
    """A malformed line or one naming a missing field or incompatible types exits 2, names the line, writes nothing."""
    Path("m.toml").write_text(text, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "migrate",
            "--from",
            "estateprime",
            "--to",
            "activix",
            "--kinds",
            "contact",
            "--mapping",
            "m.toml",
            *TO_ACTIVIX,
        ],
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert crms["activix"].store.count("leads") == 0


def test_a_missing_mapping_file_is_exit_2(crms: dict[str, Any]) -> None:
    """--mapping naming no file is a usage error before anything is read."""
    result = runner.invoke(
        app, ["migrate", "--from", "estateprime", "--to", "activix", "--mapping", "nope.toml", *TO_ACTIVIX]
    )
    assert result.exit_code == 2
    assert "--mapping nope.toml: cannot read the mapping file" in result.output
