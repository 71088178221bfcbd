"""The EstatePrime client replayed from a cassette recorded against the sandbox over loopback.

Its list requests are GETs with a JSON body: the cassette matches on the body too. Re-record with
``CRMBRIDGE_RECORD=1 python -m pytest tests/adapters/estateprime/test_estateprime_recorded.py``.
"""

from __future__ import annotations

from typing import Any

from crmbridge.adapters.estateprime.client import EstatePrimeClient
from crmbridge.sandbox.estateprime import make_sandbox

EVENT = {
    "full_day": True,
    "date_starting": "2025-01-20",
    "date_ending": "2025-01-21",
    "created_by": 10,
    "status_id": 1,
    "category_id": 3,
    "contacts": [1],
    "users": [2],
    "title": "Recorded open house",
    "description": "Saturday",
    "is_public": False,
    "is_online": False,
    "tags": [1],
}


def test_recorded_session_replays(cassette: Any, recording_server: Any) -> None:
    """Two filtered list pages, a create and a get replay from the cassette with the recorded values."""
    sandbox = make_sandbox(seed_records=60, seed=4)
    with recording_server(sandbox) as base_url, cassette():
        client = EstatePrimeClient(base_url=base_url, token=sandbox.token)
        contacts = list(client.contacts.list())
        outgoing = client.communications.list_page(1, type="outgoing")
        created = client.calendar.create(EVENT)
        event = client.calendar.get(created.created_id)
        client.close()
    assert len(contacts) == 60
    assert [c.id for c in contacts] == list(range(1, 61))
    assert outgoing.items
    assert all(item.type == "outgoing" for item in outgoing.items)
    assert event.title == "Recorded open house"
    assert event.full_day is True
