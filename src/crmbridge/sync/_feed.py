"""A normalised feed: every change of a CRM as one NDJSON line of canonical JSON.

Each line is ``{"seq", "op", "kind", "ref", "record", "observed_at", "id", "type", "subject"}``:
``op`` is ``"upsert"`` (``record`` is the canonical JSON, valid against
``canonical/<kind>.schema.json``) or ``"delete"`` (a tombstone: ``record`` is null). ``seq`` grows
by one per line, across runs. ``id``, ``type`` and ``subject`` are the envelope the webhooks carry
as CloudEvents attributes (see :func:`envelope`), so a consumer can switch transports: ``id`` is
unique per change and the same each time that change is delivered again, ``type`` is
``crmbridge.<kind>.upserted`` or ``crmbridge.<kind>.deleted`` and ``subject`` is the ref.

Incremental: the state store keeps, per feed, the high-water mark of each kind and the content
fingerprint of every record emitted. A run reads what changed since the mark (minus an overlap
window, so records updated while the last run read are not missed) and emits only records whose
content differs from what was emitted before: re-reading the overlap emits nothing twice. A full
scan (the first run, ``full_scan=True``, or a CRM without an update filter) also finds records
that disappeared and emits their tombstones.

A listed record the adapter cannot translate (a date no datetime holds, a malformed field) is not
skipped silently: it is one of the run's :attr:`FeedReport.failures` (its Ref, when the payload has
an id, and the reason, which never quotes a value), kept in the state store's failures table under
the feed's name, and the kind's high-water mark does not move that run, so a later run reads the
record again and emits it once it translates (its failure is then cleared). A full scan does not
take a record it could not translate for a deleted one.

Records stream through: memory does not grow with the number of records (the fingerprints live
in the state store, not in memory).

Delivery across crashes: before lines are written their changes are recorded as pending in the
state store; after they are written and flushed, the pending marks are dropped. This happens per
batch of up to :data:`BATCH` records (one transaction each way), not per record. With ``output`` a file path,
the next run reads the file's last complete ``seq`` first: changes whose line made it stay
emitted, the others are rolled back and emitted again, so across kills no change is lost and none
is emitted twice. With a stream (a pipe), the output cannot be read back, and changes pending at a
crash are emitted again (at-least-once).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from crmbridge._connection import Connection
from crmbridge.canonical import Record, Ref
from crmbridge.errors import APIError, AuthenticationError, PermissionDeniedError, RunInterrupted, UnsupportedOperation
from crmbridge.sync._lease import Lease
from crmbridge.sync._migrate import OVERLAP, changed_at, fingerprint
from crmbridge.sync._state import FeedChange, LogEntry, StateStore

__all__ = ["FeedReport", "envelope", "feed", "feed_to_log"]


@dataclass
class FeedReport:
    """What a feed run emitted, per kind, and the records it could not translate (``failures``)."""

    name: str
    upserts: dict[str, int] = field(default_factory=dict)
    deletes: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    last_seq: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    """One ``{"kind", "source", "reason"}`` per record not emitted (``source`` is "" without an id)."""

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "name": self.name,
            "upserts": self.upserts,
            "deletes": self.deletes,
            "read": self.read,
            "last_seq": self.last_seq,
            "failures": self.failures,
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`as_dict` as indented JSON."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")


def _now() -> datetime:
    return datetime.now(UTC)


def envelope(feed: str, seq: int, kind: str, ref: str, fingerprint: str | None) -> dict[str, str]:
    """The transport-neutral envelope of one change: ``id``, ``type`` and ``subject``.

    ``id`` hashes the feed, the seq, the ref and the content fingerprint: each change has its own,
    and a change delivered again (a replay, a retry, a run resumed after a crash) keeps it, so
    consumers dedupe on it. A seq rolled back after a crash and given to another change yields
    another id, since the ref or the content differ.
    """
    op = "deleted" if fingerprint is None else "upserted"
    digest = hashlib.sha256(f"{feed}\n{seq}\n{ref}\n{fingerprint or '-'}".encode()).hexdigest()
    return {"id": digest[:32], "type": f"crmbridge.{kind}.{op}", "subject": ref}


def _last_seq_in(path: Path) -> int:
    """The ``seq`` of the last complete line of an NDJSON file (0 for none)."""
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        data = handle.read()
    # Only newline-terminated lines count: a line cut by a kill is removed before appending.
    tail = data.split(b"\n")[:-1]
    for line in reversed(tail):
        try:
            return int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # a line cut by a kill: not complete, not counted
    return 0


BATCH = 200
"""Records handled per state-store transaction (and per flush of the output)."""


def _batches(records: Iterator[Record]) -> Iterator[list[Record]]:
    """Records in lists of at most :data:`BATCH`, a new list starting where a ref would repeat."""
    batch: list[Record] = []
    refs: set[Ref] = set()
    for record in records:
        if record.ref is None:
            continue
        if len(batch) == BATCH or record.ref in refs:
            yield batch
            batch, refs = [], set()
        batch.append(record)
        refs.add(record.ref)
    if batch:
        yield batch


class _Feed:
    def __init__(self, connection: Connection, state: StateStore, name: str, sink: IO[str] | None) -> None:
        self.connection = connection
        self.state = state
        self.name = name
        self.sink = sink
        self.report = FeedReport(name)

    def run(self, kind: str, *, full_scan: bool) -> None:
        since = self.state.checkpoint(self.name, kind)
        scanning = full_scan or since is None
        records = self._read(kind, None if scanning else since)
        if records is None:  # no update filter: only a full scan can see changes
            scanning, records = True, self.connection.list(kind, on_error="skip")
        run_mark = _now()
        newest = since
        read = 0
        failed_before = {f.source for f in self.state.failures(self.name) if f.kind == kind}
        self.connection.failures.clear()
        for batch in _batches(records):
            read += len(batch)
            self._emit_changed(kind, batch, run_mark if scanning else None)
            for record in batch:
                changed = changed_at(record)
                if changed is not None and (newest is None or changed > newest):
                    newest = changed
                if record.ref in failed_before:
                    self.state.clear_failure(self.name, record.ref)
        self.report.read[kind] = read
        if self._report_untranslated(kind, run_mark if scanning else None):
            newest = since  # read them again next run: the mark stays where it was
        if scanning:
            gone = self.state.feed_unseen(self.name, kind, run_mark)
            for start in range(0, len(gone), BATCH):
                deletes = [FeedChange(ref, None) for ref in gone[start : start + BATCH]]
                self._emit(kind, deletes, [None] * len(deletes))
                self.report.deletes[kind] = self.report.deletes.get(kind, 0) + len(deletes)
        if newest is not None and newest != since:
            self.state.set_checkpoint(self.name, kind, newest)

    def _report_untranslated(self, kind: str, scan_mark: datetime | None) -> bool:
        """Report the records of ``kind`` the listing could not translate; True when there were any."""
        untranslated = [failure for failure in self.connection.failures if failure.kind == kind]
        self.connection.failures.clear()
        for failure in untranslated:
            reason = f"not emitted: untranslatable record at position {failure.position}: {failure.error}"
            self.report.failures.append({"kind": kind, "source": str(failure.ref or ""), "reason": reason})
            if failure.ref is not None:
                self.state.record_failure(self.name, failure.ref, kind, reason)
        if scan_mark is not None:  # still there, only unreadable: not a deletion
            self.state.feed_seen(self.name, [f.ref for f in untranslated if f.ref is not None], scan_mark)
        return bool(untranslated)

    def _emit_changed(self, kind: str, batch: list[Record], scan_mark: datetime | None) -> None:
        """Emit the records of ``batch`` whose content differs from what was emitted last."""
        emitted = self.state.feed_fingerprints(self.name, [r.ref for r in batch if r.ref is not None])
        changes: list[FeedChange] = []
        bodies: list[dict[str, Any] | None] = []
        unchanged: list[Ref] = []
        for record in batch:
            assert record.ref is not None, "_batches drops records without a ref"
            digest = fingerprint(record)
            if emitted.get(record.ref) == digest:
                unchanged.append(record.ref)
                continue
            changes.append(FeedChange(record.ref, digest, scan_mark))
            bodies.append(record.model_dump(mode="json"))
        if scan_mark is not None:
            self.state.feed_seen(self.name, unchanged, scan_mark)
        if changes:
            self._emit(kind, changes, bodies)
            self.report.upserts[kind] = self.report.upserts.get(kind, 0) + len(changes)

    def _read(self, kind: str, since: datetime | None) -> Iterator[Record] | None:
        if since is None:
            return self.connection.list(kind, on_error="skip")
        records = self.connection.list(kind, on_error="skip", updated_since=since - OVERLAP)
        try:
            first = next(records)
        except StopIteration:
            return iter(())
        except UnsupportedOperation:
            return None
        return itertools.chain((first,), records)

    def _emit(self, kind: str, changes: list[FeedChange], bodies: list[dict[str, Any] | None]) -> None:
        """Record ``changes`` as pending, write their lines, flush, then mark them final."""
        first = self.state.feed_begin(self.name, kind, changes)
        observed = _now().isoformat()
        entries = []
        for seq, change, body in zip(itertools.count(first), changes, bodies, strict=False):
            op = "upsert" if change.fingerprint is not None else "delete"
            ref = str(change.ref)
            entry = {"seq": seq, "op": op, "kind": kind, "ref": ref, "record": body, "observed_at": observed}
            entries.append(entry | envelope(self.name, seq, kind, ref, change.fingerprint))
        self._write(entries)
        last = first + len(changes) - 1
        self.state.feed_end(self.name, first, last)
        self.report.last_seq = last

    def _write(self, entries: list[dict[str, Any]]) -> None:
        """Hand the entries of one batch to the output (here: NDJSON lines, flushed)."""
        # ASCII JSON: any str survives, even one that is not valid UTF-8.
        self._write_lines([json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries])

    def _write_lines(self, lines: list[str]) -> None:
        assert self.sink is not None, "a feed without a sink writes its log (_LogFeed)"
        self.sink.write("".join(lines))
        self.sink.flush()


class _LogFeed(_Feed):
    """A feed whose output is its log in the state store (what the dlt source and webhooks read)."""

    def _write(self, entries: list[dict[str, Any]]) -> None:
        rows = [
            LogEntry(entry["seq"], entry["kind"], entry["ref"], json.dumps(entry, separators=(",", ":")))
            for entry in entries
        ]
        self.state.log_append(self.name, rows)


def _drop_cut_line(path: Path) -> None:
    """Remove a last line cut short by a kill, so appended lines stay one JSON object each."""
    if not path.is_file():
        return
    with path.open("rb+") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        handle.seek(max(0, size - 65536))
        tail = handle.read()
        cut = tail.rfind(b"\n")
        handle.truncate(size - len(tail) + cut + 1 if cut >= 0 else max(0, size - len(tail)))


def feed(
    connection: Connection,
    *,
    output: IO[str] | str | Path,
    state: StateStore | str | Path = "crmbridge-feed.db",
    kinds: Sequence[str] | None = None,
    name: str | None = None,
    full_scan: bool = False,
    wait: float = 0.0,
) -> FeedReport:
    """Append every change of ``kinds`` (default: all the CRM has) to ``output`` as NDJSON lines.

    ``output`` is a text stream or a file path (appended to). See the module docstring for what a
    run emits and what it promises across crashes.

    One run per feed at a time: the run holds the lease of ``feed <name>`` in the state store;
    another run of the same feed waits ``wait`` seconds for it, then raises
    :class:`~crmbridge.errors.JobLocked` naming the holder. A read that fails after its retries
    raises :class:`~crmbridge.errors.RunInterrupted` (what was emitted stays emitted).
    """
    store = state if isinstance(state, StateStore) else StateStore(state)
    feed_name = name or f"feed:{connection.system}"
    chosen = list(kinds) if kinds is not None else sorted(connection.adapter.kinds)
    try:
        with Lease(store, f"feed {feed_name}", wait=wait):
            if isinstance(output, str | Path):
                path = Path(output)
                store.feed_recover(feed_name, _last_seq_in(path))
                _drop_cut_line(path)
                with path.open("a", encoding="utf-8") as sink:
                    return _run(connection, store, feed_name, sink, chosen, full_scan)
            store.feed_recover(feed_name, None)
            return _run(connection, store, feed_name, output, chosen, full_scan)
    except (AuthenticationError, PermissionDeniedError):
        raise  # not a read that ran out of retries: the credentials are what to fix
    except APIError as error:
        raise RunInterrupted(feed_name, error) from error
    finally:
        if store is not state:
            store.close()


def feed_to_log(
    connection: Connection,
    *,
    state: StateStore,
    kinds: Sequence[str] | None = None,
    name: str | None = None,
    full_scan: bool = False,
) -> FeedReport:
    """Append every change of ``kinds`` to the log of feed ``name`` in ``state`` (not to a file).

    The same changes, seqs and lines as :func:`feed`; a crash is settled from the log's last seq,
    so the log neither loses nor repeats a change. The dlt source and the webhooks read the log.
    """
    feed_name = name or f"feed:{connection.system}"
    chosen = list(kinds) if kinds is not None else sorted(connection.adapter.kinds)
    state.feed_recover(feed_name, state.log_last_seq(feed_name))
    return _run(connection, state, feed_name, None, chosen, full_scan)


def _run(
    connection: Connection, store: StateStore, name: str, sink: IO[str] | None, kinds: Sequence[str], full_scan: bool
) -> FeedReport:
    run = _Feed(connection, store, name, sink) if sink is not None else _LogFeed(connection, store, name, sink)
    for kind in kinds:
        connection.adapter.check_kind(kind)
        run.run(kind, full_scan=full_scan)
    return run.report
