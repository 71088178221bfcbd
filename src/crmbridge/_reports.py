"""Rich renderings of a migration report and progress bars, for the demo and the command line.

Kept apart from the demo: the demo needs the sandbox extra, and ``crmbridge migrate`` must not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crmbridge.sync import MigrationReport

__all__ = ["mapping_table", "progress_bars", "report_table"]


def report_table(report: MigrationReport) -> Table:
    """A rich table of a migration report: one row per kind, then the most common losses."""
    table = Table(title=f"{report.source} -> {report.target}{' (dry run)' if report.dry_run else ''}")
    for column in ("kind", "read", "created", "updated", "same", "reconciled", "failed", "most dropped fields"):
        table.add_column(column, justify="left" if column in ("kind", "most dropped fields") else "right")
    for kind, counts in report.kinds.items():
        dropped = ", ".join(f"{name} {n}" for name, n in counts.dropped_fields.most_common(3))
        table.add_row(
            kind,
            *(
                str(getattr(counts, name))
                for name in ("read", "created", "updated", "unchanged", "reconciled", "failed")
            ),
            dropped or "-",
        )
    for kind, why in report.skipped_kinds.items():
        table.add_row(kind, "-", "-", "-", "-", "-", "-", f"skipped: {why}")
    return table


def mapping_table(report: MigrationReport) -> Table:
    """A rich table of what each field mapping line moved, and the custom values no line carried."""
    table = Table(title=f"custom fields {report.source} -> {report.target}")
    for column in ("mapping line", "moved", "lossy", "failed"):
        table.add_column(column, justify="left" if column == "mapping line" else "right")
    for line, stats in report.field_mapping.items():
        table.add_row(line, str(stats.moved), str(stats.lossy), str(stats.failed))
    for kind, counts in report.kinds.items():
        dropped = counts.dropped_fields.get("custom_fields[*]", 0)
        if dropped:  # a field no line names, or a kind the target keeps no custom fields on
            table.add_row(f"({kind} values no line carries: dropped)", str(dropped), "-", "-")
    return table


@contextmanager
def progress_bars(console: Console, total: dict[str, int]) -> Iterator[Callable[[str, int], None]]:
    """A progress bar per kind (with a total when known); yields migrate()'s progress callback."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def advance(kind: str, done: int) -> None:
            if kind not in tasks:
                tasks[kind] = progress.add_task(f"  {kind}", total=total.get(kind))
            progress.update(tasks[kind], completed=done)

        yield advance
