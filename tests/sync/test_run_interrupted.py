"""A read that fails after its retries stops the run cleanly: a typed error, progress kept, re-run resumes."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge import Record, Ref
from crmbridge.cli import app
from crmbridge.errors import AmbiguousWriteError, RunInterrupted, ServerError
from crmbridge.sandbox import FaultConfig, Sandbox, make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, feed, migrate

from ._matrix import DIRECTIONS, check_exactly_once, connect, expected_copies, landed, links_for, seeded_source

EP_TO_AX = DIRECTIONS[0]
FAILING = FaultConfig(error_rate=1.0, kinds=("503",))
"""Every request answered 503: every read runs out of retries."""
WHERE = {"system": "activix", "method": "GET", "url": "https://crm.example/v2/leads"}


def _fail_reads_from(sandbox: Sandbox, connection: crmbridge.Connection, kind: str) -> None:
    """From the first listing of ``kind`` on, ``sandbox`` answers every request with 503."""
    real_list = connection.list

    def listing(listed: str, **options: Any) -> Any:
        if listed == kind:
            assert sandbox.faults is not None
            sandbox.faults.config = FAILING
        return real_list(listed, **options)

    connection.list = listing  # type: ignore[method-assign]


def test_a_source_read_out_of_retries_stops_the_run_and_the_next_run_resumes(tmp_path: Path) -> None:
    """Contacts move, then every read of communications fails: RunInterrupted, the contact checkpoint kept, resumed."""
    source = seeded_source("estateprime", 5, faults=FaultConfig())
    target = make_sandbox("activix")
    state = tmp_path / "s.db"
    with connect(source) as src, connect(target, target=True) as dst:
        links = links_for([r for kind in EP_TO_AX.kinds for r in src.list(kind)], target)
        _fail_reads_from(source, src, "activity")
        with pytest.raises(RunInterrupted, match="re-run to resume") as stopped:
            migrate(source=src, target=dst, kinds=list(EP_TO_AX.kinds), state=state, links=links)
    assert isinstance(stopped.value.__cause__, ServerError)
    assert stopped.value.job == "estateprime->activix"
    store = StateStore(state)
    assert store.checkpoint("estateprime->activix", "contact") is not None, "the contacts' progress is kept"
    assert store.checkpoint("estateprime->activix", "activity") is None
    moved = len(list(store.links("activix")))
    store.close()
    assert source.faults is not None
    source.faults.config = FaultConfig()
    with connect(source) as src, connect(target, target=True) as dst:
        again = migrate(source=src, target=dst, kinds=list(EP_TO_AX.kinds), state=state, links=links)
    assert again.kinds["contact"].created == 0, "nothing moved twice"
    assert again.kinds["activity"].created > 0
    assert again.kinds["contact"].read < moved, "the contacts' checkpoint held: only its overlap is read again"
    check_exactly_once(landed(EP_TO_AX, source, target, state), expected_copies(EP_TO_AX, 5))


def test_a_settling_search_out_of_retries_keeps_the_intent_for_the_next_run(tmp_path: Path) -> None:
    """Creates whose answers were lost, then a search of the target that fails: stopped, settled by the next run."""
    source, target = seeded_source("estateprime", 5), make_sandbox("activix")
    state = tmp_path / "s.db"
    with connect(source) as src, connect(target, target=True) as dst:
        links = links_for(list(src.list("contact")), target)
        real_create, real_list = dst.create, dst.list

        def create_lost(record: Record, **options: Any) -> Ref:
            real_create(record, **options)
            raise AmbiguousWriteError("the answer was lost", **{**WHERE, "method": "POST"})

        def search_down(kind: str, **options: Any) -> Any:
            raise ServerError("down", status_code=503, **WHERE)

        dst.create, dst.list = create_lost, search_down  # type: ignore[method-assign]
        with pytest.raises(RunInterrupted):
            migrate(source=src, target=dst, kinds=["contact"], state=state, links=links)
        dst.create, dst.list = real_create, real_list  # type: ignore[method-assign]
        store = StateStore(state)
        unconfirmed = len(store.pending_intents("activix"))
        store.close()
        again = migrate(source=src, target=dst, kinds=["contact"], state=state, links=links)
        leads = list(dst.list("contact"))
    assert unconfirmed == len(links and leads) > 0, "every create was applied and is remembered as unconfirmed"
    assert (again.kinds["contact"].reconciled, again.kinds["contact"].created, again.failures) == (unconfirmed, 0, [])


runner = CliRunner()


def test_the_cli_exits_3_saying_re_run_to_resume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``migrate`` and ``feed`` whose reads run out of retries print one line, no traceback, and exit 3."""
    source, target = seeded_source("estateprime", 5, faults=FAILING), make_sandbox("activix")
    with serve_in_thread(source) as source_url, serve_in_thread(target) as target_url:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", source.token)
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", source_url)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", target.token)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{target_url}/v2")
        state = ["--state", str(tmp_path / "s.db"), "--to-option", "default_lead_type=web_order"]
        migrated = runner.invoke(
            app, ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact", *state]
        )
        fed = runner.invoke(
            app, ["feed", "estateprime", "--state", str(tmp_path / "f.db"), "--output", str(tmp_path / "f.ndjson")]
        )
    for result in (migrated, fed):
        assert result.exit_code == 3, result.output
        assert isinstance(result.exception, SystemExit)
        assert "re-run to resume" in result.output
        assert "Traceback" not in result.output


def test_a_feed_read_out_of_retries_raises_run_interrupted(tmp_path: Path) -> None:
    """The feed's reads failing after their retries raise RunInterrupted naming the feed."""
    source = seeded_source("estateprime", 5, faults=FAILING)
    with connect(source) as crm, pytest.raises(RunInterrupted, match="feed:estateprime stopped"):
        feed(crm, output=io.StringIO(), state=tmp_path / "f.db")
