"""``python -m bench.profile_read [--top N]``: where the read path spends its time (cProfile).

Profiles ``adapter.to_canonical`` over the read benchmark's pages (every CRM and kind, several
passes) and prints the functions with the most time of their own, then the largest cumulative
costs under the adapters, with their share of the total.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
from typing import Any

from bench._pages import cases

__all__ = ["main", "profile"]


def _label(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    for marker in ("/site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{name} ({filename}:{line})" if line else name


def profile(passes: int = 40, only: str | None = None) -> pstats.Stats:
    """cProfile statistics of ``passes`` reads of every page (or of the case labelled ``only``)."""
    pages = [(case, case.body) for case in cases() if only is None or case.label == only]
    if not pages:
        raise SystemExit(f"no case {only!r}; cases: {', '.join(case.label for case in cases())}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(passes):
        for case, body in pages:
            for item in json.loads(body)[case.items_key]:
                case.adapter.to_canonical(case.kind, item)
    profiler.disable()
    return pstats.Stats(profiler)


def top(stats: pstats.Stats, count: int) -> dict[str, list[dict[str, Any]]]:
    """The ``count`` largest own-time and cumulative entries, with their share of the total."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in table.values())
    rows = [
        {"function": _label(key), "calls": entry[1], "own_s": entry[2], "cumulative_s": entry[3]}
        for key, entry in table.items()
    ]
    for row in rows:
        row["own_share"] = row["own_s"] / total
        row["cumulative_share"] = row["cumulative_s"] / total
    own = sorted(rows, key=lambda r: r["own_s"], reverse=True)[:count]
    cumulative = sorted(
        (r for r in rows if "crmbridge" in r["function"] or "pydantic" in r["function"] or "cattrs" in r["function"]),
        key=lambda r: r["cumulative_s"],
        reverse=True,
    )[:count]
    return {"total_s": [{"seconds": total}], "own": own, "cumulative": cumulative}


def main() -> None:
    """Print the top costs as two lists."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--passes", type=int, default=40)
    parser.add_argument("--case", help="one case only, e.g. estateprime/contact")
    args = parser.parse_args()
    found = top(profile(args.passes, args.case), args.top)
    print(f"total profiled: {found['total_s'][0]['seconds']:.2f} s")
    for title, key, share in (("own time", "own_s", "own_share"), ("cumulative", "cumulative_s", "cumulative_share")):
        print(f"\n| {title} | share | calls | function |\n|---:|---:|---:|---|")
        for row in found["own" if key == "own_s" else "cumulative"]:
            print(f"| {row[key]:.2f} s | {row[share]:.0%} | {row['calls']:,} | `{row['function']}` |")


if __name__ == "__main__":
    main()
