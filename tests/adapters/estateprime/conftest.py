"""Shared fixtures of the EstatePrime adapter tests: vendor examples and lookup lists."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crmbridge import get_adapter
from crmbridge.adapters.estateprime import EstatePrimeAdapter

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).parents[3] / "src" / "crmbridge" / "sandbox" / "estateprime" / "examples"

LOOKUP_FILES = {
    "contacts/sources": "contacts.sources.json",
    "contacts/tags": "contacts.tags.json",
    "contacts/custom-fields": "contacts.custom-fields.json",
    "communication/channels": "communication.channels.json",
    "communication/tags": "communication.tags.json",
    "communication/custom-fields": "communication.custom-fields.json",
    "calendar/categories": "calendar.categories.json",
    "calendar/statuses": "calendar.statuses.json",
    "calendar/tags": "calendar.tags.json",
    "calendar/custom-fields": "calendar.custom-fields.json",
}


def _load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _load_example(kind: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def load_fixture() -> Callable[[str], Any]:
    """Loads a JSON file of ``fixtures/`` (envelopes, lookup lists, request bodies)."""
    return _load_fixture


@pytest.fixture
def load_example() -> Callable[[str, str], dict[str, Any]]:
    """Loads a vendor example object shipped with the adapter (``kind``, ``name``)."""
    return _load_example


def vendor_lookups() -> dict[str, Any]:
    """Every lookup list of the vendor documents, keyed by endpoint path below /api/."""
    return {endpoint: _load_fixture(name)["data"] for endpoint, name in LOOKUP_FILES.items()}


@pytest.fixture
def lookups() -> dict[str, Any]:
    """Every lookup list of the vendor documents."""
    return vendor_lookups()


@pytest.fixture
def adapter(lookups: dict[str, Any]) -> EstatePrimeAdapter:
    """An Athens account with the vendor documents' lookups loaded."""
    made = get_adapter("estateprime", timezone="Europe/Athens", lookups=lookups)
    assert isinstance(made, EstatePrimeAdapter)
    return made


@pytest.fixture
def bare() -> EstatePrimeAdapter:
    """A UTC account without lookups."""
    made = get_adapter("estateprime")
    assert isinstance(made, EstatePrimeAdapter)
    return made
