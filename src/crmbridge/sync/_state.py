"""Where migrations and feeds keep what they know: crosswalk, intents, checkpoints, failures.

One code path through SQLAlchemy Core for both backends: a SQLite file (the default, one file
given as a path) or PostgreSQL (a ``postgresql://`` URL). Every write is its own transaction, so a
process killed at any point leaves the store consistent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from crmbridge.canonical import Ref

__all__ = ["DeadLetter", "Failure", "FeedChange", "Intent", "LeaseHolder", "LogEntry", "StateStore", "engine_url"]

_SCHEMA_LOCK = 0x63726D62
"""The PostgreSQL advisory lock that serialises schema creation between runs starting at once."""
SCHEMA_ATTEMPTS = 10
"""How often a SQLite store tries to create its tables while another process is creating them."""

_metadata = sa.MetaData()

crosswalk = sa.Table(
    "crosswalk",
    _metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("target_system", sa.String(40), primary_key=True),
    sa.Column("target", sa.String(300), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("content", sa.JSON, nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("crosswalk_by_target", "target"),
)
intents = sa.Table(
    "intents",
    _metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("target_system", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("marker", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
checkpoints = sa.Table(
    "checkpoints",
    _metadata,
    sa.Column("job", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(40), primary_key=True),
    sa.Column("value", sa.DateTime(timezone=True), nullable=False),
)
failures = sa.Table(
    "failures",
    _metadata,
    sa.Column("job", sa.String(200), primary_key=True),
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


leases = sa.Table(
    "leases",
    _metadata,
    sa.Column("job", sa.String(200), primary_key=True),
    sa.Column("holder", sa.String(300), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
"""Which run holds each job (a migration, a feed) and until when, unless it renews the lease."""

feed_records = sa.Table(
    "feed_records",
    _metadata,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("ref", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("feed_records_by_kind", "feed", "kind"),
)
feed_seq = sa.Table(
    "feed_seq",
    _metadata,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
feed_pending = sa.Table(
    "feed_pending",
    _metadata,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("ref", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("old_fingerprint", sa.String(64), nullable=True),
)
feed_log = sa.Table(
    "feed_log",
    _metadata,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("ref", sa.String(300), nullable=False),
    sa.Column("entry", sa.Text, nullable=False),
    sa.Column("settled", sa.Boolean, nullable=False, default=False),  # delivered, or a dead letter
    sa.Index("feed_log_by_kind", "feed", "kind", "seq"),
    sa.Index("feed_log_unsettled", "feed", "settled", "seq"),
)
feed_dead_letters = sa.Table(
    "feed_dead_letters",
    _metadata,
    sa.Column("feed", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("ref", sa.String(300), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class LogEntry:
    """One change kept in a feed's log: its seq, kind, ref and the JSON text of its feed line."""

    seq: int
    kind: str
    ref: str
    entry: str


@dataclass(frozen=True)
class DeadLetter:
    """A change a transport gave up delivering after ``attempts`` tries, and why."""

    feed: str
    seq: int
    ref: str
    attempts: int
    reason: str
    at: datetime


@dataclass(frozen=True)
class FeedChange:
    """One change a feed is about to emit: ``fingerprint`` None is a delete; ``seen_at`` the scan's start."""

    ref: Ref
    fingerprint: str | None
    seen_at: datetime | None = None


@dataclass(frozen=True)
class Intent:
    """A create that was started and not confirmed: it may or may not exist in the target."""

    source: Ref
    target_system: str
    kind: str
    marker: str
    fingerprint: str
    created_at: datetime


@dataclass(frozen=True)
class LeaseHolder:
    """The run holding a job's lease, and when the lease ends unless renewed."""

    holder: str
    expires_at: datetime


@dataclass(frozen=True)
class Failure:
    """A source record a job could not move, with the reason."""

    job: str
    source: Ref
    kind: str
    reason: str
    at: datetime


BATCH_ROWS = 500
"""Log entries read per query."""


def engine_url(location: str | Path) -> str:
    """A SQLAlchemy URL: ``postgresql://`` URLs use psycopg 3; anything else is a SQLite file path."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith(("postgresql+", "sqlite:")):
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _tune_sqlite(connection: Any, _record: Any) -> None:
    # WAL with synchronous=NORMAL: a commit survives the process being killed (what resuming
    # relies on) without a disk sync per commit; only a power loss may drop the last commits.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _create_schema(engine: sa.Engine) -> None:
    """Create the tables that are missing, safely when several runs start at once."""
    if engine.dialect.name == "postgresql":
        # Two CREATE TABLE of one name at once fail on PostgreSQL's catalog: one creator at a time.
        with engine.begin() as db:
            db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            _metadata.create_all(db)
        return
    for attempt in range(SCHEMA_ATTEMPTS):
        try:
            _metadata.create_all(engine)
            return
        except sa.exc.OperationalError:
            # Another process created a table between the check and the CREATE ("already
            # exists"), or holds the write lock: its tables are there on the next look.
            if attempt == SCHEMA_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; everything stored is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class StateStore:
    """The crosswalk (source Ref -> target Ref), create intents, checkpoints and failures."""

    def __init__(self, location: str | Path) -> None:
        self.url = engine_url(location)
        sqlite_file = self.url.startswith("sqlite")
        # Concurrent runs wait for SQLite's write lock rather than fail after the default 5 s.
        self.engine = sa.create_engine(self.url, future=True, connect_args={"timeout": 60} if sqlite_file else {})
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _tune_sqlite)
        _create_schema(self.engine)

    def __repr__(self) -> str:
        return f"StateStore({self.engine.url.render_as_string(hide_password=True)!r})"

    def _upsert(self, table: sa.Table, values: Mapping[str, object], keys: list[str]) -> sa.Executable:
        """Insert ``values`` or, where ``keys`` match a row, update that row's other columns."""
        upsert: sa.Executable = self._upsert_many(table, keys, [k for k in values if k not in keys]).values(**values)
        return upsert

    # -- crosswalk -----------------------------------------------------------------------------

    def link(self, source: Ref, target: Ref, *, fingerprint: str, content: dict[str, Any] | None = None) -> None:
        """Record that ``source`` lives in the target system as ``target``.

        ``fingerprint`` identifies the content written; ``content`` (the canonical JSON written)
        lets a later run send only the fields that changed.
        """
        values = {
            "source": str(source),
            "target_system": target.system,
            "target": str(target),
            "fingerprint": fingerprint,
            "content": content,
            "updated_at": _now(),
        }
        with self.engine.begin() as db:
            db.execute(self._upsert(crosswalk, values, ["source", "target_system"]))

    def target_of(self, source: Ref, target_system: str) -> tuple[Ref, str] | None:
        """The target Ref of ``source`` and the fingerprint it was written with, or None."""
        query = sa.select(crosswalk.c.target, crosswalk.c.fingerprint).where(
            crosswalk.c.source == str(source), crosswalk.c.target_system == target_system
        )
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return None if row is None else (Ref.parse(row.target), row.fingerprint)

    def written_content(self, source: Ref, target_system: str) -> dict[str, Any] | None:
        """The canonical JSON last written for ``source`` into ``target_system``, if kept."""
        query = sa.select(crosswalk.c.content).where(
            crosswalk.c.source == str(source), crosswalk.c.target_system == target_system
        )
        with self.engine.connect() as db:
            content = db.execute(query).scalar_one_or_none()
        return content if isinstance(content, dict) else None

    def resolve(self, ref: Ref, system: str) -> Ref | None:
        """A resolver for ``Adapter.from_canonical``: the crosswalk's counterpart of ``ref`` in ``system``."""
        found = self.target_of(ref, system)
        return None if found is None else found[0]

    def links(self, target_system: str) -> Iterator[tuple[Ref, Ref]]:
        """Every ``(source, target)`` pair into ``target_system``."""
        query = sa.select(crosswalk.c.source, crosswalk.c.target).where(crosswalk.c.target_system == target_system)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return ((Ref.parse(r.source), Ref.parse(r.target)) for r in rows)

    # -- intents -------------------------------------------------------------------------------

    def record_intent(self, source: Ref, target_system: str, *, kind: str, marker: str, fingerprint: str) -> None:
        """Note, before a create is sent, that ``source`` (a canonical ``kind``) is about to be created."""
        values = {
            "source": str(source),
            "target_system": target_system,
            "kind": kind,
            "marker": marker,
            "fingerprint": fingerprint,
            "created_at": _now(),
        }
        with self.engine.begin() as db:
            db.execute(self._upsert(intents, values, ["source", "target_system"]))

    def confirm(self, source: Ref, target: Ref, *, fingerprint: str, content: dict[str, Any] | None = None) -> None:
        """A create succeeded: link the records and drop the intent, in one transaction."""
        link = {
            "source": str(source),
            "target_system": target.system,
            "target": str(target),
            "fingerprint": fingerprint,
            "content": content,
            "updated_at": _now(),
        }
        with self.engine.begin() as db:
            db.execute(self._upsert(crosswalk, link, ["source", "target_system"]))
            db.execute(
                sa.delete(intents).where(intents.c.source == str(source), intents.c.target_system == target.system)
            )

    def drop_intent(self, source: Ref, target_system: str) -> None:
        """Forget an intent (the create certainly did not happen)."""
        with self.engine.begin() as db:
            db.execute(
                sa.delete(intents).where(intents.c.source == str(source), intents.c.target_system == target_system)
            )

    def pending_intents(self, target_system: str) -> list[Intent]:
        """Creates into ``target_system`` that were started and never confirmed."""
        query = sa.select(intents).where(intents.c.target_system == target_system).order_by(intents.c.created_at)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [
            Intent(Ref.parse(r.source), r.target_system, r.kind, r.marker, r.fingerprint, _aware(r.created_at))
            for r in rows
        ]

    # -- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self, job: str, kind: str) -> datetime | None:
        """The high-water mark of ``job`` for ``kind`` (source ``updated_at``), or None."""
        query = sa.select(checkpoints.c.value).where(checkpoints.c.job == job, checkpoints.c.kind == kind)
        with self.engine.connect() as db:
            value = db.execute(query).scalar_one_or_none()
        return None if value is None else _aware(value)

    def set_checkpoint(self, job: str, kind: str, value: datetime) -> None:
        """Move the high-water mark of ``job`` for ``kind``."""
        if value.tzinfo is None:
            raise ValueError("checkpoints are aware datetimes")
        with self.engine.begin() as db:
            db.execute(self._upsert(checkpoints, {"job": job, "kind": kind, "value": value}, ["job", "kind"]))

    # -- failures ------------------------------------------------------------------------------

    def record_failure(self, job: str, source: Ref, kind: str, reason: str) -> None:
        """Remember that ``source`` could not be moved, and why (replacing an older reason)."""
        values = {"job": job, "source": str(source), "kind": kind, "reason": reason, "at": _now()}
        with self.engine.begin() as db:
            db.execute(self._upsert(failures, values, ["job", "source"]))

    def clear_failure(self, job: str, source: Ref) -> None:
        """``source`` moved after all: forget its failure."""
        with self.engine.begin() as db:
            db.execute(sa.delete(failures).where(failures.c.job == job, failures.c.source == str(source)))

    def failures(self, job: str) -> list[Failure]:
        """Every recorded failure of ``job``."""
        query = sa.select(failures).where(failures.c.job == job).order_by(failures.c.source)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [Failure(r.job, Ref.parse(r.source), r.kind, r.reason, _aware(r.at)) for r in rows]

    # -- leases --------------------------------------------------------------------------------

    def take_lease(self, job: str, holder: str, ttl: timedelta, *, replacing: str | None = None) -> LeaseHolder:
        """Take ``job``'s lease if it is free, expired, ``holder``'s or ``replacing``'s; who holds it now.

        One statement (an insert that updates an expired row), so two runs asking at once cannot
        both get it. ``replacing`` names a holder known to be dead (its process is gone).
        """
        now = _now()
        statement = (
            postgresql.insert(leases) if self.engine.dialect.name == "postgresql" else sqlite.insert(leases)
        ).values(job=job, holder=holder, expires_at=now + ttl)
        statement = statement.on_conflict_do_update(
            index_elements=["job"],
            set_={"holder": statement.excluded.holder, "expires_at": statement.excluded.expires_at},
            where=sa.or_(leases.c.expires_at < now, leases.c.holder.in_([holder, replacing or holder])),
        )
        with self.engine.begin() as db:
            db.execute(statement)
            row = db.execute(sa.select(leases.c.holder, leases.c.expires_at).where(leases.c.job == job)).one()
        return LeaseHolder(row.holder, _aware(row.expires_at))

    def renew_lease(self, job: str, holder: str, ttl: timedelta) -> bool:
        """Extend ``holder``'s lease of ``job``; False when it is no longer theirs."""
        with self.engine.begin() as db:
            renewed = db.execute(
                sa.update(leases).where(leases.c.job == job, leases.c.holder == holder).values(expires_at=_now() + ttl)
            )
        return bool(renewed.rowcount)

    def release_lease(self, job: str, holder: str) -> None:
        """Give ``job``'s lease back (if ``holder`` still has it)."""
        with self.engine.begin() as db:
            db.execute(sa.delete(leases).where(leases.c.job == job, leases.c.holder == holder))

    # -- feeds ---------------------------------------------------------------------------------
    #
    # Emitted changes are made durable in two steps around the write of their lines: ``feed_begin``
    # allocates their seqs and records the new fingerprints with the old ones kept as "pending";
    # ``feed_end`` drops the pending rows. Both take a batch of changes (one transaction each).
    # ``feed_recover`` settles pending rows after a crash from the last seq the output really
    # holds: written ones stay, unwritten ones are rolled back.

    def feed_fingerprints(self, feed: str, refs: Sequence[Ref]) -> dict[Ref, str]:
        """The fingerprints of those of ``refs`` that ``feed`` emitted and did not delete (one query)."""
        by_text = {str(ref): ref for ref in refs}
        query = sa.select(feed_records.c.ref, feed_records.c.fingerprint).where(
            feed_records.c.feed == feed, feed_records.c.ref.in_(list(by_text))
        )
        with self.engine.connect() as db:
            return {by_text[row.ref]: str(row.fingerprint) for row in db.execute(query)}

    def feed_seen(self, feed: str, refs: Sequence[Ref], at: datetime) -> None:
        """Mark ``refs`` as seen by the full scan that started ``at``."""
        if not refs:
            return
        with self.engine.begin() as db:
            db.execute(
                sa.update(feed_records)
                .where(feed_records.c.feed == feed, feed_records.c.ref.in_([str(ref) for ref in refs]))
                .values(seen_at=at)
            )

    def feed_unseen(self, feed: str, kind: str, scan_started: datetime) -> list[Ref]:
        """Records of ``kind`` the full scan that started at ``scan_started`` did not see: gone."""
        query = sa.select(feed_records.c.ref).where(
            feed_records.c.feed == feed,
            feed_records.c.kind == kind,
            sa.or_(feed_records.c.seen_at.is_(None), feed_records.c.seen_at < scan_started),
        )
        with self.engine.connect() as db:
            return [Ref.parse(ref) for ref in db.execute(query).scalars()]

    def feed_begin(self, feed: str, kind: str, changes: Sequence[FeedChange]) -> int:
        """Allocate consecutive seqs of ``feed`` to ``changes`` (one transaction); returns the first.

        The refs of one call must differ (a second change of a ref belongs to a later call).
        """
        refs = [str(change.ref) for change in changes]
        if len(set(refs)) != len(refs):
            raise ValueError("a ref changes at most once per feed_begin call")
        with self.engine.begin() as db:
            current = db.execute(sa.select(feed_seq.c.value).where(feed_seq.c.feed == feed)).scalar_one_or_none()
            first = (current or 0) + 1
            db.execute(self._upsert(feed_seq, {"feed": feed, "value": first + len(changes) - 1}, ["feed"]))
            rows = db.execute(
                sa.select(feed_records.c.ref, feed_records.c.fingerprint).where(
                    feed_records.c.feed == feed, feed_records.c.ref.in_(refs)
                )
            )
            old = {row.ref: row.fingerprint for row in rows}
            pending = [
                {"feed": feed, "seq": first + i, "ref": ref, "kind": kind, "old_fingerprint": old.get(ref)}
                for i, ref in enumerate(refs)
            ]
            db.execute(sa.insert(feed_pending), pending)
            self._set_feed_records(db, feed, kind, [(c.ref, c.fingerprint, c.seen_at) for c in changes])
        return first

    def _set_feed_records(
        self, db: sa.Connection, feed: str, kind: str, rows: Sequence[tuple[Ref, str | None, datetime | None]]
    ) -> None:
        """Store each ref's emitted fingerprint and scan time (fingerprint None: the ref is deleted)."""
        gone = [str(ref) for ref, fingerprint, _ in rows if fingerprint is None]
        if gone:
            db.execute(sa.delete(feed_records).where(feed_records.c.feed == feed, feed_records.c.ref.in_(gone)))
        kept = [
            {"feed": feed, "ref": str(ref), "kind": kind, "fingerprint": fingerprint, "seen_at": seen_at}
            for ref, fingerprint, seen_at in rows
            if fingerprint is not None
        ]
        if kept:
            db.execute(self._upsert_many(feed_records, ["feed", "ref"], ["kind", "fingerprint", "seen_at"]), kept)

    def _upsert_many(self, table: sa.Table, keys: list[str], updated: list[str]) -> sqlite.Insert | postgresql.Insert:
        """An insert-or-update statement: rows given at execution; on a ``keys`` conflict, ``updated`` is set."""
        statement = postgresql.insert(table) if self.engine.dialect.name == "postgresql" else sqlite.insert(table)
        return statement.on_conflict_do_update(
            index_elements=keys, set_={name: statement.excluded[name] for name in updated}
        )

    def feed_end(self, feed: str, first: int, last: int) -> None:
        """The lines of seqs ``first``..``last`` are written: those changes are final."""
        with self.engine.begin() as db:
            db.execute(
                sa.delete(feed_pending).where(feed_pending.c.feed == feed, feed_pending.c.seq.between(first, last))
            )

    def feed_recover(self, feed: str, last_written: int | None) -> None:
        """Settle changes begun before a crash: those up to ``last_written`` stay, later ones roll back.

        ``last_written`` None (the output cannot be read back, e.g. a pipe) rolls back every pending
        change, so it is emitted again: at-least-once delivery.
        """
        with self.engine.begin() as db:
            pending = db.execute(
                sa.select(feed_pending).where(feed_pending.c.feed == feed).order_by(feed_pending.c.seq.desc())
            ).all()
            rolled_back = [row for row in pending if last_written is None or row.seq > last_written]
            for row in rolled_back:  # newest first, so the oldest fingerprint is the one left
                self._set_feed_records(db, feed, row.kind, [(Ref.parse(row.ref), row.old_fingerprint, None)])
            db.execute(sa.delete(feed_pending).where(feed_pending.c.feed == feed))
            if rolled_back:
                restart = min(row.seq for row in rolled_back) - 1
                db.execute(self._upsert(feed_seq, {"feed": feed, "value": restart}, ["feed"]))

    # -- feed logs: the outbox the dlt source and the webhooks read ------------------------------
    #
    # A feed whose output is its log writes each batch's lines as rows between ``feed_begin`` and
    # ``feed_end``, so the last seq in the log is what ``feed_recover`` keeps after a crash.

    def log_append(self, feed: str, entries: Sequence[LogEntry]) -> None:
        """Append ``entries`` to the log of ``feed`` (one transaction)."""
        rows = [{"feed": feed, "seq": e.seq, "kind": e.kind, "ref": e.ref, "entry": e.entry} for e in entries]
        with self.engine.begin() as db:
            db.execute(sa.insert(feed_log), rows)

    def log_last_seq(self, feed: str) -> int:
        """The last seq the log of ``feed`` holds (0 for none)."""
        query = sa.select(sa.func.max(feed_log.c.seq)).where(feed_log.c.feed == feed)
        with self.engine.connect() as db:
            return int(db.execute(query).scalar_one_or_none() or 0)

    def log_read(
        self,
        feed: str,
        *,
        after: int = 0,
        kind: str | None = None,
        unsettled: bool = False,
        limit: int = BATCH_ROWS,
    ) -> list[LogEntry]:
        """Up to ``limit`` log entries of ``feed`` above seq ``after`` (only unsettled ones if asked), in seq order."""
        query = sa.select(feed_log.c.seq, feed_log.c.kind, feed_log.c.ref, feed_log.c.entry).where(
            feed_log.c.feed == feed, feed_log.c.seq > after
        )
        if kind is not None:
            query = query.where(feed_log.c.kind == kind)
        if unsettled:
            query = query.where(feed_log.c.settled.is_(False))
        with self.engine.connect() as db:
            rows = db.execute(query.order_by(feed_log.c.seq).limit(limit)).all()
        return [LogEntry(int(r.seq), r.kind, r.ref, r.entry) for r in rows]

    def log_delivered(self, feed: str, seq: int) -> None:
        """The change ``seq`` of ``feed`` reached its receiver: settle it and drop its dead letter, if any."""
        with self.engine.begin() as db:
            db.execute(sa.update(feed_log).where(feed_log.c.feed == feed, feed_log.c.seq == seq).values(settled=True))
            db.execute(
                sa.delete(feed_dead_letters).where(feed_dead_letters.c.feed == feed, feed_dead_letters.c.seq == seq)
            )

    def dead_letter(self, feed: str, seq: int, ref: str, attempts: int, reason: str) -> None:
        """Give up on the change ``seq`` for now: it goes to the dead letters (and is settled)."""
        values = {"feed": feed, "seq": seq, "ref": ref, "attempts": attempts, "reason": reason, "at": _now()}
        with self.engine.begin() as db:
            db.execute(self._upsert(feed_dead_letters, values, ["feed", "seq"]))
            db.execute(sa.update(feed_log).where(feed_log.c.feed == feed, feed_log.c.seq == seq).values(settled=True))

    def dead_letters(self, feed: str | None = None) -> list[DeadLetter]:
        """The dead letters of ``feed`` (of every feed when None), in seq order."""
        query = sa.select(feed_dead_letters).order_by(feed_dead_letters.c.feed, feed_dead_letters.c.seq)
        if feed is not None:
            query = query.where(feed_dead_letters.c.feed == feed)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [DeadLetter(r.feed, int(r.seq), r.ref, r.attempts, r.reason, _aware(r.at)) for r in rows]

    def log_feeds(self, prefix: str) -> list[str]:
        """The names of the feeds with a log whose name starts with ``prefix``."""
        query = sa.select(feed_log.c.feed).distinct().where(feed_log.c.feed.startswith(prefix, autoescape=True))
        with self.engine.connect() as db:
            return sorted(db.execute(query).scalars())

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()
