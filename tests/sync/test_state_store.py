"""The state store: crosswalk, intents, checkpoints and failures, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmbridge.canonical import Ref
from crmbridge.sync._state import FeedChange, StateStore, engine_url

SOURCE = Ref("estateprime", "contact", "1489")
TARGET = Ref("activix", "lead", "9001")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    """A fresh store on each backend (PostgreSQL gets its own database per test)."""
    if request.param == "sqlite":
        state = StateStore(tmp_path / "state.db")
    else:
        import sqlalchemy as sa

        server = request.getfixturevalue("postgres_url")
        name = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(engine_url(server), isolation_level="AUTOCOMMIT")
        with admin.connect() as db:
            db.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        state = StateStore(server.rsplit("/", 1)[0] + f"/{name}")
    yield state
    state.close()


def test_engine_url_reads_paths_and_postgres_urls(tmp_path: Path) -> None:
    """A path becomes a SQLite URL; a postgresql:// URL uses psycopg 3."""
    assert engine_url(tmp_path / "s.db") == f"sqlite:///{tmp_path / 's.db'}"
    assert engine_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert engine_url("postgres://h/db") == "postgresql+psycopg://h/db"


def test_crosswalk_links_and_resolves(store: StateStore) -> None:
    """A linked source resolves to its target in that system, with its fingerprint; others resolve to None."""
    assert store.resolve(SOURCE, "activix") is None
    store.link(SOURCE, TARGET, fingerprint="abc")
    assert store.target_of(SOURCE, "activix") == (TARGET, "abc")
    assert store.resolve(SOURCE, "activix") == TARGET
    assert store.resolve(SOURCE, "rechat") is None
    store.link(SOURCE, TARGET, fingerprint="def")
    assert store.target_of(SOURCE, "activix") == (TARGET, "def")
    assert list(store.links("activix")) == [(SOURCE, TARGET)]


def test_intent_then_confirm_links_and_clears(store: StateStore) -> None:
    """An intent is pending until confirmed; confirming links the records and clears it."""
    store.record_intent(
        SOURCE, "activix", kind="contact", marker="crmbridge:estateprime:contact:1489", fingerprint="f1"
    )
    [pending] = store.pending_intents("activix")
    assert (pending.source, pending.kind, pending.marker, pending.fingerprint) == (
        SOURCE,
        "contact",
        "crmbridge:estateprime:contact:1489",
        "f1",
    )
    assert pending.created_at.tzinfo is not None
    store.confirm(SOURCE, TARGET, fingerprint="f1")
    assert store.pending_intents("activix") == []
    assert store.resolve(SOURCE, "activix") == TARGET


def test_dropped_intent_is_forgotten(store: StateStore) -> None:
    """Dropping an intent removes it without linking anything."""
    store.record_intent(SOURCE, "activix", kind="contact", marker="m", fingerprint="f")
    store.drop_intent(SOURCE, "activix")
    assert store.pending_intents("activix") == []
    assert store.resolve(SOURCE, "activix") is None


def test_checkpoints_move_and_stay_aware(store: StateStore) -> None:
    """A checkpoint is None until set, then the aware datetime last set."""
    assert store.checkpoint("job", "contact") is None
    first = datetime(2025, 1, 15, 16, 0, 5, tzinfo=UTC)
    store.set_checkpoint("job", "contact", first)
    store.set_checkpoint("job", "contact", first + timedelta(hours=1))
    assert store.checkpoint("job", "contact") == first + timedelta(hours=1)
    assert store.checkpoint("other", "contact") is None
    with pytest.raises(ValueError, match="aware"):
        store.set_checkpoint("job", "contact", datetime(2025, 1, 1))


def test_failures_are_recorded_replaced_and_cleared(store: StateStore) -> None:
    """A failure keeps its latest reason per source, and clearing removes it."""
    store.record_failure("job", SOURCE, "contact", "unresolved contact")
    store.record_failure("job", SOURCE, "contact", "target refused: 422")
    [failure] = store.failures("job")
    assert (failure.source, failure.kind, failure.reason) == (SOURCE, "contact", "target refused: 422")
    store.clear_failure("job", SOURCE)
    assert store.failures("job") == []


def test_feed_batches_get_consecutive_seqs_and_recover_from_the_last_written(store: StateStore) -> None:
    """A batch of changes gets consecutive seqs; after a crash, changes past the last written seq roll back."""
    refs = [Ref("estateprime", "contact", str(i)) for i in range(1, 5)]
    first = store.feed_begin("f", "contact", [FeedChange(ref, f"v1-{ref.id}") for ref in refs])
    store.feed_end("f", first, first + 3)
    assert first == 1
    assert store.feed_fingerprints("f", refs) == {ref: f"v1-{ref.id}" for ref in refs}
    second = store.feed_begin("f", "contact", [FeedChange(refs[0], "v2-1"), FeedChange(refs[1], None)])
    assert second == 5
    assert store.feed_fingerprints("f", refs[:2]) == {refs[0]: "v2-1"}, "a delete forgets the fingerprint"
    store.feed_recover("f", last_written=5)  # seq 5 reached the output, seq 6 did not
    assert store.feed_fingerprints("f", refs[:2]) == {refs[0]: "v2-1", refs[1]: "v1-2"}
    assert store.feed_begin("f", "contact", [FeedChange(refs[1], None)]) == 6, "seq 6 is handed out again"


def test_a_feed_batch_refuses_a_ref_twice(store: StateStore) -> None:
    """Two changes of one ref in one batch are refused: the second's old fingerprint would be wrong."""
    ref = Ref("estateprime", "contact", "1")
    with pytest.raises(ValueError, match="at most once"):
        store.feed_begin("f", "contact", [FeedChange(ref, "a"), FeedChange(ref, "b")])


def test_repr_hides_the_password() -> None:
    """The store's repr never shows a database password."""
    state = StateStore.__new__(StateStore)
    import sqlalchemy as sa

    state.engine = sa.create_engine("postgresql+psycopg://user:hunter2@db.example/x")
    assert "hunter2" not in repr(state)
