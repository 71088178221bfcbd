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
from pathlib import Path

from rich.console import Console

import crmbridge
from crmbridge._reports import mapping_table, progress_bars, report_table
from crmbridge.canonical import Ref
from crmbridge.sandbox import make_sandbox
from crmbridge.sandbox.rechat import make_sandbox as make_rechat_sandbox
from crmbridge.sync import MigrationReport, StateStore, feed, migrate
from crmbridge.sync._field_mapping import parse_field_mapping, suggest_field_mapping

__all__ = ["run_demo"]

SEED_USERS = range(1, 60)
"""EstatePrime user ids the seeded records refer to (mapped onto the target's users)."""


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
