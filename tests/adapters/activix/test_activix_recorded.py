"""The Activix client replayed from a cassette recorded against the sandbox over loopback.

Re-record with ``CRMBRIDGE_RECORD=1 python -m pytest tests/adapters/activix/test_activix_recorded.py``.
"""

from __future__ import annotations

from typing import Any

from crmbridge.adapters.activix.client import ActivixClient
from crmbridge.sandbox.activix import make_sandbox

LEAD = {
    "type": "web_order",
    "first_name": "Recorded",
    "last_name": "Lead",
    "emails": [{"type": "home", "address": "rec@example.com"}],
}


def test_recorded_session_replays(cassette: Any, recording_server: Any) -> None:
    """A paged lead list, a lead create and a communication create replay from the cassette."""
    sandbox = make_sandbox(seed_records=7, seed=2)
    with recording_server(sandbox) as base_url, cassette():
        client = ActivixClient(base_url=f"{base_url}/v2", token=sandbox.token, rate_limit=None)
        seeded = list(client.leads.list(per_page=3))
        lead = client.leads.create(LEAD)
        call = client.communications.create(
            {"lead_id": lead.id, "method": "phone", "type": "outgoing", "call_status": "answered", "call_duration": 61}
        )
        client.close()
    assert len(seeded) == 7
    assert lead.first_name == "Recorded"
    assert call.lead_id == lead.id
    assert call.call_status == "answered"
