"""The vendor example payloads that ship with the emulators (tests and the demo read them).

They are the JSON objects of the vendor documents, one file per example in
``crmbridge/sandbox/<system>/examples/<kind>.<name>.json``. They live beside the emulators and
not in the adapters because no runtime translation needs them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

__all__ = ["example_payloads"]


def example_payloads(system: str, kinds: frozenset[str] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(kind, name, payload)`` for each vendor example of ``system``, in file-name order.

    ``kinds`` keeps only those kinds; a system with no examples (or none shipped) yields nothing.
    """
    try:
        folder = resources.files(f"crmbridge.sandbox.{system}") / "examples"
    except ModuleNotFoundError:
        return
    if not folder.is_dir():
        return
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        kind, _, rest = entry.name.partition(".")
        if entry.name.endswith(".json") and (kinds is None or kind in kinds):
            yield kind, rest.removesuffix(".json"), json.loads(entry.read_text(encoding="utf-8"))
