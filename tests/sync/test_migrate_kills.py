"""A migration killed with SIGKILL at 20 seeded moments, then resumed, moves every record exactly once."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import crmbridge
from crmbridge.sandbox import make_sandbox, serve_in_thread
from crmbridge.sync import StateStore

from ._compare import by_ref, mismatches
from ._kills import run_until_killed

KILLS = 20
CONTACTS = 150
"""Seeding this many contacts also seeds as many communications: 300 records, about 6 linked per kill."""


def _moved(state: Path) -> int:
    """How many records the migration has linked so far (read while it runs: the store is in WAL mode)."""
    if not state.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)) as db:
            return int(db.execute("SELECT COUNT(*) FROM crosswalk").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the tables are not created yet


def _command(state: Path) -> list[str]:
    links = [f"--link=estateprime:user:{i}=activix:user:{1 + i % 3}" for i in range(1, 40)]
    return [
        sys.executable,
        "-m",
        "crmbridge.cli",
        "migrate",
        "--from",
        "estateprime",
        "--to",
        "activix",
        "--kinds",
        "contact,activity",
        "--state",
        str(state),
        "--to-option",
        "default_lead_type=web_order",
        "--to-option",
        "default_region=US",
        "--to-option",
        "rate_limit=null",
        *links,
    ]


def test_killed_migration_resumes_to_exactly_once(tmp_path: Path) -> None:
    """After 20 SIGKILLs and a last run, each contact and communication is in Activix once, equal to its source."""
    estateprime = make_sandbox("estateprime", seed_records=CONTACTS, seed=9)
    activix = make_sandbox("activix", db=tmp_path / "activix.db")
    chance = random.Random(20261123)
    state = tmp_path / "s.db"
    with serve_in_thread(estateprime) as ep_url, serve_in_thread(activix) as ax_url:
        env = {
            **os.environ,
            "CRMBRIDGE_ESTATEPRIME_TOKEN": estateprime.token,
            "CRMBRIDGE_ESTATEPRIME_BASE_URL": ep_url,
            "CRMBRIDGE_ACTIVIX_TOKEN": activix.token,
            "CRMBRIDGE_ACTIVIX_BASE_URL": f"{ax_url}/v2",
        }
        progress = lambda: _moved(state)  # noqa: E731
        kills = sum(run_until_killed(_command(state), env, progress, chance.randint(1, 12)) for _ in range(KILLS))
        final = subprocess.run(_command(state), env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        with crmbridge.connect("estateprime", **estateprime.client_options()) as source:
            contacts = by_ref(list(source.list("contact")))
            activities = by_ref(list(source.list("activity")))
        with crmbridge.connect("activix", **activix.client_options(), rate_limit=None) as target:
            leads = by_ref(list(target.list("contact")))
            calls = by_ref(list(target.list("activity")))
    assert kills == KILLS, "every run was killed mid-way"
    store = StateStore(state)
    crosswalk = dict(store.links("activix"))
    assert store.pending_intents("activix") == []
    store.close()
    assert set(crosswalk) == set(contacts) | set(activities)
    assert len(set(crosswalk.values())) == len(crosswalk), "no two source records share a copy"
    assert set(crosswalk.values()) == set(leads) | set(calls), "the target holds nothing else"
    assert mismatches(contacts, activities, leads, calls, crosswalk) == {}
