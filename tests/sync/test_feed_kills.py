"""A feed killed with SIGKILL at 20 seeded moments, while its CRM keeps changing, loses no change and repeats none.

The feed runs as the CLI does (``crmbridge feed``, in a subprocess, over loopback). Between runs
the source changes: records are edited, added and deleted. A run is killed after a seeded number
of further lines reach the output file (every fifth run is left to finish, so the runs after it
read incrementally), until 20 runs died mid-way. A last run goes to the end with a full scan.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import crmbridge
from crmbridge.sandbox import Sandbox, make_sandbox, serve_in_thread

from ._kills import run_until_killed

KILLS = 20
MAX_RUNS = 45
CONTACTS = 300


def _lines_in(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _command(output: Path, state: Path, full_scan: bool) -> list[str]:
    command = [sys.executable, "-m", "crmbridge.cli", "feed", "estateprime", "--kinds", "contact"]
    command += ["--output", str(output), "--state", str(state)]
    return [*command, "--full-scan"] if full_scan else command


class Changes:
    """Edits, additions and deletions made to the EstatePrime sandbox between feed runs."""

    def __init__(self, sandbox: Sandbox, chance: random.Random) -> None:
        self.sandbox = sandbox
        self.chance = chance
        self.untouched = [str(i) for i in range(1, CONTACTS + 1)]
        chance.shuffle(self.untouched)
        self.deleted: set[str] = set()
        self.next_id = 100_000
        self.clock = 0

    def _stamp(self) -> str:
        # Later than every seeded record, and moving forward, so an incremental run sees the change.
        self.clock += 1
        return f"2031-01-01 00:{self.clock // 60:02d}:{self.clock % 60:02d}"

    def round(self, number: int) -> None:
        store = self.sandbox.store
        for _ in range(4):
            ident = self.untouched.pop()
            document = store.get("contacts", ident)
            assert document is not None
            store.put("contacts", ident, {**document, "last_name": f"Edited{number}", "date_updated": self._stamp()})
        template = store.get("contacts", self.untouched[0])
        assert template is not None
        for _ in range(2):
            self.next_id += 1
            added = {**template, "id": self.next_id, "first_name": f"Added{number}", "date_updated": self._stamp()}
            store.put("contacts", str(self.next_id), added)
        gone = self.untouched.pop()
        store.delete("contacts", gone)
        self.deleted.add(f"estateprime:contact:{gone}")


def test_killed_feed_loses_no_change_and_emits_none_twice(tmp_path: Path) -> None:
    """Across 20 SIGKILLs of a feed of a changing CRM: seqs run 1..n, nothing repeats, each ref ends current."""
    sandbox = make_sandbox("estateprime", seed_records=CONTACTS, seed=31)
    chance = random.Random(20261124)
    changes = Changes(sandbox, chance)
    output, state = tmp_path / "feed.ndjson", tmp_path / "feed.db"
    kills = 0
    with serve_in_thread(sandbox) as url:
        env = {**os.environ, "CRMBRIDGE_ESTATEPRIME_TOKEN": sandbox.token, "CRMBRIDGE_ESTATEPRIME_BASE_URL": url}
        runs = 0
        while kills < KILLS and runs < MAX_RUNS:
            runs += 1
            command = _command(output, state, full_scan=runs % 3 == 0)
            if runs % 5 == 0:  # now and then a run ends normally: later runs are incremental
                completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
                assert completed.returncode == 0, completed.stderr
            else:
                kills += run_until_killed(command, env, lambda: _lines_in(output), chance.randint(1, 12))
            changes.round(runs)
        final = subprocess.run(
            _command(output, state, full_scan=True), env=env, capture_output=True, text=True, timeout=300
        )
    assert final.returncode == 0, final.stderr
    assert kills == KILLS
    lines = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    history: dict[str, list[Any]] = defaultdict(list)
    for line in lines:
        history[line["ref"]].append(line["record"])
    repeated = [ref for ref, states in history.items() if any(a == b for a, b in itertools.pairwise(states))]
    assert repeated == [], "no state of a record is emitted twice in a row"
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        current = {str(c.ref): c.model_dump(mode="json") for c in crm.list("contact")}
    assert {ref: states[-1] for ref, states in history.items() if states[-1] is not None} == current
    # A record deleted before the feed ever emitted it needs no tombstone: it has no line at all.
    tombstoned = {ref for ref, states in history.items() if states[-1] is None}
    assert tombstoned == changes.deleted & set(history)
    assert len(tombstoned) > KILLS // 2
