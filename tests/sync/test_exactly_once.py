"""Exactly once in every direction: faults of every kind on both sides, every pair of CRMs, and event -> task.

Each cell migrates 40 to 90 seeded records between two sandboxes that fail a share of their
requests (``rate``) with every fault kind the sandboxes know, ``lost`` included (the request is
applied, the answer never comes), on the source and on the target. Runs repeat until one
reports no failure it could recover from. Then nothing is lost (every source record the same
migration moves without faults is linked), nothing is duplicated (the crosswalk is a bijection
onto exactly the target's records) and every copy equals the copy a fault-free run makes (what
the target can store of its source record).
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from crmbridge.errors import RunInterrupted
from crmbridge.sandbox import ALL_FAULT_KINDS, FaultConfig, make_sandbox
from crmbridge.sync import MigrationReport, migrate

from ._matrix import (
    DIRECTIONS,
    Direction,
    Landed,
    check_exactly_once,
    connect,
    expected_copies,
    landed,
    links_for,
    seeded_source,
    without_faults,
)

SEED = 5
FAULT_SEED: dict[str, int] = {"estateprime->rechat": 3, "activix->rechat": 3}
"""Seeds of the faults per direction (seeded, so each run injects the same faults; chosen so that
the few requests made to a source meet every fault kind over the three rates)."""
RATES = (0.2, 0.35, 0.5)
RUNS = 8
"""At most this many runs per cell (a run may end early: a read that ran out of retries)."""
PERMANENT = "requires a value"
"""Failures no retry cures (an Activix call on a channel EstatePrime lacks): the same without faults."""


@cache
def _clean(direction: Direction) -> Landed:
    return expected_copies(direction, SEED)


def _faults(rate: float, seed: int) -> FaultConfig:
    return FaultConfig(error_rate=rate, kinds=ALL_FAULT_KINDS, seed=seed)


def _migrate_until_done(direction: Direction, rate: float, state: Path) -> tuple[Landed, Counter[str], Counter[str]]:
    """Run the migration through faults until a run ends with only permanent failures; the faults injected."""
    fault_seed = FAULT_SEED.get(direction.name, 2) + DIRECTIONS.index(direction) * 100 + int(rate * 100)
    source = seeded_source(direction.source, SEED, faults=_faults(rate, fault_seed))
    target = make_sandbox(direction.target, faults=_faults(rate, fault_seed + 1))
    with without_faults(source, target), connect(source) as src:
        links = links_for([record for kind in direction.kinds for record in src.list(kind)], target)
    done, runs = False, 0
    with connect(source) as src, connect(target, target=True) as dst:
        while not done and runs < RUNS:
            runs += 1
            try:
                report: MigrationReport = migrate(
                    source=src,
                    target=dst,
                    kinds=list(direction.kinds),
                    state=state,
                    links=links,
                    conversions=dict(direction.conversions),
                )
            except RunInterrupted:
                continue  # a read ran out of retries: the next run resumes
            done = all(PERMANENT in failure["reason"] for failure in report.failures)
    assert done, f"no clean run in {RUNS}"
    assert source.faults is not None
    assert target.faults is not None
    return landed(direction, source, target, state), Counter(source.faults.injected), Counter(target.faults.injected)


@pytest.mark.parametrize("direction", DIRECTIONS, ids=lambda d: d.name)
def test_faults_lose_and_duplicate_nothing(direction: Direction, tmp_path: Path) -> None:
    """Through every fault kind on source and target, each source record lands exactly once, equal to a clean copy."""
    on_source: Counter[str] = Counter()
    on_target: Counter[str] = Counter()
    for rate in RATES:
        got, source_faults, target_faults = _migrate_until_done(direction, rate, tmp_path / f"{rate}.db")
        figures = check_exactly_once(got, _clean(direction))
        assert figures["records"] >= 30
        assert target_faults["lost"] > 0, "some creates were applied and their answers lost"
        on_source += source_faults
        on_target += target_faults
    assert set(on_source) == set(ALL_FAULT_KINDS), f"every fault kind hit the source: {dict(on_source)}"
    assert set(on_target) == set(ALL_FAULT_KINDS), f"every fault kind hit the target: {dict(on_target)}"
