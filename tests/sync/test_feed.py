"""The normalised feed: NDJSON changes, incremental runs, tombstones and crash recovery."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import crmbridge
from crmbridge.sandbox import Sandbox, make_sandbox
from crmbridge.sync import StateStore, feed
from crmbridge.sync import _feed as feed_module

SCHEMAS = Path(__file__).resolve().parents[2] / "canonical"


def estateprime(records: int = 6) -> Sandbox:
    return make_sandbox("estateprime", seed_records=records, seed=5)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_first_run_emits_every_record_as_valid_canonical_json(tmp_path: Path) -> None:
    """The first run emits one upsert per record, numbered from 1, each valid against its schema."""
    sandbox = estateprime()
    out = tmp_path / "feed.ndjson"
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        report = feed(crm, output=out, state=tmp_path / "s.db", kinds=["contact", "event"])
        expected = len(list(crm.list("contact"))) + len(list(crm.list("event")))
    emitted = lines(out)
    assert [line["seq"] for line in emitted] == list(range(1, expected + 1))
    assert {line["op"] for line in emitted} == {"upsert"}
    assert report.upserts == {"contact": 6, "event": 3}
    for line in emitted:
        schema = json.loads((SCHEMAS / f"{line['kind']}.schema.json").read_text(encoding="utf-8"))
        jsonschema.validate(line["record"], schema)
        assert line["ref"] == f"estateprime:{line['kind']}:{line['record']['ref']['id']}"
        assert line["observed_at"].endswith("+00:00")


def test_rerun_emits_only_changes(tmp_path: Path) -> None:
    """A second run emits nothing; after one contact changes, a third run emits exactly that contact."""
    sandbox = estateprime()
    out = tmp_path / "feed.ndjson"
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        feed(crm, output=out, state=tmp_path / "s.db", kinds=["contact"])
        quiet = feed(crm, output=out, state=tmp_path / "s.db", kinds=["contact"])
        document = sandbox.store.get("contacts", "2")
        assert document is not None
        sandbox.store.put("contacts", "2", {**document, "notes": "changed", "date_updated": "2031-01-01 00:00:00"})
        changed = feed(crm, output=out, state=tmp_path / "s.db", kinds=["contact"])
    assert quiet.upserts == {}
    assert changed.upserts == {"contact": 1}
    last = lines(out)[-1]
    assert (last["seq"], last["ref"], last["record"]["notes"]) == (7, "estateprime:contact:2", "changed")


def test_deleted_record_becomes_a_tombstone(tmp_path: Path) -> None:
    """An event deleted in the CRM shows up as a delete line on the next (full-scan) run."""
    sandbox = estateprime()
    out = tmp_path / "feed.ndjson"
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        feed(crm, output=out, state=tmp_path / "s.db", kinds=["event"])
        crm.delete(crmbridge.Ref("estateprime", "event", "1"))
        report = feed(crm, output=out, state=tmp_path / "s.db", kinds=["event"])
    assert report.deletes == {"event": 1}
    tombstone = lines(out)[-1]
    assert (tombstone["op"], tombstone["ref"], tombstone["record"]) == ("delete", "estateprime:event:1", None)


def test_a_stream_output_works_too(tmp_path: Path) -> None:
    """The feed writes to any text stream (stdout, a pipe) as well as to a file."""
    sandbox = estateprime(2)
    sink = io.StringIO()
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        feed(crm, output=sink, state=tmp_path / "s.db", kinds=["contact"])
    assert [json.loads(line)["seq"] for line in sink.getvalue().splitlines()] == [1, 2]


@pytest.mark.parametrize("crash", ["mid_write", "after_write"])
def test_crash_loses_nothing_and_repeats_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str) -> None:
    """A run killed while writing a batch (or after writing it), then resumed, leaves every record in the file once."""
    sandbox = estateprime(5)
    out, state = tmp_path / "feed.ndjson", tmp_path / "s.db"

    def dying_write(self: Any, lines: list[str]) -> None:
        self.sink.write(lines[0] + lines[1] + lines[2][:20])  # the kill cuts the third line short
        self.sink.flush()
        raise KeyboardInterrupt

    def dying_end(self: StateStore, name: str, first: int, last: int) -> None:
        raise KeyboardInterrupt  # the lines are written, the pending marks never dropped

    if crash == "mid_write":
        monkeypatch.setattr(feed_module._Feed, "_write_lines", dying_write)
    else:
        monkeypatch.setattr(StateStore, "feed_end", dying_end)
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm, pytest.raises(KeyboardInterrupt):
        feed(crm, output=out, state=state, kinds=["contact"])
    monkeypatch.undo()
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        feed(crm, output=out, state=state, kinds=["contact"])
    emitted = lines(out)
    assert [line["seq"] for line in emitted] == [1, 2, 3, 4, 5]
    assert sorted(line["ref"] for line in emitted) == [f"estateprime:contact:{i}" for i in range(1, 6)]


def test_batches_split_where_a_ref_repeats_and_skip_records_without_ref() -> None:
    """A listing that shows a ref twice puts the second in a new batch; records without a ref are left out."""
    one = crmbridge.Contact(ref=crmbridge.Ref("estateprime", "contact", "1"), first_name="A")
    two = crmbridge.Contact(ref=crmbridge.Ref("estateprime", "contact", "2"), first_name="B")
    nameless = crmbridge.Contact(first_name="C")
    batches = list(feed_module._batches(iter([one, nameless, two, one, two])))
    assert [[r.ref.id for r in batch if r.ref] for batch in batches] == [["1", "2"], ["1", "2"]]


def test_lines_are_ascii_json_so_any_text_survives(tmp_path: Path) -> None:
    """A record whose text cannot be encoded as UTF-8 (a lone surrogate) is still written as one valid line."""
    state = StateStore(tmp_path / "s.db")
    out = tmp_path / "feed.ndjson"
    with out.open("w", encoding="utf-8") as sink:
        run = feed_module._Feed(None, state, "f", sink)  # type: ignore[arg-type]
        ref = crmbridge.Ref("estateprime", "contact", "1")
        run._emit("contact", [feed_module.FeedChange(ref, "digest")], [{"first_name": "Zo\ud800e ü"}])
    [line] = out.read_bytes().splitlines()
    assert line.isascii()
    assert json.loads(line)["record"] == {"first_name": "Zo\ud800e ü"}
    state.close()


def test_lines_carry_the_transport_envelope(tmp_path: Path) -> None:
    """Each line has id (unique, the same when re-derived), type (kind and op) and subject (the ref)."""
    sandbox = estateprime(3)
    out = tmp_path / "feed.ndjson"
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        feed(crm, output=out, state=tmp_path / "s.db", kinds=["event"], name="f")
        crm.delete(crmbridge.Ref("estateprime", "event", "1"))
        feed(crm, output=out, state=tmp_path / "s.db", kinds=["event"], name="f")
    emitted = lines(out)
    assert len({line["id"] for line in emitted}) == len(emitted)
    assert [line["type"] for line in emitted] == ["crmbridge.event.upserted"] * (len(emitted) - 1) + [
        "crmbridge.event.deleted"
    ]
    assert all(line["subject"] == line["ref"] for line in emitted)
    first = emitted[0]
    fingerprint = crmbridge.sync.fingerprint(crmbridge.Event.model_validate(first["record"]))
    again = feed_module.envelope("f", first["seq"], "event", first["ref"], fingerprint)
    assert again == {"id": first["id"], "type": first["type"], "subject": first["subject"]}


@pytest.mark.parametrize("crash", ["before_log", "after_log"])
def test_a_log_feed_killed_mid_batch_loses_and_repeats_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    """A feed into the state-store log killed before or after a batch reached the log resumes to each change once."""
    sandbox = estateprime(5)
    state = StateStore(tmp_path / "s.db")

    def dying_append(self: StateStore, feed: str, entries: Any) -> None:
        raise KeyboardInterrupt

    def dying_end(self: StateStore, feed: str, first: int, last: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(
        StateStore, *(("log_append", dying_append) if crash == "before_log" else ("feed_end", dying_end))
    )
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        with pytest.raises(KeyboardInterrupt):
            feed_module.feed_to_log(crm, state=state, kinds=["contact"], name="log")
        monkeypatch.undo()
        report = feed_module.feed_to_log(crm, state=state, kinds=["contact"], name="log")
    entries = state.log_read("log")
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    assert sorted(entry.ref for entry in entries) == [f"estateprime:contact:{i}" for i in range(1, 6)]
    assert report.upserts == ({"contact": 5} if crash == "before_log" else {})
    assert state.log_last_seq("log") == 5
    state.close()
