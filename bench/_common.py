"""What the benchmarks share: timing, results, the machine, the vendor examples."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "REPO",
    "Row",
    "Settings",
    "example",
    "machine",
    "interleaved_medians",
    "median_seconds",
    "vmhwm_kb",
    "vmrss_kb",
]

REPO = Path(__file__).resolve().parent.parent
"""The repository the suite lives in (fixtures of the test suite are read from there)."""

Comparison = Literal[">=", "<="]


@dataclass(frozen=True)
class Settings:
    """How big and how repeated the runs are (``--quick`` shrinks everything to seconds)."""

    quick: bool = False
    repeats: int = 7

    @property
    def reps(self) -> int:
        """Repetitions per measurement: never fewer than 5 (the medians need them)."""
        return max(5, self.repeats)


@dataclass
class Row:
    """One line of the results table: a ratio, what it is compared with, and the raw medians."""

    benchmark: str
    case: str
    ratio: float
    meaning: str
    detail: str = ""
    target: float | None = None
    comparison: Comparison = ">="
    raw: dict[str, Any] = field(default_factory=dict)
    also_required: bool = True
    """A condition besides the ratio that the target needs (the rate limit's "no 429")."""

    @property
    def passed(self) -> bool | None:
        """Whether the ratio meets its target (None when the row has no target)."""
        if self.target is None:
            return None
        met = self.ratio >= self.target if self.comparison == ">=" else self.ratio <= self.target
        return met and self.also_required

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON-ready data (with ``passed``)."""
        return {**asdict(self), "passed": self.passed}


def median_seconds(run: Callable[[], object], *, reps: int, inner: int = 1) -> float:
    """Median over ``reps`` repetitions of the seconds one call of ``run`` takes (``inner`` calls each)."""
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(inner):
            run()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def interleaved_medians(
    runs: dict[str, Callable[[], object]], *, reps: int, quick: bool, budget_s: float = 0.05
) -> dict[str, float]:
    """Median seconds per call of each of ``runs``, measured round-robin so drift hits all alike.

    Each sample repeats a call enough times to last about ``budget_s`` (once in quick mode).
    """
    inner: dict[str, int] = {}
    for name, run in runs.items():
        start = time.perf_counter()
        run()  # warm-up, and a first estimate of the cost
        elapsed = time.perf_counter() - start
        inner[name] = 1 if quick else max(1, int(budget_s / max(elapsed, 1e-9)))
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, run in runs.items():
            count = inner[name]
            start = time.perf_counter()
            for _ in range(count):
                run()
            samples[name].append((time.perf_counter() - start) / count)
    return {name: statistics.median(values) for name, values in samples.items()}


def machine() -> dict[str, Any]:
    """The machine the run happened on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
    }


def example(system: str, name: str) -> dict[str, Any]:
    """A vendor example payload shipped in ``crmbridge/sandbox/<system>/examples/<name>.json``."""
    folder = resources.files(f"crmbridge.sandbox.{system}") / "examples"
    loaded: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def _proc_status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def vmrss_kb() -> int:
    """This process's resident set size now, in KiB (0 where /proc is missing)."""
    try:
        return _proc_status("VmRSS")
    except OSError:
        return 0


def vmhwm_kb() -> int:
    """This process's peak resident set size, in KiB (0 where /proc is missing)."""
    try:
        return _proc_status("VmHWM")
    except OSError:
        return 0
