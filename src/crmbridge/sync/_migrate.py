"""Moving records from one CRM to another through the canonical model, exactly once.

How a run goes, kind by kind in dependency order (contacts before the records that refer to
them):

1. **Read** the source: everything on the first run, then only what changed since the
   checkpoint (minus an overlap window), where the source can filter by update time.
2. **Write** each record: unchanged ones (same content fingerprint as last written) are
   skipped; linked ones are updated in place; new ones are created after recording the intent,
   and linked when the create is confirmed. References go through the crosswalk: a record whose
   reference has no counterpart yet is not written with a dangling id but recorded as a failure.
   A record with an unconfirmed create of an earlier run (a crash, a kill, an ambiguous network
   failure) is not written: after the read it is settled as in step 3 (once), then written if
   the create did not happen. Those the read did not return are read by id, or, from a CRM that
   cannot read one record by id (Activix communications), by one full listing.
3. **Settle** the unconfirmed creates (sent, answer lost): the target is searched for a record
   holding what the create would have written (:func:`holds`: compared the way the target
   stores it, so a ``null`` it stores as ``false``, or keys it adds as ``null``, still match);
   found, it is linked; not found, the create certainly did not happen and is sent again from
   the source record already in hand (no read of the source), a few rounds at most, before the
   next kind starts (its records may refer to these).
4. **Checkpoint**: the high-water mark moves to the newest source update that was handled, but
   never past a record that failed, so the next run tries it again.

``dry_run=True`` reads and translates everything and writes nothing (neither the target nor the
state store).

A read that fails after its retries (the source's listing, the target's search) stops the run
with :class:`~crmbridge.errors.RunInterrupted`: what was moved stays linked, checkpoints stay
where they were, unconfirmed creates keep their intents, so running again resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from crmbridge._connection import Connection
from crmbridge.canonical import Record, Ref
from crmbridge.errors import (
    AmbiguousWriteError,
    APIError,
    AuthenticationError,
    CrmBridgeError,
    MappingError,
    PermissionDeniedError,
    RunInterrupted,
    UnsupportedOperation,
)
from crmbridge.sync._convert import CONVERSIONS, Conversion
from crmbridge.sync._field_mapping import FieldMapping, LineStats, ResolvedFieldMapping
from crmbridge.sync._lease import Lease
from crmbridge.sync._state import StateStore

__all__ = [
    "KIND_ORDER",
    "KindReport",
    "MigrationReport",
    "changed_fields",
    "content_of",
    "fingerprint",
    "holds",
    "migrate",
]

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


_UNSET: tuple[Any, ...] = (None, False, "", [], {})
"""What a CRM may store for a value a create left ``null``: its default, or nothing."""


def holds(stored: Any, sent: Any) -> bool:
    """Whether ``stored`` (a body read back from the target) holds what ``sent`` (a create body) wrote.

    Compared the way CRMs store what they are given: a ``null`` sent may come back as the
    field's default (EstatePrime stores ``is_lead: null`` as ``false``); keys the CRM adds to an
    object are not part of what was sent (Rechat task associations come back with ``listing``,
    ``deal``, ``index``, ``metadata`` set to ``null``); keys the CRM does not return (write-only)
    cannot be compared. Everything that was sent with a value must be there, equal.
    """
    if sent is None:
        return stored in _UNSET
    if isinstance(sent, dict) and isinstance(stored, dict):
        return all(holds(stored[key], value) for key, value in sent.items() if key in stored)
    if isinstance(sent, list) and isinstance(stored, list):
        return len(sent) == len(stored) and all(holds(a, b) for a, b in zip(stored, sent, strict=True))
    return bool(stored == sent)


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
    field_mapping: dict[str, LineStats] = field(default_factory=dict)
    """Per field mapping line (``"Available Budget -> Budget"``): values moved, failed, lossy."""

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
            "field_mapping": {line: vars(stats) for line, stats in self.field_mapping.items()},
        }

    def write_json(self, path: str | Path) -> None:
        """Save the report as a JSON file."""
        Path(path).write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")


def resolve_field_mapping(
    mapping: FieldMapping,
    source: Connection,
    target: Connection,
    *,
    store: StateStore | None = None,
    dry_run: bool = False,
    kinds: Sequence[str] | None = None,
) -> ResolvedFieldMapping:
    """``mapping`` checked against the live custom field definitions of both ends (before any write).

    With ``create_missing``, the source's custom fields that no line names and the target lacks
    are defined in the target first (same name, the target's type for the values) and linked in
    the crosswalk of ``store``, so a later run finds them again; a dry run defines nothing and
    maps nothing to them. Only ``kinds`` (default: all) get fields defined; a target that cannot
    define them raises :class:`FieldMappingError`.
    """
    source_defs, target_defs = source.custom_field_defs(), target.custom_field_defs()
    if mapping.create_missing and not dry_run:
        for kind, definition in mapping.unmapped_sources(source_defs, target_defs):
            if kinds is not None and kind not in kinds:
                continue
            try:
                created = target.create_custom_field_def(kind, definition.name, definition.type, definition.options)
            except UnsupportedOperation as error:
                raise mapping.error(0, f"create_missing: {error}") from None
            target_defs.setdefault(kind, []).append(created)
            if store is not None:
                store.link(definition.ref, created.ref, fingerprint="custom-field-def")
    return mapping.resolve(
        source_system=source.system,
        target_system=target.system,
        source_defs=source_defs,
        target_defs=target_defs,
    )


def _account_zone(connection: Connection) -> ZoneInfo | None:
    # Date <-> datetime conversions happen in the account's zone: EstatePrime's adapter knows it.
    name = getattr(connection.adapter, "timezone", None)
    return ZoneInfo(name) if isinstance(name, str) else None


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
        lease: Lease | None = None,
        full_scan: bool = False,
    ) -> None:
        self.links = links
        self.full_scan = full_scan
        self.planned: dict[Ref, Ref] = {}
        """Dry run: the placeholder target Ref of each record it would have created (later records refer to them)."""
        self.lease = lease
        self.fields: ResolvedFieldMapping | None = None
        self.zone: ZoneInfo | None = None
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
        """This kind's unconfirmed creates (of this run or earlier ones), with their source change time."""
        self.in_hand: dict[Ref, Record] = {}
        """The source records of :attr:`unsettled`, as read: settling them needs no read of the source."""
        self.earlier: dict[Ref, Record] = {}
        """This kind's source records whose create an earlier run started and never confirmed."""

    def resolve_here(self, ref: Ref) -> Ref | None:
        """The target's counterpart of ``ref`` (for user and contact custom fields)."""
        return self.resolve(ref, self.target.system)

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
        self.unsettled, self.in_hand, self.earlier = {}, {}, {}
        counts = self.report.kinds.setdefault(kind, KindReport())
        waiting = set() if self.dry_run else self.earlier_intents(kind)
        since = None if self.full_scan else self.state.checkpoint(self.report.job, kind)
        newest: datetime | None = since
        oldest_failure: datetime | None = None
        for record in self.read(kind, since):
            counts.read += 1
            if self.progress is not None:
                self.progress(kind, counts.read)
            changed = changed_at(record)
            if record.ref in waiting:  # created by an earlier run, maybe: settled below, not created again
                waiting.discard(record.ref)
                self.wait_for_settling(record)
            elif not self.write(kind, record, counts) and changed is not None:
                oldest_failure = changed if oldest_failure is None else min(oldest_failure, changed)
            if changed is not None and (newest is None or changed > newest):
                newest = changed
        self.fetch_unread(kind, counts, waiting)
        for changed in self.settle_earlier(kind, counts):
            if changed is not None:
                oldest_failure = changed if oldest_failure is None else min(oldest_failure, changed)
        for changed in self.settle(kind, counts):
            if changed is not None:
                oldest_failure = changed if oldest_failure is None else min(oldest_failure, changed)
        for failure in self.source.failures:
            # Named by its ref where the payload carries an id, so the state keeps it for the next run.
            self.fail(
                kind, counts, failure.ref, f"unreadable source record at position {failure.position}: {failure.error}"
            )
        self.source.failures.clear()
        mark = oldest_failure - timedelta(microseconds=1) if oldest_failure is not None else newest
        if not self.dry_run and mark is not None and mark != since:
            self.state.set_checkpoint(self.report.job, kind, mark)

    def settle_earlier(self, kind: str, counts: KindReport) -> Iterator[datetime | None]:
        """Settle the earlier runs' unconfirmed creates once; the change times of those left unsettled."""
        not_created = self.reconcile(kind, counts, self.earlier)
        for source, record in self.earlier.items():
            if source in not_created:
                if not self.write(kind, record, counts):
                    yield changed_at(record)
            elif self.state.target_of(source, self.target.system) is None:
                yield changed_at(record)  # it could not be searched for (reported): the intent waits

    def earlier_intents(self, kind: str) -> set[Ref]:
        """The source records of ``kind`` whose create an earlier run started and never confirmed."""
        return {
            intent.source
            for intent in self.state.pending_intents(self.target.system)
            if intent.source.system == self.source.system and intent.kind == kind
        }

    def wait_for_settling(self, record: Record) -> None:
        assert record.ref is not None
        self.earlier[record.ref] = record

    def fetch_unread(self, kind: str, counts: KindReport, refs: set[Ref]) -> None:
        """Read the source records of earlier intents the read did not return (outside its window).

        By id where the CRM can; a CRM that cannot (Activix communications are only listed
        through their lead) is listed once in full instead.
        """
        listed: dict[Ref, Record] | None = None
        for ref in sorted(refs, key=str):
            try:
                try:
                    record = self.source.get(kind, ref)
                except UnsupportedOperation:
                    if listed is None:
                        listed = {r.ref: r for r in _list_with_fallback(self.source, kind, [{}]) if r.ref is not None}
                    if ref not in listed:
                        raise
                    record = listed[ref]
            except (CrmBridgeError, ValueError) as error:
                self.fail(kind, counts, ref, f"could not reconcile an unconfirmed create: {_reason(error)}")
                continue
            self.wait_for_settling(record)

    def settle(self, kind: str, counts: KindReport) -> Iterator[datetime | None]:
        """Settle the unconfirmed creates before the next kind (which may refer to them).

        Each round searches the target for them; those not found certainly did not happen and are
        created again from the source record in hand. What is still unsettled after
        :data:`SETTLE_ROUNDS` is reported as failed (the intent stays for the next run); the
        change times of those records are yielded so the checkpoint stays before them.
        """
        for _ in range(SETTLE_ROUNDS):
            if not self.unsettled:
                return
            pending, self.unsettled = self.unsettled, {}
            not_created = self.reconcile(kind, counts, {source: self.in_hand[source] for source in pending})
            for source, changed in pending.items():
                if source in not_created:
                    if not self.write(kind, not_created[source], counts):
                        yield changed
                elif self.state.target_of(source, self.target.system) is None:
                    yield changed  # it could not be searched for (reported): the intent waits for the next run
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
        source, original = record.ref, record
        assert source is not None, "records read from a CRM have a ref"
        if self.lease is not None:
            self.lease.check()  # a run that lost its job to another run writes nothing more
        if self.convert is not None:
            record, lost = self.convert(record, self.started)
            for path in lost:
                counts.dropped_fields[_field_of(path)] += 1
        if self.fields is not None:
            try:
                record, lost = self.fields.apply(record, zone=self.zone, resolve=self.resolve_here)
            except MappingError as error:
                self.fail(kind, counts, source, _reason(error))
                return False
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
            self.unsettled[source] = changed_at(original)
            self.in_hand[source] = original
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

    def reconcile(self, kind: str, counts: KindReport, records: Mapping[Ref, Record]) -> dict[Ref, Record]:
        """Settle the unconfirmed creates of ``records`` (source records); those not found in the target.

        A create not found in the target certainly did not happen: its intent is dropped, and the
        record is returned to be created again.
        """
        intents = {
            intent.source: intent
            for intent in self.state.pending_intents(self.target.system)
            if intent.source in records and intent.kind == kind
        }
        expected: dict[Ref, tuple[Any, dict[str, Any]]] = {}
        for source, record in records.items():
            if source not in intents:
                continue
            try:
                converted = self.convert(record, self.started)[0] if self.convert is not None else record
                body = self.target.adapter.from_canonical(converted, resolve=self.resolve)
                expected[source] = (intents[source], body)
            except (CrmBridgeError, ValueError) as error:
                self.fail(kind, counts, source, f"could not reconcile an unconfirmed create: {_reason(error)}")
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
        """``(source, target)`` for each unconfirmed create found in the target.

        A target record matches when its body :func:`holds` the expected create body, and no
        other source record is linked to it; where several creates match one record, the one it
        holds exactly (same bytes) wins. A time-windowed read comes first;
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
                matching = [source for source, (_, wanted) in left.items() if holds(body, wanted)]
                exact = [s for s in matching if all(body.get(k) == v for k, v in left[s][1].items() if k in body)]
                if matching:
                    source = (exact or matching)[0]
                    taken.add(candidate.ref)
                    del left[source]
                    yield source, candidate.ref
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
    wait: float = 0.0,
    full_scan: bool = False,
    field_mapping: FieldMapping | None = None,
) -> MigrationReport:
    """Move ``kinds`` (default: every kind both CRMs have) from ``source`` to ``target``.

    ``state`` is a :class:`StateStore` or where to keep one (a SQLite path or a
    ``postgresql://`` URL). ``links`` gives the counterparts of records that are not migrated but
    referred to, such as users (``{Ref("estateprime", "user", "3"): Ref("activix", "user", "77")}``).
    ``conversions`` maps a kind the target lacks to one it has (``{"event": "task"}``: see
    :mod:`crmbridge.sync._convert` for the policy); without it such kinds are skipped and said so.
    ``field_mapping`` (a parsed mapping file, :mod:`crmbridge.sync._field_mapping`) moves custom
    field values into the target's fields; it is checked against both ends' live definitions
    before any write (:class:`~crmbridge.errors.FieldMappingError` naming the line), and the
    report counts, per line, the values moved, failed and lossy. Running again resumes: what was
    moved is not moved twice, what changed is updated, what failed
    is tried again. ``full_scan=True`` reads every source record instead of only what changed
    since the last run's checkpoint. See the module docstring.

    One run per pair of CRMs at a time (they share the crosswalk): the run holds the lease of
    ``migrate <source>-><target>`` in the state store; another run of it waits ``wait`` seconds
    for it, then raises :class:`~crmbridge.errors.JobLocked` naming the holder. A dry run takes
    no lease. A read that fails after its retries raises :class:`~crmbridge.errors.RunInterrupted`.
    """
    if source.system == target.system:
        raise ValueError("source and target are the same system; crmbridge migrates between CRMs")
    store = state if isinstance(state, StateStore) else StateStore(state)
    chosen = _ordered(kinds if kinds is not None else source.adapter.kinds & target.adapter.kinds)
    report = MigrationReport(job or f"{source.system}->{target.system}", source.system, target.system, dry_run)
    lease = None if dry_run else Lease(store, f"migrate {source.system}->{target.system}", wait=wait)
    run = _Run(
        source,
        target,
        store,
        report,
        dry_run=dry_run,
        progress=progress,
        links=links or {},
        lease=lease,
        full_scan=full_scan,
    )
    try:
        with lease or contextlib.nullcontext():
            _move_all(run, chosen, conversions or {}, field_mapping)
    except (AuthenticationError, PermissionDeniedError):
        raise  # not a read that ran out of retries: the credentials are what to fix
    except APIError as error:
        raise RunInterrupted(report.job, error) from error
    finally:
        if store is not state:
            store.close()
    return report


def _move_all(
    run: _Run, chosen: Sequence[str], conversions: Mapping[str, str], field_mapping: FieldMapping | None
) -> None:
    source, target, report = run.source, run.target, run.report
    if field_mapping is not None:
        writable = [kind for kind in chosen if kind in target.adapter.kinds]
        run.fields = resolve_field_mapping(
            field_mapping, source, target, store=run.state, dry_run=run.dry_run, kinds=writable
        )
        run.zone = _account_zone(source) or _account_zone(target)
        report.field_mapping = run.fields.stats
    for kind in chosen:
        into = conversions.get(kind)
        if kind not in source.adapter.kinds:
            report.skipped_kinds[kind] = f"{source.system} has no {kind}"
        elif kind in target.adapter.kinds:
            run.move(kind)
        elif into is not None and into in target.adapter.kinds and (kind, into) in CONVERSIONS:
            run.move(kind, into)
        else:
            why = f"{target.system} has no {kind} (convert it: --convert {kind}=..., or conversions= in Python)"
            report.skipped_kinds[kind] = why
