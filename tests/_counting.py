"""Counting what a sandbox's document store is asked, to bound work without timing it.

Tests assert how many scans and documents a request costs (a count that does not change with
the machine's load) instead of how long it took; speed is measured in ``bench/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from crmbridge.sandbox._store import DocumentStore


class StoreCounter:
    """Counts, per collection, the store's scans, the documents drawn from scans, and single reads."""

    def __init__(self, store: DocumentStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.scans: Counter[str] = Counter()
        self.drawn: Counter[str] = Counter()
        self.gets: Counter[str] = Counter()
        scan, get = store.scan, store.get

        def counted_scan(collection: str) -> Iterator[Any]:
            self.scans[collection] += 1
            for document in scan(collection):
                self.drawn[collection] += 1
                yield document

        def counted_get(collection: str, ident: str) -> Any:
            self.gets[collection] += 1
            return get(collection, ident)

        monkeypatch.setattr(store, "scan", counted_scan)
        monkeypatch.setattr(store, "get", counted_get)

    def reset(self) -> None:
        """Start counting afresh."""
        for counter in (self.scans, self.drawn, self.gets):
            counter.clear()
