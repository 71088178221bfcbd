"""The benchmark suite runs on tiny inputs and reports a numeric ratio per benchmark.

No timing is asserted: the figures depend on the machine; only the suite's shape is checked.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = ("read", "write", "paging", "memory", "rate_limit", "feeds", "shards", "sandbox_pages")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """``python -m bench --quick`` run once (in a subprocess, as a user runs it)."""
    output = tmp_path_factory.mktemp("bench") / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: dict[str, object] = json.loads(output.read_text(encoding="utf-8"))
    return loaded


def test_every_benchmark_reports_numeric_ratios(results: dict[str, object]) -> None:
    """Each benchmark has rows, each with a finite ratio and a pass/fail where it has a target."""
    benchmarks = results["benchmarks"]
    assert isinstance(benchmarks, dict)
    assert set(benchmarks) == set(BENCHMARKS)
    for name in BENCHMARKS:
        rows = benchmarks[name]["rows"]
        assert rows, name
        for row in rows:
            assert isinstance(row["ratio"], float), row
            assert math.isfinite(row["ratio"]), row
            assert row["ratio"] > 0, row
            assert row["passed"] in (True, False) if row["target"] is not None else row["passed"] is None


def test_read_and_write_cover_every_crm_and_kind(results: dict[str, object]) -> None:
    """The read and write paths are measured for the six CRM/kind pages."""
    expected = {
        "estateprime/contact",
        "estateprime/activity",
        "estateprime/event",
        "rechat/task",
        "activix/activity",
        "activix/contact",
    }
    benchmarks = results["benchmarks"]
    assert isinstance(benchmarks, dict)
    for name in ("read", "write"):
        assert {row["case"] for row in benchmarks[name]["rows"]} == expected


def test_results_name_the_machine(results: dict[str, object]) -> None:
    """The machine the figures come from is recorded with them."""
    machine = results["machine"]
    assert isinstance(machine, dict)
    assert machine["platform"]
    assert machine["cpu_count"]
    assert machine["python"]
    assert results["quick"] is True


def test_a_quick_run_leaves_the_committed_results_alone() -> None:
    """`python -m bench --quick` without --output does not overwrite bench/results.json (only a full run does)."""
    committed = (REPO / "bench" / "results.json").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "rate_limit"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "results not written" in done.stdout
    assert (REPO / "bench" / "results.json").read_bytes() == committed
