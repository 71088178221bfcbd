"""Sandboxes served on loopback for the CLI tests, and their credentials in the environment."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager

import pytest

from crmbridge.sandbox import Sandbox, serve_in_thread

# The base URL a client uses as is: Activix's API lives under /v2.
_API_PATH = {"activix": "/v2"}


@contextmanager
def served(sandboxes: Mapping[str, Sandbox]) -> Iterator[dict[str, str]]:
    """Serve each sandbox on loopback; yields each system's base URL (to use as is) while they run."""
    with ExitStack() as stack:
        yield {
            system: stack.enter_context(serve_in_thread(sandbox)) + _API_PATH.get(system, "")
            for system, sandbox in sandboxes.items()
        }


def use_credentials(monkeypatch: pytest.MonkeyPatch, sandboxes: Mapping[str, Sandbox], urls: Mapping[str, str]) -> None:
    """Only these sandboxes' tokens and base URLs in the CRMBRIDGE_* environment variables."""
    for name in list(os.environ):
        if name.startswith("CRMBRIDGE_"):
            monkeypatch.delenv(name)
    for system, sandbox in sandboxes.items():
        monkeypatch.setenv(f"CRMBRIDGE_{system.upper()}_TOKEN", sandbox.token)
        monkeypatch.setenv(f"CRMBRIDGE_{system.upper()}_BASE_URL", urls[system])
