"""The feed never drops a record silently (issue 14).

A listed record the adapter cannot translate is one of the run's failures (the report, the state
store's failures table, the command line's stderr, ``--report`` and exit code 1), and a later run
emits it once it translates, exactly once. Each CRM is broken the way its records were seen to
break: a Rechat task due in 1e300 seconds, an Activix communication of year 597 written without
its leading zero, an EstatePrime contact created on ``0000-00-00``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge.cli import app
from crmbridge.sandbox import Sandbox, make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, feed

BROKEN: dict[str, tuple[str, str, dict[str, Any]]] = {
    "rechat": ("task", "tasks", {"due_date": 1e300}),
    "activix": ("activity", "communications", {"executed_at": "597-09-08T00:00:00+00:00"}),
    "estateprime": ("contact", "contacts", {"date_created": "0000-00-00 00:00:00"}),
}
"""Per CRM: the kind fed, the sandbox collection, and what makes one of its records untranslatable."""
REF_KINDS = {"rechat": "task", "activix": "communication", "estateprime": "contact"}
OPTIONS: dict[str, dict[str, Any]] = {"activix": {"default_lead_type": "web_order"}}


def lines(path: Path) -> list[dict[str, Any]]:
    """The NDJSON lines of a feed file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def break_one(sandbox: Sandbox, crm: str) -> tuple[str, dict[str, Any]]:
    """Make the second record of the CRM's fed collection untranslatable; its id and its intact document."""
    _, collection, change = BROKEN[crm]
    intact = list(sandbox.store.scan(collection))[1]
    sandbox.store.put(collection, str(intact["id"]), {**intact, **change})
    return str(intact["id"]), intact


def run(sandbox: Sandbox, crm: str, out: Path, state: Path, **options: Any) -> crmbridge.sync.FeedReport:
    """One feed run of the CRM's broken kind."""
    with crmbridge.connect(crm, **sandbox.client_options(), **OPTIONS.get(crm, {})) as connection:
        return feed(connection, output=out, state=state, kinds=[BROKEN[crm][0]], **options)


def failures_in(state: Path, crm: str) -> list[tuple[str, str]]:
    """(source, reason) of every failure the state store holds for the CRM's feed."""
    store = StateStore(state)
    try:
        return [(str(f.source), f.reason) for f in store.failures(f"feed:{crm}")]
    finally:
        store.close()


@pytest.mark.parametrize("crm", sorted(BROKEN))
def test_an_untranslatable_record_is_a_failure_and_is_emitted_once_it_translates(tmp_path: Path, crm: str) -> None:
    """The record is reported and kept in the state store, the others are emitted; fixed, it is emitted once."""
    sandbox = make_sandbox(crm, seed_records=4, seed=3)
    kind = BROKEN[crm][0]
    ident, intact = break_one(sandbox, crm)
    ref = f"{crm}:{REF_KINDS[crm]}:{ident}"
    out, state = tmp_path / "feed.ndjson", tmp_path / "s.db"
    first = run(sandbox, crm, out, state)
    assert [(f["kind"], f["source"]) for f in first.failures] == [(kind, ref)]
    assert "untranslatable record" in first.failures[0]["reason"]
    assert [source for source, _ in failures_in(state, crm)] == [ref]
    emitted = [line["ref"] for line in lines(out)]
    assert ref not in emitted
    assert len(emitted) == first.upserts[kind] == first.read[kind] > 0
    sandbox.store.put(BROKEN[crm][1], ident, intact)  # the same record, translatable again (same change time)
    second = run(sandbox, crm, out, state)
    assert second.failures == []
    assert failures_in(state, crm) == []
    assert [line["ref"] for line in lines(out)][len(emitted) :] == [ref]
    third = run(sandbox, crm, out, state)
    assert (third.upserts, third.failures) == ({}, [])
    assert [line["ref"] for line in lines(out)].count(ref) == 1


@pytest.mark.parametrize("crm", sorted(BROKEN))
def test_a_full_scan_does_not_take_an_untranslatable_record_for_a_deleted_one(tmp_path: Path, crm: str) -> None:
    """A record emitted, then untranslatable, gets no tombstone from a full scan: it is a failure instead."""
    sandbox = make_sandbox(crm, seed_records=4, seed=3)
    out, state = tmp_path / "feed.ndjson", tmp_path / "s.db"
    run(sandbox, crm, out, state)
    ident, intact = break_one(sandbox, crm)
    scan = run(sandbox, crm, out, state, full_scan=True)
    assert scan.deletes == {}
    assert [f["source"] for f in scan.failures] == [f"{crm}:{REF_KINDS[crm]}:{ident}"]
    assert {line["op"] for line in lines(out)} == {"upsert"}
    sandbox.store.put(BROKEN[crm][1], ident, intact)
    healed = run(sandbox, crm, out, state, full_scan=True)
    assert (healed.upserts, healed.deletes, healed.failures) == ({}, {}, [])
    assert failures_in(state, crm) == []


def test_the_command_line_reports_untranslatable_records_and_exits_1(tmp_path: Path, monkeypatch: Any) -> None:
    """`crmbridge feed` names each record it could not emit on stderr and in --report, and exits 1."""
    sandbox = make_sandbox("activix", seed_records=3, seed=3)
    ident, _ = break_one(sandbox, "activix")
    with serve_in_thread(sandbox) as url:
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", sandbox.token)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{url}/v2")
        arguments = ["feed", "activix", "--kinds", "activity", "--state", str(tmp_path / "s.db")]
        result = CliRunner().invoke(
            app, [*arguments, "--output", str(tmp_path / "f.ndjson"), "--report", str(tmp_path / "r.json")]
        )
    assert result.exit_code == 1, result.output
    assert f"failed activix:communication:{ident}: not emitted: untranslatable record" in result.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [f["source"] for f in report["failures"]] == [f"activix:communication:{ident}"]
    assert report["upserts"]["activity"] == len(lines(tmp_path / "f.ndjson"))
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("crm", "kind", "payload", "expected"),
    [
        ("activix", "contact", {"id": 7}, "activix:lead:7"),
        ("activix", "activity", {"id": 8}, "activix:communication:8"),
        ("estateprime", "activity", {"id": 9}, "estateprime:communication:9"),
        ("rechat", "task", {"id": "6f1d3c8e"}, "rechat:task:6f1d3c8e"),
        ("rechat", "contact", {"id": True}, None),
        ("rechat", "contact", {"id": " "}, None),
        ("estateprime", "contact", {"id": [1]}, None),
        ("activix", "contact", [{"id": 1}], None),
    ],
)
def test_an_untranslatable_payload_is_named_by_its_id_alone(crm: str, kind: str, payload: Any, expected: str) -> None:
    """The Ref a failure names comes from the payload's id and the CRM's own Ref kind; no usable id, no Ref."""
    ref = crmbridge.get_adapter(crm).payload_ref(kind, payload)
    assert (str(ref) if ref is not None else None) == expected
