"""The sandboxes' state: collections of JSON documents, in memory or persisted in SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DocumentStore"]

Document = dict[str, Any]


class DocumentStore:
    """Named collections of JSON documents keyed by a string id, in insertion order.

    Reads always come from memory (the sandboxes scan whole collections to filter and page,
    which must stay cheap). With ``path``, every write also goes to a SQLite file, and the
    file is loaded at start, so a sandbox's state survives restarts.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self._collections: dict[str, dict[str, Document]] = {}
        self._counters: dict[str, int] = {}
        self._seq = 0
        self._lock = threading.RLock()
        self._depth = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS documents ("
                " collection TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,"
                " PRIMARY KEY (collection, id))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS counters (collection TEXT PRIMARY KEY, value INTEGER NOT NULL)"
            )
            self._load()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the writes inside one SQLite transaction: a sandbox killed halfway through a
        request that writes several documents (a lead and its phones) keeps none of them, as a
        real server's database would. Nested uses join the outermost; without a file it only locks.

        The writes inside must not await (the lock is a thread's, and the event loop is one thread).
        """
        with self._lock:
            self._depth += 1
            outermost = self._depth == 1 and self._db is not None
            if outermost:
                assert self._db is not None
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if outermost:
                    assert self._db is not None
                    self._db.execute("ROLLBACK")
                    self._reload()
                raise
            else:
                if outermost:
                    assert self._db is not None
                    self._db.execute("COMMIT")
            finally:
                self._depth -= 1

    def _reload(self) -> None:
        # After a rollback the memory copy holds writes the file does not: read the file again.
        self._collections, self._counters, self._seq = {}, {}, 0
        self._load()

    @property
    def persistent(self) -> bool:
        """True when the store writes through to a SQLite file."""
        return self._db is not None

    def _load(self) -> None:
        assert self._db is not None
        for collection, ident, body, seq in self._db.execute(
            "SELECT collection, id, body, seq FROM documents ORDER BY seq"
        ):
            self._collections.setdefault(collection, {})[ident] = json.loads(body)
            self._seq = max(self._seq, seq)
        for collection, value in self._db.execute("SELECT collection, value FROM counters"):
            self._counters[collection] = value

    def next_int_id(self, collection: str) -> int:
        """The next integer id of ``collection`` (1, 2, ...), never reused, even after deletes."""
        with self._lock:
            value = self._counters.get(collection, 0) + 1
            self._counters[collection] = value
            if self._db is not None:
                self._db.execute(
                    "INSERT INTO counters(collection, value) VALUES (?, ?)"
                    " ON CONFLICT(collection) DO UPDATE SET value = excluded.value",
                    (collection, value),
                )
            return value

    def put(self, collection: str, ident: str, document: Document) -> None:
        """Insert or replace the document ``ident`` (a replaced document keeps its position)."""
        with self._lock:
            self._collections.setdefault(collection, {})[ident] = document
            if self._db is not None:
                # The insertion order lives in memory: no table scan per write.
                self._seq += 1
                self._db.execute(
                    "INSERT INTO documents(collection, id, seq, body) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(collection, id) DO UPDATE SET body = excluded.body",
                    (collection, ident, self._seq, json.dumps(document)),
                )

    def get(self, collection: str, ident: str) -> Document | None:
        """The document ``ident``, or None."""
        return self._collections.get(collection, {}).get(ident)

    def delete(self, collection: str, ident: str) -> bool:
        """Remove the document ``ident``; False when there was none."""
        with self._lock:
            removed = self._collections.get(collection, {}).pop(ident, None) is not None
            if removed and self._db is not None:
                self._db.execute("DELETE FROM documents WHERE collection = ? AND id = ?", (collection, ident))
            return removed

    def scan(self, collection: str) -> Iterator[Document]:
        """Every document of ``collection`` in insertion order (a snapshot: writes may go on)."""
        with self._lock:
            documents = list(self._collections.get(collection, {}).values())
        return iter(documents)

    def count(self, collection: str) -> int:
        """How many documents ``collection`` holds."""
        return len(self._collections.get(collection, {}))

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self._db is not None:
            self._db.close()
            self._db = None
