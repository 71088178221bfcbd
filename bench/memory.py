"""Benchmark 4, memory: peak RSS of a feed of generated records, in a subprocess of its own.

The worker (``python -m bench.memory --worker N``) builds a :class:`~crmbridge.Connection` over
an in-bench backend whose ``list_payloads`` generates N EstatePrime contact objects (the
contact example, ids and names varied) without HTTP; the connection translates them with the
real adapter, and :func:`crmbridge.sync.feed` writes them to ``/dev/null`` with its state in a
SQLite file of a temporary folder. The worker reports its own peak RSS (``VmHWM`` of
``/proc/self/status``, and ``ru_maxrss``), its RSS before the feed started, RSS samples taken
every tenth of the way, and the seconds the feed took.

The figures: each size's peak over the 150 MB target (≤ 1.0 passes), and "flat": the largest
size's peak over the smallest's (≤ 1.10 passes). 1,000,000 records run only when the time
measured at the smaller sizes says they fit in the budget (8 minutes for all sizes); otherwise
the time they would take is extrapolated from the measured records/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bench._common import REPO, Row, Settings, example, vmhwm_kb, vmrss_kb

__all__ = ["GeneratedBackend", "run", "worker"]

NAME = "memory"
LIMIT_MB = 150.0
FLAT = 1.10
BUDGET_S = 480.0
FULL_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (100, 300)
CALIBRATION = 10_000
"""The first size of a full run: it measures records/s, which decides what else fits."""
STEP = 10_000
STARTUP_S = 5.0


class GeneratedBackend:
    """A :class:`crmbridge._connection.Backend` listing generated EstatePrime contacts (no HTTP)."""

    def __init__(self, records: int, samples: list[tuple[int, int]]) -> None:
        import crmbridge

        self.adapter = crmbridge.get_adapter("estateprime")
        self.records = records
        self.samples = samples
        # Each record is parsed from the example's bytes, as a page read off the wire would be.
        self._base = json.dumps(example("estateprime", "contact.object")).encode()

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """``records`` contacts with ids 1..N; RSS is sampled every tenth of the way."""
        del filters
        if kind != "contact":
            return
        step = max(1, self.records // 10)
        for ident in range(1, self.records + 1):
            payload = json.loads(self._base)
            payload["id"] = ident
            payload["first_name"] = f"John {ident}"
            yield payload
            if ident % step == 0:
                self.samples.append((ident, vmrss_kb()))

    def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        """Not needed by a feed."""
        raise NotImplementedError

    def create_payload(self, kind: str, body: dict[str, Any]) -> Any:
        """Not needed by a feed."""
        raise NotImplementedError

    def update_payload(self, ref: Any, body: dict[str, Any]) -> None:
        """Not needed by a feed."""
        raise NotImplementedError

    def delete_payload(self, ref: Any) -> None:
        """Not needed by a feed."""
        raise NotImplementedError

    def lookups(self) -> dict[str, Any]:
        """No lookup lists."""
        return {}

    def close(self) -> None:
        """Nothing to release."""


def worker(records: int) -> dict[str, Any]:
    """Feed ``records`` generated contacts to /dev/null; what it cost (run in a subprocess)."""
    from crmbridge import Connection
    from crmbridge.sync import StateStore, feed

    samples: list[tuple[int, int]] = []
    backend = GeneratedBackend(records, samples)
    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder) / "feed.db")
        connection = Connection(backend)
        with open(os.devnull, "w", encoding="utf-8") as sink:
            before = vmrss_kb()
            start = time.perf_counter()
            report = feed(connection, output=sink, state=state, kinds=["contact"], name="bench")
            seconds = time.perf_counter() - start
        state.close()
    return {
        "records": records,
        "emitted": report.upserts.get("contact", 0),
        "seconds": seconds,
        "records_per_s": records / seconds,
        "rss_before_feed_kb": before,
        "vmhwm_kb": vmhwm_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_samples_kb": samples,
    }


def _measure(records: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.memory", "--worker", str(records)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _peak_mb(result: Mapping[str, Any]) -> float:
    return float(result["vmhwm_kb"] or result["ru_maxrss_kb"]) / 1024


def _late_slope_kb_per_1000(result: Mapping[str, Any]) -> float:
    """RSS growth per 1,000 records over the last tenth of a run (0 when flat).

    The last tenth, because the adapters' bounded caches (16,384 Refs) fill during the first
    ~16,000 records: growth before that is the cache, not a leak.
    """
    half = result["rss_samples_kb"][-2:]
    if len(half) < 2 or half[-1][0] == half[0][0]:
        return 0.0
    return float((half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) * 1000)


def _plan(settings: Settings, started: float) -> tuple[list[dict[str, Any]], dict[int, float]]:
    """Run the sizes that fit the budget: the results, and the sizes skipped with their expected seconds."""
    if settings.quick:
        return [_measure(size) for size in QUICK_SIZES], {}
    measured = [_measure(CALIBRATION)]
    skipped: dict[int, float] = {}
    for size in FULL_SIZES:
        rate = measured[-1]["records_per_s"]
        if time.perf_counter() - started + size / rate + STARTUP_S > BUDGET_S:
            skipped[size] = size / rate
            continue
        measured.append(_measure(size))
    if len(measured) == 1:  # neither size fits: the largest round size that does
        rate = measured[0]["records_per_s"]
        left = BUDGET_S - (time.perf_counter() - started) - STARTUP_S
        size = int(rate * left // STEP * STEP)
        if size > CALIBRATION:
            measured.append(_measure(size))
    return measured, skipped


def run(settings: Settings) -> list[Row]:
    """One row per size measured (peak over 150 MB), and the flatness row."""
    measured, skipped = _plan(settings, time.perf_counter())
    rows = []
    for result in measured:
        peak = _peak_mb(result)
        rows.append(
            Row(
                benchmark=NAME,
                case=f"feed {result['records']:,} records",
                ratio=peak / LIMIT_MB,
                meaning="peak RSS / 150 MB",
                target=1.0,
                comparison="<=",
                detail=(
                    f"peak {peak:.0f} MB (before the feed {result['rss_before_feed_kb'] / 1024:.0f} MB); "
                    f"{result['records_per_s']:,.0f} records/s, {result['seconds']:.1f} s"
                ),
                raw=result,
            )
        )
    smallest, largest = measured[0], measured[-1]
    slope = _late_slope_kb_per_1000(largest)
    projected = _peak_mb(largest) + slope * (1_000_000 - largest["records"]) / 1000 / 1024
    rate = largest["records_per_s"]
    note = "".join(f"; {size:,} not run: ~{seconds / 60:.0f} min at {rate:,.0f}/s" for size, seconds in skipped.items())
    rows.append(
        Row(
            benchmark=NAME,
            case="flat",
            ratio=_peak_mb(largest) / _peak_mb(smallest),
            meaning=f"peak at {largest['records']:,} / at {smallest['records']:,}",
            target=FLAT if len(measured) > 1 else None,
            comparison="<=",
            detail=(
                f"{_peak_mb(largest):.0f} vs {_peak_mb(smallest):.0f} MB; last tenth of the largest run "
                f"{slope:+.0f} KB/1,000 records (1,000,000 projected {projected:.0f} MB){note}"
            ),
            raw={
                "sizes_measured": [r["records"] for r in measured],
                "late_slope_kb_per_1000_records": slope,
                "projected_peak_mb_at_1000000": projected,
                "not_run_expected_s": {str(size): seconds for size, seconds in skipped.items()},
                "budget_s": BUDGET_S,
            },
        )
    )
    return rows


def main() -> None:
    """``python -m bench.memory --worker N``: run the worker and print its result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--worker", type=int, required=True, help="records to feed")
    args = parser.parse_args()
    print(json.dumps(worker(args.worker)))


if __name__ == "__main__":
    main()
