"""Pages of 50 records per CRM and kind, built from the vendor examples with varied ids.

Each :class:`Case` holds the raw bytes of one list response (the CRM's own envelope around 50
objects), the adapter that reads them, and the hand-written mapping of the same fields that the
read benchmark compares with.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import crmbridge
from bench import _handmaps
from bench._common import REPO, example

__all__ = ["PAGE_SIZE", "Case", "cases"]

PAGE_SIZE = 50

Json = dict[str, Any]
HandMap = Callable[[Json], Json]


@dataclass(frozen=True)
class Case:
    """One CRM and kind: a page of raw response bytes and how to read it."""

    system: str
    kind: str
    source: str
    body: bytes
    items_key: str
    adapter: crmbridge.Adapter
    hand: HandMap

    @property
    def label(self) -> str:
        """``system/kind``, the row name in the results."""
        return f"{self.system}/{self.kind}"

    def items(self) -> list[Json]:
        """The page's objects, parsed."""
        items: list[Json] = json.loads(self.body)[self.items_key]
        return items


def _estateprime_page(name: str, start: int) -> bytes:
    base = example("estateprime", name)
    items = []
    for i in range(PAGE_SIZE):
        item = copy.deepcopy(base)
        item["id"] = start + i
        items.append(item)
    envelope = {
        "status": 200,
        "page": 1,
        "total_pages": 1,
        "results_per_page": PAGE_SIZE,
        "total_results": PAGE_SIZE,
        "data": items,
    }
    return json.dumps(envelope).encode()


def rechat_task() -> Json:
    """The bulk-associations task of the examples, its listing association expanded as the API does.

    ``task.bulk-associations-response`` carries contacts expanded in their associations and a
    bare listing association; the associations-list fixture of the test suite has the same
    listing association with its listing expanded, so it replaces the bare one.
    """
    task = example("rechat", "task.bulk-associations-response")
    fixture = REPO / "tests" / "adapters" / "rechat" / "fixtures" / "envelope.associations-list.json"
    listed = json.loads(fixture.read_text(encoding="utf-8"))["data"]
    expanded = {a["id"]: a for a in listed if a.get("association_type") == "listing" and a.get("listing")}
    task["associations"] = [expanded.get(a["id"], a) for a in task["associations"]]
    return task


def _rechat_page() -> bytes:
    base = rechat_task()
    items = []
    for i in range(PAGE_SIZE):
        item = copy.deepcopy(base)
        ident = str(uuid.UUID(int=0x736DDDA0_0000_4000_8000_000000000000 + i))
        item["id"] = ident
        for association in item["associations"]:
            association["crm_task"] = ident
        items.append(item)
    return json.dumps({"code": "OK", "data": items, "info": {"count": PAGE_SIZE, "total": PAGE_SIZE}}).encode()


def _activix_page(name: str, start: int) -> bytes:
    base = example("activix", name)
    items = []
    for i in range(PAGE_SIZE):
        item = copy.deepcopy(base)
        item["id"] = start + i
        items.append(item)
    meta = {"current_page": 1, "last_page": 1, "per_page": PAGE_SIZE, "total": PAGE_SIZE}
    return json.dumps({"data": items, "meta": meta}).encode()


def cases() -> list[Case]:
    """The six cases of the read and write benchmarks."""
    estateprime = crmbridge.get_adapter("estateprime")
    rechat = crmbridge.get_adapter("rechat")
    activix = crmbridge.get_adapter("activix")
    return [
        Case(
            "estateprime",
            "contact",
            "contact.object",
            _estateprime_page("contact.object", 1000),
            "data",
            estateprime,
            _handmaps.estateprime_contact,
        ),
        Case(
            "estateprime",
            "activity",
            "activity.object",
            _estateprime_page("activity.object", 3000),
            "data",
            estateprime,
            _handmaps.estateprime_communication,
        ),
        Case(
            "estateprime",
            "event",
            "event.object",
            _estateprime_page("event.object", 5000),
            "data",
            estateprime,
            _handmaps.estateprime_event,
        ),
        Case(
            "rechat",
            "task",
            "task.bulk-associations-response + expanded listing",
            _rechat_page(),
            "data",
            rechat,
            _handmaps.rechat_task,
        ),
        Case(
            "activix",
            "activity",
            "activity.phone_answered",
            _activix_page("activity.phone_answered", 90000),
            "data",
            activix,
            _handmaps.activix_communication,
        ),
        Case(
            "activix",
            "contact",
            "contact.lead_with_emails_phones_communications",
            _activix_page("contact.lead_with_emails_phones_communications", 410000),
            "data",
            activix,
            _handmaps.activix_lead,
        ),
    ]
