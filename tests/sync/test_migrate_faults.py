"""5,000 records migrated through 20 % failing requests end up in the target exactly once, unchanged.

Both sandboxes fail a fifth of their requests with every fault they know: 429 with Retry-After,
500, 503, dropped connections, timeouts, truncated bodies (the request was applied, the answer
is cut in half) and ``lost`` answers (applied, then the connection drops). Reads are retried;
creates whose answer was lost are settled by searching the target. The target is then compared
with the source record by record through the canonical model.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import crmbridge
from crmbridge import Connection, Ref
from crmbridge.sandbox import ALL_FAULT_KINDS, FaultConfig, Sandbox, make_sandbox
from crmbridge.sync import MigrationReport, StateStore, migrate

from ._compare import by_ref, mismatches

CONTACTS = 2500
"""Seeding this many contacts also seeds as many communications: 5,000 records to move."""

ERROR_RATE = 0.2
USERS = {Ref("estateprime", "user", str(i)): Ref("activix", "user", str(1 + i % 3)) for i in range(1, 40)}
ACTIVIX = {"default_lead_type": "web_order", "default_region": "US", "rate_limit": None}


def faulty(system: str, seed: int, **options: Any) -> Sandbox:
    return make_sandbox(system, faults=FaultConfig(error_rate=ERROR_RATE, kinds=ALL_FAULT_KINDS, seed=seed), **options)


def clean_view(sandbox: Sandbox, **options: Any) -> Connection:
    """A connection to the sandbox with its faults switched off, for checking what landed."""
    assert sandbox.faults is not None
    sandbox.faults.config = FaultConfig()
    return crmbridge.connect(sandbox.system, **sandbox.client_options(), **options)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Migrate until a run reports no failure (at most four runs); keep what the checks need."""
    folder = tmp_path_factory.mktemp("faults")
    estateprime = faulty("estateprime", seed=101, seed_records=CONTACTS)
    activix = faulty("activix", seed=202)
    reports: list[MigrationReport] = []
    with (
        crmbridge.connect("estateprime", **estateprime.client_options()) as source,
        crmbridge.connect("activix", **activix.client_options(), **ACTIVIX) as target,
    ):
        for _ in range(4):
            reports.append(
                migrate(source=source, target=target, kinds=["contact", "activity"], state=folder / "s.db", links=USERS)
            )
            if not reports[-1].failures:
                break
    assert estateprime.faults is not None
    assert activix.faults is not None
    injected = Counter(estateprime.faults.injected) + Counter(activix.faults.injected)
    with clean_view(estateprime) as source, clean_view(activix, **ACTIVIX) as target:
        records = {
            "contacts": by_ref(list(source.list("contact"))),
            "activities": by_ref(list(source.list("activity"))),
            "leads": by_ref(list(target.list("contact"))),
            "calls": by_ref(list(target.list("activity"))),
        }
    state = StateStore(folder / "s.db")
    crosswalk = dict(state.links("activix"))
    pending = state.pending_intents("activix")
    state.close()
    return {"reports": reports, "injected": injected, "crosswalk": crosswalk, "pending": pending, **records}


def test_every_fault_kind_was_injected_at_the_configured_rate(outcome: dict[str, Any]) -> None:
    """Both sandboxes injected all seven fault kinds, hundreds of times in all."""
    injected: Counter[str] = outcome["injected"]
    assert set(injected) == set(ALL_FAULT_KINDS)
    assert sum(injected.values()) > 1000
    assert outcome["reports"][0].kinds["contact"].reconciled > 0, "lost creates were found again, not duplicated"


def test_the_runs_converge_without_failures(outcome: dict[str, Any]) -> None:
    """The migration ends with a run that reports nothing failed and leaves no unconfirmed create."""
    last: MigrationReport = outcome["reports"][-1]
    assert last.failures == []
    assert outcome["pending"] == []
    assert len(outcome["contacts"]) + len(outcome["activities"]) == 2 * CONTACTS


def test_every_source_record_is_in_the_target_exactly_once(outcome: dict[str, Any]) -> None:
    """The crosswalk maps each source record to its own target record, and the target holds nothing else."""
    crosswalk: dict[Ref, Ref] = outcome["crosswalk"]
    sources = set(outcome["contacts"]) | set(outcome["activities"])
    assert set(crosswalk) == sources
    assert len(set(crosswalk.values())) == len(crosswalk), "no two source records share a target record"
    assert set(crosswalk.values()) == set(outcome["leads"]) | set(outcome["calls"])


def test_each_target_record_matches_its_source_record(outcome: dict[str, Any]) -> None:
    """Compared field by field through the canonical model, every lead and call equals its source record."""
    found = mismatches(
        outcome["contacts"], outcome["activities"], outcome["leads"], outcome["calls"], outcome["crosswalk"]
    )
    assert found == {}
