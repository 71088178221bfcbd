"""Moving records from one CRM to another through the canonical model, exactly once.

How a run goes, kind by kind in dependency order (contacts before the records that refer to
them):

1. **Reconcile** creates that an earlier run started and never confirmed (a crash, a kill, an
   ambiguous network failure): the target is searched for a record matching what would have
   been written (a fingerprint search: every field of the create body equal); found, it is
   linked; not found, the intent is dropped and the record is created again below.
2. **Read** the source: everything on the first run, then only what changed since the
   checkpoint (minus an overlap window), where the source can filter by update time.
3. **Write** each record: unchanged ones (same content fingerprint as last written) are
   skipped; linked ones are updated in place; new ones are created after recording the intent,
   and linked when the create is confirmed. References go through the crosswalk: a record whose
   reference has no counterpart yet is not written with a dangling id but recorded as a failure.
3b. **Settle** the creates of this run that failed ambiguously (sent, answer lost): the target is
   searched for them as in step 1, and those certainly not created are created again, a few rounds
   at most, before the next kind starts (its records may refer to these).
4. **Checkpoint**: the high-water mark moves to the newest source update that was handled, but
   never past a record that failed, so the next run tries it again.

``dry_run=True`` reads and translates everything and writes nothing (neither the target nor the
state store).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crmbridge._connection import Connection
from crmbridge.canonical import Record, Ref
from crmbridge.errors import AmbiguousWriteError, APIError, CrmBridgeError, MappingError, UnsupportedOperation
from crmbridge.sync._convert import CONVERSIONS, Conversion
from crmbridge.sync._state import StateStore

__all__ = ["KIND_ORDER", "KindReport", "MigrationReport", "changed_fields", "content_of", "fingerprint", "migrate"]

KIND_ORDER: tuple[str, ...] = ("contact", "event", "task", "activity")
"""Kinds in dependency order: records that others refer to come first."""

SETTLE_ROUNDS = 3
"""How many times a run searches for its own ambiguous creates (and redoes those that did not happen)."""

OVERLAP = timedelta(minutes=5)
"""Re-read this much before the checkpoint, so records updated while the last run read are not missed."""

Progress = Callable[[str, int], None]


def content_of(record: Record) -> dict[str, Any]:
    """A record's content (not its identity) as canonical JSON."""
    return record.model_dump(mode="json", exclude={"ref"})


def fingerprint(record: Record) -> str:
    """A hash of a record's content: equal fingerprints mean nothing to write."""
    return _digest(content_of(record))


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> set[str] | None:
    """The canonical fields whose value changed (None: unknown, so every field)."""
    if before is None:
        return None
    return {name for name, value in after.items() if before.get(name) != value}


def _field_of(path: str) -> str:
    """``tags[1]`` -> ``tags[*]``: the loss report counts fields, not positions."""
    out, depth = [], 0
    for char in path:
        if char == "[":
            depth += 1
            out.append("[*")
        elif char == "]":
            depth -= 1
            out.append("]")
        elif depth == 0:
            out.append(char)
    return "".join(out)


@dataclass
class KindReport:
    """What a run did with one kind."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reconciled: int = 0
    failed: int = 0
    dropped_fields: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reconciled": self.reconciled,
            "failed": self.failed,
            "dropped_fields": dict(sorted(self.dropped_fields.items())),
        }


@dataclass
class MigrationReport:
    """The outcome of a run: per kind counts, the failures with reasons, the fields dropped."""

    job: str
    source: str
    target: str
    dry_run: bool
    kinds: dict[str, KindReport] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped_kinds: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "job": self.job,
            "source": self.source,
            "target": self.target,
            "dry_run": self.dry_run,
            "kinds": {kind: report.as_dict() for kind, report in self.kinds.items()},
            "skipped_kinds": self.skipped_kinds,
            "failures": self.failures,
        }

    def write_json(self, path: str | Path) -> None:
        """Save the report as a JSON file."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")


def _ordered(kinds: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(kinds))
    return sorted(wanted, key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER))


def _marker(source: Ref) -> str:
    return f"crmbridge:{source}"


class _Run:
    """One migration run (kept in one object so each step is a small method)."""

    def __init__(
        self,
        source: Connection,
        target: Connection,
        state: StateStore,
        report: MigrationReport,
        *,
        dry_run: bool,
        progress: Progress | None,
        links: Mapping[Ref, Ref],
        full_scan: bool = False,
    ) -> None:
        self.links = links
        self.full_scan = full_scan
        self.convert: Conversion | None = None
        self.started = datetime.now(UTC)
        self.source = source
        self.target = target
        self.state = state
        self.report = report
        self.dry_run = dry_run
        self.progress = progress
        self.target_kind = ""
        """What the kind being moved becomes in the target (itself, or what CONVERSIONS makes it)."""
        self.unsettled: dict[Ref, datetime | None] = {}
        """This kind's creates that failed ambiguously in this run, with their source change time."""
        self.planned: dict[Ref, Ref] = {}
        """Dry run: the placeholder target Ref of each record it would have created (later records refer to them)."""

    def resolve(self, ref: Ref, system: str) -> Ref | None:
        """Fixed counterparts first (users, offices: ``links=``), then the crosswalk of moved records."""
        fixed = self.links.get(ref)
        if fixed is not None and fixed.system == system:
            return fixed
        return self.state.resolve(ref, system) or self.planned.get(ref)

    # -- the kinds -----------------------------------------------------------------------------

    def move(self, kind: str, into: str | None = None) -> None:
        """Move ``kind``; with ``into``, each record is converted to that kind first (CONVERSIONS)."""
        self.convert = CONVERSIONS[(kind, into)] if into is not None else None
        self.target_kind = into or kind
        self.unsettled = {}
        counts = self.report.kinds.setdefault(kind, KindReport())
        if not self.dry_run:
            self.reconcile(kind, counts)
        since = None if self.full_scan else self.state.checkpoint(self.report.job, kind)
        newest: datetime | None = since
        oldest_failure: datetime | None = None
        for record in self.read(kind, since):
            counts.read += 1
            if self.progress is not None:
                self.progress(kind, counts.read)
            changed = changed_at(record)
            if not self.write(kind, record, counts) and changed is not None:
                oldest_failure = changed if oldest_failure is None else min(oldest_failure, changed)
            if changed is not None and (newest is None or changed > newest):
                newest = changed
        for changed in self.settle(kind, counts):
            if changed is not None:
                oldest_failure = changed if oldest_failure is None else min(oldest_failure, changed)
        for failure in self.source.failures:
            self.fail(kind, counts, None, f"unreadable source record at position {failure.position}: {failure.error}")
        self.source.failures.clear()
        mark = oldest_failure - timedelta(microseconds=1) if oldest_failure is not None else newest
        if not self.dry_run and mark is not None and mark != since:
            self.state.set_checkpoint(self.report.job, kind, mark)

    def settle(self, kind: str, counts: KindReport) -> Iterator[datetime | None]:
        """Settle this run's ambiguous creates before the next kind (which may refer to them).

        Each round searches the target for the unconfirmed creates; those not found certainly did
        not happen and are created again from the source record the search read. What is still unsettled
        after :data:`SETTLE_ROUNDS` is reported as failed (the intent stays for the next run); the
        change times of those records are yielded so the checkpoint stays before them.
        """
        for _ in range(SETTLE_ROUNDS):
            if not self.unsettled:
                return
            pending, self.unsettled = self.unsettled, {}
            not_created = self.reconcile(kind, counts, only=set(pending))
            for source, changed in pending.items():
                if source in not_created:
                    if not self.write(kind, not_created[source], counts):
                        yield changed
                elif self.state.target_of(source, self.target.system) is None:
                    yield changed  # the search itself failed (reported): the intent waits for the next run
        for source, changed in self.unsettled.items():
            reason = "the create failed ambiguously and could not be settled in this run"
            self.fail(kind, counts, source, f"{reason} (will be reconciled on the next run)")
            yield changed
        self.unsettled = {}

    def read(self, kind: str, since: datetime | None) -> Iterator[Record]:
        # Without an incremental filter a full read is done, and fingerprints skip what did not change.
        windows = [{"updated_since": since - OVERLAP}, {}] if since is not None else [{}]
        return _list_with_fallback(self.source, kind, windows)

    # -- one record ----------------------------------------------------------------------------

    def write(self, kind: str, record: Record, counts: KindReport) -> bool:
        """Create, update or skip ``record``; False when it failed (and was recorded)."""
        source = record.ref
        assert source is not None, "records read from a CRM have a ref"
        if self.convert is not None:
            record, lost = self.convert(record, self.started)
            for path in lost:
                counts.dropped_fields[_field_of(path)] += 1
        for path in self.target.adapter.unsupported(record):
            counts.dropped_fields[_field_of(path)] += 1
        linked = self.state.target_of(source, self.target.system)
        content = content_of(record)
        digest = _digest(content)
        try:
            if linked is not None and linked[1] == digest:
                counts.unchanged += 1
            elif linked is not None:
                self.update(record, linked[0], content, digest)
                counts.updated += 1
            else:
                self.create(kind, record, content, digest)
                counts.created += 1
        except AmbiguousWriteError:
            if linked is not None:  # an update: sending the same fields again is harmless
                self.fail(kind, counts, source, "the update failed ambiguously; it is sent again on the next run")
                return False
            self.unsettled[source] = changed_at(record)
            return True
        except (CrmBridgeError, ValueError) as error:
            self.fail(kind, counts, source, _reason(error))
            return False
        if not self.dry_run:
            self.state.clear_failure(self.report.job, source)
        return True

    def update(self, record: Record, target_ref: Ref, content: dict[str, Any], digest: str) -> None:
        assert record.ref is not None
        # Only the fields that changed since the last write: some CRMs append list items on
        # update (Activix emails and phones), so resending everything would duplicate them.
        fields = changed_fields(self.state.written_content(record.ref, self.target.system), content)
        if self.dry_run:
            self.target.adapter.to_update(record, fields=fields, resolve=self.resolve)
            return
        self.target.update(record, fields=fields, resolve=self.resolve, ref=target_ref)
        self.state.link(record.ref, target_ref, fingerprint=digest, content=content)

    def create(self, kind: str, record: Record, content: dict[str, Any], digest: str) -> None:
        source = record.ref
        assert source is not None
        # Translating first: a record that cannot be written leaves no intent behind.
        self.target.adapter.from_canonical(record, resolve=self.resolve)
        if self.dry_run:
            ref_kind = _REF_KINDS.get((self.target.system, self.target_kind), self.target_kind)
            self.planned[source] = Ref(self.target.system, ref_kind, _placeholder_id(self.target.system, source))
            return
        self.state.record_intent(source, self.target.system, kind=kind, marker=_marker(source), fingerprint=digest)
        try:
            created = self.target.create(record, resolve=self.resolve)
        except AmbiguousWriteError:
            raise  # the intent stays: the next run finds out whether the create happened
        except (CrmBridgeError, ValueError):
            self.state.drop_intent(source, self.target.system)
            raise
        self.state.confirm(source, created, fingerprint=digest, content=content)

    def fail(self, kind: str, counts: KindReport, ref: Ref | None, reason: str) -> None:
        counts.failed += 1
        self.report.failures.append({"kind": kind, "source": str(ref) if ref else "", "reason": reason})
        if ref is not None and not self.dry_run:
            self.state.record_failure(self.report.job, ref, kind, reason)

    # -- exactly once --------------------------------------------------------------------------

    def reconcile(self, kind: str, counts: KindReport, only: set[Ref] | None = None) -> dict[Ref, Record]:
        """Settle unconfirmed creates (of earlier runs, or ``only`` these); the source records of those not found.

        A create not found in the target certainly did not happen: its intent is dropped, and the
        record is created again (when it is read, or by :meth:`settle` from the record returned).
        """
        expected: dict[Ref, tuple[Any, dict[str, Any]]] = {}
        records: dict[Ref, Record] = {}
        for intent in self.state.pending_intents(self.target.system):
            if intent.source.system != self.source.system or intent.kind != kind:
                continue
            if only is not None and intent.source not in only:
                continue
            try:
                record = records[intent.source] = self.source.get(kind, intent.source)
                if self.convert is not None:
                    record = self.convert(record, self.started)[0]
                expected[intent.source] = (intent, self.target.adapter.from_canonical(record, resolve=self.resolve))
            except (CrmBridgeError, ValueError) as error:
                self.fail(kind, counts, intent.source, f"could not reconcile an unconfirmed create: {_reason(error)}")
        if not expected:
            return {}
        since = min(intent.created_at for intent, _ in expected.values()) - OVERLAP
        for source, target in self.find_in_target(self.target_kind, expected, since):
            intent = expected.pop(source)[0]
            self.state.confirm(source, target, fingerprint=intent.fingerprint)
            counts.reconciled += 1
        for source in expected:
            self.state.drop_intent(source, self.target.system)
        return {source: records[source] for source in expected}

    def find_in_target(
        self, kind: str, expected: Mapping[Ref, tuple[Any, dict[str, Any]]], since: datetime
    ) -> Iterator[tuple[Ref, Ref]]:
        """``(source, target)`` for each unconfirmed create found in the target (fingerprint search).

        A target record matches when every key of the expected create body that it has holds the
        same value, and no other source record is linked to it. A time-windowed read comes first;
        only if it leaves creates unexplained is the whole kind read, because a window can miss a
        record (an Activix communication is listed through its lead, whose update time may not move):
        concluding "not created" wrongly would create a duplicate.
        """
        taken = {target for _, target in self.state.links(self.target.system)}
        left = dict(expected)
        passes: list[list[dict[str, Any]]] = [[{"updated_since": since}, {"created_since": since}], [{}]]
        for windows in passes:
            for candidate in _list_with_fallback(self.target, kind, windows):
                if candidate.ref is None or candidate.ref in taken:
                    continue
                body = self.target.adapter.from_canonical(candidate)
                for source, (_, wanted) in list(left.items()):
                    if all(body.get(key) == value for key, value in wanted.items() if key in body):
                        taken.add(candidate.ref)
                        del left[source]
                        yield source, candidate.ref
                        break
                if not left:
                    return


_UUID_ID_SYSTEMS = frozenset({"rechat"})
"""Systems whose record ids are UUIDs (the others' are integers): a dry run's placeholder ids take that form."""


_REF_KINDS = {
    ("activix", "contact"): "lead",
    ("activix", "activity"): "communication",
    ("estateprime", "activity"): "communication",
}
"""The CRM's own word for a canonical kind in its Refs, where it differs (a dry run's placeholders use it)."""


def _placeholder_id(system: str, source: Ref) -> str:
    """An id of the target's form for a record a dry run would have created (never sent anywhere)."""
    digest = hashlib.sha256(str(source).encode()).hexdigest()
    if system in _UUID_ID_SYSTEMS:
        return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
    return str(int(digest[:12], 16) + 1)


def _list_with_fallback(connection: Connection, kind: str, windows: Sequence[Mapping[str, Any]]) -> Iterator[Record]:
    """Records of the first filter window the CRM supports (an unsupported one fails on the first page)."""
    for window in windows:
        records = connection.list(kind, on_error="skip", **window)
        try:
            first = next(records)
        except StopIteration:
            return
        except UnsupportedOperation:
            continue
        yield first
        yield from records
        return


def changed_at(record: Record) -> datetime | None:
    """When a record last changed: its ``updated_at``, else its ``created_at`` (None if neither)."""
    value = getattr(record, "updated_at", None) or getattr(record, "created_at", None)
    return value if isinstance(value, datetime) else None


def _reason(error: Exception) -> str:
    if isinstance(error, AmbiguousWriteError):
        return f"{error} (will be reconciled on the next run)"
    if isinstance(error, MappingError | APIError | UnsupportedOperation):
        return str(error)
    return f"{type(error).__name__}: {error}"


def migrate(
    *,
    source: Connection,
    target: Connection,
    kinds: Sequence[str] | None = None,
    state: StateStore | str | Path = "crmbridge-state.db",
    job: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    links: Mapping[Ref, Ref] | None = None,
    conversions: Mapping[str, str] | None = None,
    full_scan: bool = False,
) -> MigrationReport:
    """Move ``kinds`` (default: every kind both CRMs have) from ``source`` to ``target``.

    ``state`` is a :class:`StateStore` or where to keep one (a SQLite path or a
    ``postgresql://`` URL). ``links`` gives the counterparts of records that are not migrated but
    referred to, such as users (``{Ref("estateprime", "user", "3"): Ref("activix", "user", "77")}``).
    ``conversions`` maps a kind the target lacks to one it has (``{"event": "task"}``: see
    :mod:`crmbridge.sync._convert` for the policy); without it such kinds are skipped and said so.
    Running again resumes: what was moved is not moved twice, what changed is updated, what failed
    is tried again. ``full_scan=True`` reads every source record instead of only what changed
    since the last run's checkpoint. See the module docstring.
    """
    if source.system == target.system:
        raise ValueError("source and target are the same system; crmbridge migrates between CRMs")
    store = state if isinstance(state, StateStore) else StateStore(state)
    chosen = _ordered(kinds if kinds is not None else source.adapter.kinds & target.adapter.kinds)
    report = MigrationReport(job or f"{source.system}->{target.system}", source.system, target.system, dry_run)
    run = _Run(
        source, target, store, report, dry_run=dry_run, progress=progress, links=links or {}, full_scan=full_scan
    )
    for kind in chosen:
        into = (conversions or {}).get(kind)
        if kind not in source.adapter.kinds:
            report.skipped_kinds[kind] = f"{source.system} has no {kind}"
        elif kind in target.adapter.kinds:
            run.move(kind)
        elif into is not None and into in target.adapter.kinds and (kind, into) in CONVERSIONS:
            run.move(kind, into)
        else:
            why = f"{target.system} has no {kind} (convert it: --convert {kind}=..., or conversions= in Python)"
            report.skipped_kinds[kind] = why
    if store is not state:
        store.close()
    return report
