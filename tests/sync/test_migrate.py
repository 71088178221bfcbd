"""Migrations end to end between sandboxes: EstatePrime contacts and communications into Activix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import crmbridge
from crmbridge import Connection, Ref
from crmbridge.errors import AmbiguousWriteError, APIConnectionError, UnsupportedOperation
from crmbridge.sandbox import FaultConfig, Sandbox, make_sandbox
from crmbridge.sync import StateStore, migrate
from crmbridge.sync import _migrate as migrate_module

USERS = {Ref("estateprime", "user", str(i)): Ref("activix", "user", str(1 + i % 3)) for i in range(1, 40)}


def source(records: int = 8) -> Sandbox:
    return make_sandbox("estateprime", seed_records=records, seed=11)


def connect(sandbox: Sandbox, **options: object) -> Connection:
    if sandbox.system == "activix":
        options = {"default_lead_type": "web_order", "default_region": "US", **options}
    return crmbridge.connect(sandbox.system, **sandbox.client_options(), **options)


def leads(target: Sandbox) -> list[crmbridge.Record]:
    with connect(target) as crm:
        return list(crm.list("contact"))


def test_first_run_moves_contacts_then_communications(tmp_path: Path) -> None:
    """Every contact becomes one lead and every communication lands on its contact's lead."""
    ep, ax = source(), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        report = migrate(source=src, target=dst, kinds=["activity", "contact"], state=tmp_path / "s.db", links=USERS)
        contacts = list(src.list("contact"))
        activities = list(src.list("activity"))
    assert list(report.kinds) == ["contact", "activity"], "contacts move first"
    assert report.kinds["contact"].created == len(contacts) == report.kinds["contact"].read
    assert report.kinds["activity"].created == len(activities)
    assert report.failures == []
    moved = leads(ax)
    assert sorted((c.first_name, c.last_name) for c in moved) == sorted((c.first_name, c.last_name) for c in contacts)
    state = StateStore(tmp_path / "s.db")
    first = contacts[0]
    assert first.ref is not None
    lead_ref = state.resolve(first.ref, "activix")
    assert lead_ref is not None
    assert lead_ref.kind == "lead"
    with connect(ax) as dst:
        on_lead = [a for a in dst.list("activity") if a.contact == lead_ref]  # type: ignore[attr-defined]
    assert len(on_lead) == sum(1 for a in activities if a.contact == first.ref)  # type: ignore[attr-defined]
    assert report.kinds["contact"].dropped_fields["tags[*]"] > 0, "EstatePrime tags have no Activix home"


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    """Running again reads only what changed since the checkpoint (its overlap window) and writes nothing."""
    ep, ax = source(), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        first = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        again = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert again.kinds["contact"].created == again.kinds["contact"].updated == 0
    assert again.kinds["contact"].unchanged == again.kinds["contact"].read
    assert again.kinds["contact"].read < first.kinds["contact"].read, "the checkpoint limits what is read"
    assert len(leads(ax)) == first.kinds["contact"].created == 8


def test_changed_source_record_updates_its_target(tmp_path: Path) -> None:
    """A contact edited in the source after a run is updated in place, not created again."""
    ep, ax = source(), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        document = ep.store.get("contacts", "1")
        assert document is not None
        ep.store.put("contacts", "1", {**document, "last_name": "Renamed", "date_updated": "2030-01-01 00:00:00"})
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert (second.kinds["contact"].updated, second.kinds["contact"].created) == (1, 0)
    assert [c.last_name for c in leads(ax)].count("Renamed") == 1


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    """A dry run reads and translates everything, reports what it would do, and writes nothing."""
    ep, ax = source(), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS, dry_run=True)
    assert report.dry_run is True
    assert report.kinds["contact"].created == report.kinds["contact"].read > 0
    assert leads(ax) == []
    assert StateStore(tmp_path / "s.db").checkpoint(report.job, "contact") is None


def test_unresolved_reference_is_a_failure_not_a_dangling_id(tmp_path: Path) -> None:
    """Without a counterpart for a contact's owner, that contact is not written but reported; others move."""
    ep, ax = source(3), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        owned = [c for c in src.list("contact") if c.owners]  # type: ignore[attr-defined]
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db")
    assert owned, "the seed gives some contacts owners"
    assert report.kinds["contact"].failed == len(owned)
    assert report.kinds["contact"].created == 3 - len(owned)
    assert all("no counterpart in activix" in failure["reason"] for failure in report.failures)
    assert sorted(f["source"] for f in report.failures) == sorted(str(c.ref) for c in owned)
    assert len(leads(ax)) == 3 - len(owned)
    assert len(StateStore(tmp_path / "s.db").failures(report.job)) == len(owned)


def test_lost_answers_are_settled_in_the_same_run(tmp_path: Path) -> None:
    """Creates whose answers were lost are found in the target before the run ends: each contact exists once."""
    ep = source(10)
    flaky = make_sandbox("activix", faults=FaultConfig(error_rate=0.5, kinds=("lost",), seed=2))
    with connect(ep) as src, connect(flaky) as dst:
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        contacts = list(src.list("contact"))
    assert flaky.faults is not None
    assert flaky.faults.injected["lost"] > 0
    assert (report.kinds["contact"].failed, report.failures) == (0, [])
    assert report.kinds["contact"].reconciled > 0
    assert report.kinds["contact"].created + report.kinds["contact"].reconciled == len(contacts)
    assert StateStore(tmp_path / "s.db").pending_intents("activix") == []
    names = sorted((c.first_name, c.last_name) for c in leads(flaky))
    assert names == sorted((c.first_name, c.last_name) for c in contacts)


def test_unsettled_lost_answers_are_reconciled_on_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no settling in the run, lost creates are reported as failed, then found by the next run: no duplicates."""
    monkeypatch.setattr(migrate_module, "SETTLE_ROUNDS", 0)
    ep, db = source(10), tmp_path / "activix.db"
    flaky = make_sandbox("activix", db=db, faults=FaultConfig(error_rate=0.5, kinds=("lost",), seed=2))
    with connect(ep) as src, connect(flaky) as dst:
        first = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        contacts = list(src.list("contact"))
    assert first.kinds["contact"].failed > 0, "some answers were lost"
    assert all("reconciled on the next run" in f["reason"] for f in first.failures)
    flaky.store.close()
    steady = make_sandbox("activix", db=db)
    with connect(ep) as src, connect(steady) as dst:
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert second.kinds["contact"].reconciled == first.kinds["contact"].failed
    assert second.failures == []
    names = sorted((c.first_name, c.last_name) for c in leads(steady))
    assert names == sorted((c.first_name, c.last_name) for c in contacts)


def test_same_system_is_refused(tmp_path: Path) -> None:
    """Migrating a CRM into itself is refused (its Refs would be taken as the target's own)."""
    ep = source(1)
    with connect(ep) as one, connect(ep) as two, pytest.raises(ValueError, match="same system"):
        migrate(source=one, target=two, state=tmp_path / "s.db")


def test_report_is_written_as_json(tmp_path: Path) -> None:
    """The report round-trips through its JSON file with counts and dropped fields."""
    import json

    ep, ax = source(2), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        report = migrate(source=src, target=dst, kinds=["contact", "event"], state=tmp_path / "s.db", links=USERS)
    report.write_json(tmp_path / "report.json")
    saved = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert saved["kinds"]["contact"]["created"] == 2
    assert saved["skipped_kinds"] == {
        "event": "activix has no event (convert it: --convert event=..., or conversions= in Python)"
    }


def test_events_become_rechat_tasks_only_when_asked(tmp_path: Path) -> None:
    """EstatePrime events are skipped for Rechat unless the event->task conversion is asked for."""
    from crmbridge import Task

    ep, rc = source(4), make_sandbox("rechat")
    owner = Ref("rechat", "user", rc.user(rc.token).id)
    users = {Ref("estateprime", "user", str(i)): owner for i in range(1, 40)}
    with connect(ep) as src, connect(rc, default_owner=owner.id) as dst:
        plain = migrate(source=src, target=dst, kinds=["contact", "event"], state=tmp_path / "a.db", links=users)
        assert "event" in plain.skipped_kinds
        converted = migrate(
            source=src,
            target=dst,
            kinds=["contact", "event"],
            state=tmp_path / "a.db",
            links=users,
            conversions={"event": "task"},
        )
        events = list(src.list("event"))
        tasks = list(dst.list("task"))
    assert converted.failures == []
    assert converted.kinds["event"].created == len(events) == len(tasks)
    assert converted.kinds["event"].dropped_fields["status"] == sum(1 for e in events if e.status)  # type: ignore[attr-defined]
    by_title = {t.title: t for t in tasks if isinstance(t, Task)}
    for event in events:
        task = by_title[event.title]  # type: ignore[attr-defined]
        assert task.kind == "todo"
        assert task.due_at is not None
        assert len(task.contacts) == len(event.contacts)  # type: ignore[attr-defined]


def test_state_in_postgresql_works_the_same(postgres_url: str) -> None:
    """A migration keeps its crosswalk in PostgreSQL as in SQLite: a second run finds everything moved."""
    import uuid

    import sqlalchemy as sa

    from crmbridge.sync import engine_url

    name = f"m_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine_url(postgres_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as db:
        db.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    ep, ax = source(4), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        first = migrate(source=src, target=dst, kinds=["contact"], state=url, links=USERS)
        again = migrate(source=src, target=dst, kinds=["contact"], state=url, links=USERS)
    assert first.kinds["contact"].created == 4
    assert again.kinds["contact"].created == 0
    assert len(leads(ax)) == 4


def test_activix_leads_and_calls_move_into_estateprime(tmp_path: Path) -> None:
    """Activix leads become EstatePrime contacts and their communications follow, on the default office."""
    ax = make_sandbox("activix", seed_records=6, seed=3)
    ep = make_sandbox("estateprime")
    users = {Ref("activix", "user", str(i)): Ref("estateprime", "user", "2") for i in range(1, 20)}
    with connect(ax) as src, crmbridge.connect("estateprime", **ep.client_options(), default_office=2) as dst:
        report = migrate(source=src, target=dst, kinds=["contact", "activity"], state=tmp_path / "s.db", links=users)
        contacts = list(dst.list("contact"))
        calls = list(dst.list("activity"))
        channels = {c["type"] for c in dst.lookups()["communication/channels"] if c.get("type")}
        activities = list(src.list("activity"))
    assert report.kinds["contact"].created == 6 == len(contacts)
    # EstatePrime requires a channel and a user: calls on a method it has no channel for, or
    # logged by no user, are reported (not written half-way).
    movable = [a for a in activities if a.channel in channels and a.user is not None]  # type: ignore[attr-defined]
    assert report.kinds["activity"].created == len(movable) == len(calls)
    assert all(call.office == Ref("estateprime", "office", "2") for call in calls)  # type: ignore[attr-defined]
    assert report.kinds["activity"].failed == len(activities) - len(movable)
    assert all("requires a value for" in f["reason"] for f in report.failures)


def test_lost_communication_creates_are_found_even_when_the_lead_looks_old(tmp_path: Path) -> None:
    """A lost create is reconciled by a full read when the windowed read misses it (the lead's time did not move)."""
    ep, db = source(6), tmp_path / "activix.db"
    steady = make_sandbox("activix", db=db)
    with connect(ep) as src, connect(steady) as dst:
        migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        activities = list(src.list("activity"))
    for lead in list(steady.store.scan("leads")):  # leads untouched for a long time
        steady.store.put("leads", str(lead["id"]), {**lead, "updated_at": "2024-01-01T00:00:00+00:00"})
    steady.store.close()
    flaky = make_sandbox("activix", db=db, faults=FaultConfig(error_rate=0.5, kinds=("lost",), seed=4))
    with connect(ep) as src, connect(flaky) as dst:
        report = migrate(source=src, target=dst, kinds=["activity"], state=tmp_path / "s.db", links=USERS)
        calls = list(dst.list("activity"))
    assert report.kinds["activity"].reconciled > 0, "some answers were lost, and found"
    assert report.failures == []
    assert len(calls) == len(activities), "no communication twice, none missing"


WHERE = {"system": "activix", "method": "POST", "url": "https://crm.example/v2/leads"}


def _answer_lost_for(target: Connection, first_name: str, *, applied: bool) -> Callable[..., Ref]:
    """A ``create`` that loses its answer for the contact named ``first_name`` (after applying it, or not)."""
    real_create = target.create

    def create(record: crmbridge.Record, **options: Any) -> Ref:
        if getattr(record, "first_name", None) == first_name:
            if applied:
                real_create(record, **options)
            raise AmbiguousWriteError("the answer was lost", **WHERE)
        return real_create(record, **options)

    return create


def _unreadable_by_id(*_: Any) -> crmbridge.Record:
    raise UnsupportedOperation("estateprime", "read one contact by id")


def _down(*_: Any) -> crmbridge.Record:
    raise APIConnectionError("source down", **WHERE)


def test_a_lost_create_is_settled_without_reading_the_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settling uses the source record the run already read: a source that cannot read by id (Activix) settles too."""
    ep, ax = source(6), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        lost = list(src.list("contact"))[2]
        monkeypatch.setattr(dst, "create", _answer_lost_for(dst, lost.first_name, applied=True))  # type: ignore[attr-defined]
        monkeypatch.setattr(src, "get", _down)
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert (report.kinds["contact"].reconciled, report.kinds["contact"].created, report.failures) == (1, 5, [])
    assert len(leads(ax)) == 6, "the lost create was linked, not made twice"


def _lose_creates_then_hide_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ep: Sandbox, ax: Sandbox) -> str:
    """A first run whose lost creates stay unconfirmed, and a checkpoint moved past them (the next read skips them)."""
    from datetime import UTC, datetime

    monkeypatch.setattr(migrate_module, "SETTLE_ROUNDS", 0)
    with connect(ep) as src, connect(ax) as dst:
        first_name = list(src.list("contact"))[1].first_name  # type: ignore[attr-defined]
        monkeypatch.setattr(dst, "create", _answer_lost_for(dst, first_name, applied=True))
        first = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    monkeypatch.undo()
    assert first.kinds["contact"].failed == 1
    state = StateStore(tmp_path / "s.db")
    state.set_checkpoint(first.job, "contact", datetime(2100, 1, 1, tzinfo=UTC))
    state.close()
    return str(first.failures[0]["source"])


def test_an_earlier_lost_create_outside_the_read_is_found_through_a_full_listing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier run's unconfirmed create the read does not return, from a CRM that cannot get by id, is listed."""
    ep, ax = source(4), make_sandbox("activix")
    lost = _lose_creates_then_hide_them(tmp_path, monkeypatch, ep, ax)
    with connect(ep) as src, connect(ax) as dst:
        monkeypatch.setattr(src, "get", _unreadable_by_id)
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert second.kinds["contact"].read == 0, "the checkpoint hides every record from the read"
    assert (second.kinds["contact"].reconciled, second.failures) == (1, [])
    state = StateStore(tmp_path / "s.db")
    assert state.pending_intents("activix") == []
    assert state.resolve(Ref.parse(lost), "activix") is not None
    state.close()
    assert len(leads(ax)) == 4


def test_an_earlier_lost_create_that_cannot_be_read_waits_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the source record of an earlier unconfirmed create cannot be read, it is reported and its intent kept."""
    ep, ax = source(4), make_sandbox("activix")
    lost = _lose_creates_then_hide_them(tmp_path, monkeypatch, ep, ax)
    with connect(ep) as src, connect(ax) as dst:
        monkeypatch.setattr(src, "get", _down)
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert [f["source"] for f in second.failures] == [lost]
    assert "could not reconcile" in second.failures[0]["reason"]
    state = StateStore(tmp_path / "s.db")
    assert [str(i.source) for i in state.pending_intents("activix")] == [lost]
    state.close()
    assert len(leads(ax)) == 4, "nothing created twice"


def test_a_lost_create_that_did_not_happen_is_made_again_in_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create whose answer was lost before it was applied is not found by the search and is sent again."""
    ep, ax = source(4), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        lost = list(src.list("contact"))[1]
        real_create = dst.create
        calls = {"n": 0}

        def create_once_lost(record: crmbridge.Record, **options: Any) -> Ref:
            if getattr(record, "first_name", None) == lost.first_name and calls["n"] == 0:  # type: ignore[attr-defined]
                calls["n"] += 1
                raise AmbiguousWriteError("the answer was lost", **WHERE)
            return real_create(record, **options)

        monkeypatch.setattr(dst, "create", create_once_lost)
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert (report.kinds["contact"].created, report.kinds["contact"].reconciled, report.failures) == (4, 0, [])
    assert calls["n"] == 1, "the first create of that contact lost its answer"
    assert [c.first_name for c in leads(ax)].count(lost.first_name) == 1  # type: ignore[attr-defined]
    assert len(leads(ax)) == 4


def test_a_lost_create_that_did_not_happen_is_made_again_from_the_record_already_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Settling reads the source record once: the search's read is what is created again."""
    ep, ax = source(3), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        lost = next(iter(src.list("contact")))
        monkeypatch.setattr(dst, "create", _answer_lost_for(dst, lost.first_name, applied=False))  # type: ignore[attr-defined]
        real_get = src.get
        reads: list[Any] = []

        def counted_get(kind: str, ref: Any) -> crmbridge.Record:
            reads.append(ref)
            return real_get(kind, ref)

        monkeypatch.setattr(src, "get", counted_get)
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        monkeypatch.undo()
    assert reads == [], "no read of the source by id, in any settling round"
    assert [f["source"] for f in report.failures] == [str(lost.ref)], "it lost its answer every time"
    assert len(leads(ax)) == 2


def test_an_update_whose_answer_was_lost_is_reported_and_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An update that failed ambiguously is a reported failure, and the next run sends it again."""
    ep, ax = source(2), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        document = ep.store.get("contacts", "1")
        assert document is not None
        ep.store.put("contacts", "1", {**document, "last_name": "Renamed", "date_updated": "2030-01-01 00:00:00"})
        monkeypatch.setattr(
            dst, "update", lambda *_, **__: (_ for _ in ()).throw(AmbiguousWriteError("the answer was lost", **WHERE))
        )
        first = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        monkeypatch.undo()
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    assert [f["source"] for f in first.failures] == ["estateprime:contact:1"]
    assert "sent again on the next run" in first.failures[0]["reason"]
    assert (second.kinds["contact"].updated, second.failures) == (1, [])
    assert [c.last_name for c in leads(ax)].count("Renamed") == 1


def test_an_earlier_lost_create_that_cannot_be_searched_for_holds_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier unconfirmed create whose body cannot be built now is reported; the checkpoint stays before it."""
    ep, ax = source(4), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        owned = next(c for c in src.list("contact") if c.owners)  # type: ignore[attr-defined]
        with monkeypatch.context() as patched:
            patched.setattr(migrate_module, "SETTLE_ROUNDS", 0)
            patched.setattr(dst, "create", _answer_lost_for(dst, owned.first_name, applied=True))  # type: ignore[attr-defined]
            migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
        second = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db")  # no users' counterparts
    state = StateStore(tmp_path / "s.db")
    checkpoint = state.checkpoint(second.job, "contact")
    assert [str(i.source) for i in state.pending_intents("activix")] == [str(owned.ref)]
    state.close()
    assert any(f["source"] == str(owned.ref) and "could not reconcile" in f["reason"] for f in second.failures)
    assert checkpoint is not None
    assert checkpoint < owned.updated_at  # type: ignore[attr-defined]


def test_an_unreadable_source_record_is_a_failure_named_by_its_ref(tmp_path: Path) -> None:
    """A source record the adapter cannot read fails alone, named by its ref in the report and the state store."""
    ep, ax = source(4), make_sandbox("activix")
    broken = list(ep.store.scan("contacts"))[1]
    ep.store.put("contacts", str(broken["id"]), {**broken, "date_created": "0000-00-00 00:00:00"})
    with connect(ep) as src, connect(ax) as dst:
        report = migrate(source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=USERS)
    [failure] = report.failures
    assert failure["source"] == f"estateprime:contact:{broken['id']}"
    assert failure["reason"].startswith("unreadable source record at position 1:")
    assert report.kinds["contact"].created == 3
    store = StateStore(tmp_path / "s.db")
    try:
        assert [str(f.source) for f in store.failures(report.job)] == [failure["source"]]
    finally:
        store.close()
