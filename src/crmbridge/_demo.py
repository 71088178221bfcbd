"""``crmbridge demo``: the three sandboxes in-process, a migration into each, a peek at the feed.

No configuration and no network: EstatePrime is seeded with generated records; its contacts and
communications move into Activix (custom fields by a suggested field mapping), its contacts and
calendar events (as tasks, the documented conversion) into Rechat (custom fields defined there
with ``create_missing``); the run ends with the reports and the first lines of a feed.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import crmbridge
from crmbridge.canonical import Ref
from crmbridge.sandbox import make_sandbox
from crmbridge.sandbox.rechat import make_sandbox as make_rechat_sandbox
from crmbridge.sync import MigrationReport, StateStore, feed, migrate
from crmbridge.sync._field_mapping import parse_field_mapping, suggest_field_mapping

__all__ = ["mapping_table", "progress_bars", "report_table", "run_demo"]

SEED_USERS = range(1, 60)
"""EstatePrime user ids the seeded records refer to (mapped onto the target's users)."""


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


def _users(target_users: list[Ref]) -> dict[Ref, Ref]:
    return {Ref("estateprime", "user", str(i)): target_users[i % len(target_users)] for i in SEED_USERS}


def run_demo(console: Console, *, records: int = 1000, seed: int = 7, feed_lines: int = 3) -> list[MigrationReport]:
    """Run the demo, printing progress, reports and feed lines to ``console``; the reports."""
    console.print(f"[bold]Seeding the EstatePrime sandbox[/bold] with {records} contacts and their records...")
    estateprime = make_sandbox("estateprime", seed_records=records, seed=seed, timezone="Europe/Athens")
    activix, rechat = make_sandbox("activix"), make_rechat_sandbox()
    totals = {
        "contact": estateprime.store.count("contacts"),
        "activity": estateprime.store.count("communication"),
        "event": estateprime.store.count("calendar"),
    }
    reports = []
    with tempfile.TemporaryDirectory() as folder:
        state = StateStore(Path(folder) / "state.db")
        source = crmbridge.connect("estateprime", **estateprime.client_options())
        with crmbridge.connect(
            "activix", **activix.client_options(), rate_limit=None, default_lead_type="web_order", default_region="US"
        ) as target:
            users = [Ref("activix", "user", str(u["id"])) for u in target.lookups()["account"][0]["users"]]
            suggested = suggest_field_mapping(
                "estateprime", "activix", source.custom_field_defs(), target.custom_field_defs()
            )
            console.print("[bold]EstatePrime -> Activix[/bold]: contacts become leads, communications follow;")
            console.print("custom fields go where `crmbridge mapping suggest` matched them by name:")
            console.print(suggested, markup=False, highlight=False)
            with progress_bars(console, totals) as progress:
                reports.append(
                    migrate(
                        source=source,
                        target=target,
                        kinds=["contact", "activity"],
                        state=state,
                        links=_users(users),
                        progress=progress,
                        field_mapping=parse_field_mapping(suggested, path="suggested"),
                    )
                )
            console.print(report_table(reports[-1]))
            console.print(mapping_table(reports[-1]))
        owner = rechat.user(rechat.token).id
        with crmbridge.connect("rechat", **rechat.client_options(), default_owner=owner) as target:
            console.print(
                "[bold]EstatePrime -> Rechat[/bold]: contacts, and calendar events as tasks; "
                "create_missing defines a Rechat attribute for each EstatePrime contact custom field"
            )
            with progress_bars(console, totals) as progress:
                reports.append(
                    migrate(
                        source=source,
                        target=target,
                        kinds=["contact", "event"],
                        state=state,
                        links=_users([Ref("rechat", "user", owner)]),
                        conversions={"event": "task"},
                        progress=progress,
                        field_mapping=parse_field_mapping("create_missing = true\n", path="create_missing"),
                    )
                )
            console.print(report_table(reports[-1]))
            console.print(mapping_table(reports[-1]))
            sink = io.StringIO()
            feed(target, output=sink, state=state, kinds=["task"], name="demo")
        source.close()
        state.close()
    lines = sink.getvalue().splitlines()
    console.print(f"[bold]The Rechat feed[/bold]: {len(lines)} NDJSON lines; the first {feed_lines}:")
    for line in lines[:feed_lines]:
        console.print(_shorten(line), soft_wrap=True, markup=False, highlight=False)
    return reports


def _shorten(line: str, width: int = 300) -> str:
    data = json.loads(line)
    text = json.dumps(data, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."
