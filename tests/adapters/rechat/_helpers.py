"""Fixture loading shared by the Rechat tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["BRAND", "TASK_ID", "USER_ID", "example", "fixture"]

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parents[3] / "src" / "crmbridge" / "sandbox" / "rechat" / "examples"
TASK_ID = "736ddda0-f1c0-49e6-8aa7-9d3bef095f42"
USER_ID = "80a227b2-29a0-11e7-b636-e4a7a08e15d4"
BRAND = "4df8da09-d50a-43c4-9e61-aadaafd401f5"


def fixture(name: str) -> Any:
    """A whole vendor document (envelope or body) from ``fixtures/``."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def example(name: str) -> Any:
    """A vendor example object shipped with the package (``examples/<name>.json``)."""
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
