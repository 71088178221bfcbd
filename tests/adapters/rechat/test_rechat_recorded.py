"""The Rechat client replayed from a cassette recorded against the sandbox over loopback.

Re-record with ``CRMBRIDGE_RECORD=1 python -m pytest tests/adapters/rechat/test_rechat_recorded.py``.
"""

from __future__ import annotations

from typing import Any

from crmbridge.adapters.rechat.client import RechatClient
from crmbridge.sandbox.rechat import make_sandbox

TASK = {"title": "Recorded showing", "due_date": 1765163654.099, "end_date": 1765170854.099, "task_type": "Call"}


def test_recorded_session_replays(cassette: Any, recording_server: Any) -> None:
    """A list, a create and a get replay from the cassette with the recorded values, no server running."""
    sandbox = make_sandbox(seed_records=12, seed=3)
    with recording_server(sandbox) as base_url, cassette():
        client = RechatClient(base_url=base_url, token=sandbox.token, brand=sandbox.brand)
        titles = [task.title for task in client.tasks.list(limit=5)]
        created = client.tasks.create(TASK)
        fetched = client.tasks.get(created.id)
        client.close()
    assert len(titles) == 11  # the seeded tasks of the main brand (every tenth is in the other brand)
    assert fetched.title == "Recorded showing"
    assert fetched.task_type == "Call"
    assert fetched.due_date is not None
    assert created.id == fetched.id
