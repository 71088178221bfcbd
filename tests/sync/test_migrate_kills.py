"""A migration killed with SIGKILL at seeded random moments, then resumed, moves every record exactly once."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from contextlib import closing
from pathlib import Path

import crmbridge
from crmbridge.sandbox import make_sandbox, serve_in_thread


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
    """SIGKILLs at seeded random points, then a run to the end: every contact and communication exists once."""
    estateprime = make_sandbox("estateprime", seed_records=80, seed=9)
    activix = make_sandbox("activix", db=tmp_path / "activix.db")
    chance = random.Random(20261123)
    with serve_in_thread(estateprime) as ep_url, serve_in_thread(activix) as ax_url:
        env = {
            **os.environ,
            "CRMBRIDGE_ESTATEPRIME_TOKEN": estateprime.token,
            "CRMBRIDGE_ESTATEPRIME_BASE_URL": ep_url,
            "CRMBRIDGE_ACTIVIX_TOKEN": activix.token,
            "CRMBRIDGE_ACTIVIX_BASE_URL": f"{ax_url}/v2",
        }
        kills = 0
        for _ in range(5):
            with subprocess.Popen(
                _command(tmp_path / "s.db"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            ) as run:
                time.sleep(chance.uniform(0.6, 1.6))  # start-up takes about 0.5 s, a full run several seconds
                if run.poll() is None:
                    run.send_signal(signal.SIGKILL)
                    kills += 1
                run.wait(timeout=30)
        final = subprocess.run(_command(tmp_path / "s.db"), env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        with crmbridge.connect("estateprime", **estateprime.client_options()) as source:
            contacts = list(source.list("contact"))
            activities = list(source.list("activity"))
        with crmbridge.connect("activix", **activix.client_options(), rate_limit=None) as target:
            leads = list(target.list("contact"))
            calls = list(target.list("activity"))
    assert kills >= 3, "the runs were killed mid-way"
    names = Counter((c.first_name, c.last_name) for c in leads)
    assert names == Counter((c.first_name, c.last_name) for c in contacts)
    assert len(calls) == len(activities)
    notes = Counter(a.notes for a in calls)  # type: ignore[attr-defined]
    assert notes == Counter(a.notes for a in activities)  # type: ignore[attr-defined]
