"""``python -m bench [names...] [--quick] [--repeats N] [--output PATH]``: run the suite.

Prints one table of ratios (each against a baseline measured in the same run) and writes the
raw medians, ratios, targets, pass/fail and the machine to ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import feeds, memory, paging, rate_limit, read_path, sandbox_pages, shards, write_path
from bench._common import Row, Settings, machine

__all__ = ["BENCHMARKS", "main", "run_suite"]

BENCHMARKS: dict[str, Callable[[Settings], list[Row]]] = {
    "read": read_path.run,
    "write": write_path.run,
    "paging": paging.run,
    "memory": memory.run,
    "rate_limit": rate_limit.run,
    "feeds": feeds.run,
    "shards": shards.run,
    "sandbox_pages": sandbox_pages.run,
}
"""Every benchmark by name, in the order they run."""

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"


def run_suite(names: Sequence[str], settings: Settings, console: Console | None = None) -> dict[str, Any]:
    """Run the benchmarks ``names``; the results document (what ``results.json`` holds)."""
    results: dict[str, Any] = {
        "machine": machine(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": settings.quick,
        "repetitions": settings.reps,
        "benchmarks": {},
    }
    for name in names:
        if console is not None:
            console.print(f"[bold]{name}[/bold] ...")
        start = time.perf_counter()
        rows = BENCHMARKS[name](settings)
        results["benchmarks"][name] = {
            "seconds": time.perf_counter() - start,
            "rows": [row.as_dict() for row in rows],
        }
    return results


def table(results: dict[str, Any]) -> Table:
    """The results as a rich table: one line per ratio."""
    info = results["machine"]
    title = (
        f"crmbridge benchmarks{' (quick)' if results['quick'] else ''}: {info['platform']}, "
        f"{info['cpu_count']} CPUs, Python {info['python']}; medians of {results['repetitions']}"
    )
    grid = Table(title=title)
    for column in ("benchmark", "case", "ratio", "target", "met", "ratio is", "details"):
        grid.add_column(column, justify="right" if column in ("ratio", "target") else "left")
    for name, block in results["benchmarks"].items():
        for row in block["rows"]:
            target = "-" if row["target"] is None else f"{row['comparison']} {row['target']:g}"
            met = {True: "[green]yes[/green]", False: "[red]no[/red]", None: "-"}[row["passed"]]
            grid.add_row(name, row["case"], f"{row['ratio']:.2f}", target, met, row["meaning"], row["detail"])
    return grid


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; 0 whatever the figures (the suite measures, it does not gate)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: seconds, for smoke tests")
    parser.add_argument("--repeats", type=int, default=7, help="repetitions per measurement (at least 5)")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the JSON results (default: {DEFAULT_OUTPUT.name}, on a full run only)",
    )
    args = parser.parse_args(argv)
    # Not a terminal (a pipe, a log): wide enough that the table stays one line per row.
    console = Console() if sys.stdout.isatty() else Console(width=220)
    settings = Settings(quick=args.quick, repeats=args.repeats)
    results = run_suite(args.names or list(BENCHMARKS), settings, console)
    console.print(table(results))
    # The committed results are the full suite's: a quick or partial run must not overwrite them.
    output = args.output if args.output is not None else (None if args.quick or args.names else DEFAULT_OUTPUT)
    if output is None:
        console.print("results not written (a quick or partial run): give --output PATH to keep them")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"results written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
