"""Cassettes never contain credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmbridge.sandbox import DEFAULT_TOKEN

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
FORBIDDEN = ("authorization", "bearer ", DEFAULT_TOKEN.lower())


def cassette_files() -> list[Path]:
    return sorted(CASSETTES.glob("**/*.yaml"))


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.name)
def test_cassette_holds_no_token(path: Path) -> None:
    """No cassette holds an Authorization header, a bearer token or the sandbox token."""
    text = path.read_text(encoding="utf-8").lower()
    for needle in FORBIDDEN:
        assert needle not in text, f"{path.name} contains {needle!r}"
