"""Benchmark 6, sandbox_pages: how a sandbox's list page grows with the records it stores.

The tests bound a page's work by counting store scans and reads (no clock in tests); this is
where its speed is measured. One filtered page (page 3) is requested in-process from an
EstatePrime sandbox (a ``date_created`` range) and from an Activix sandbox (a ``created_at``
filter with ``include[]=emails,phones``), each filled with ``large`` and with ``small`` records.
The figure is the median time of the large page over that of the small one, divided by the
size ratio: 1.0 is linear in the records stored (every filter walks them all), higher means
work that grows faster than the store (a sort or a copy per record, a scan per page item).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from bench._common import Row, Settings, interleaved_medians
from crmbridge.sandbox import Sandbox, make_sandbox

__all__ = ["TARGET", "run"]

NAME = "sandbox_pages"
TARGET = 1.5
"""At most 1.5 times linear growth from the small store to the large one."""


def _estateprime(records: int) -> Callable[[], object]:
    sandbox = make_sandbox("estateprime")
    for ident in range(1, records + 1):
        day = f"2025-{1 + ident % 12:02d}-{1 + ident % 28:02d} 10:00:00"
        document = {"id": ident, "first_name": "A", "last_name": f"L{ident}", "date_created": day}
        sandbox.store.put("contacts", str(ident), document)
    body = {"page": 3, "date_created": {"min": "2025-06-01 00:00:00", "max": None}}
    return _requester(sandbox, "GET", "api/contacts", json=body)


def _activix(records: int) -> Callable[[], object]:
    sandbox = make_sandbox("activix")
    for ident in range(1, records + 1):
        day = f"2024-{ident % 12 + 1:02d}-{ident % 28 + 1:02d}T12:00:00+00:00"
        lead = {"id": ident, "account_id": 1, "type": "web_order", "created_at": day, "updated_at": day}
        sandbox.store.put("leads", str(ident), lead)
    params = {"filter[created_at][gte]": "2024-06-01", "include[]": ["emails", "phones"], "page": 3}
    return _requester(sandbox, "GET", "leads", params=params)


def _requester(sandbox: Sandbox, method: str, path: str, **options: Any) -> Callable[[], object]:
    client = httpx.Client(
        transport=sandbox.transport(), base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.token}"}
    )

    def request() -> object:
        response = client.request(method, path, **options)
        response.raise_for_status()
        return response

    return request


def run(settings: Settings) -> list[Row]:
    """One row per CRM: (large page time / small page time) / (large / small)."""
    small, large = (100, 1_000) if settings.quick else (1_000, 10_000)
    rows = []
    for crm, build in (("estateprime", _estateprime), ("activix", _activix)):
        medians = interleaved_medians(
            {"small": build(small), "large": build(large)}, reps=settings.reps, quick=settings.quick
        )
        growth = medians["large"] / medians["small"] / (large / small)
        rows.append(
            Row(
                benchmark=NAME,
                case=f"{crm} filtered page 3, {small:,} -> {large:,} records",
                ratio=growth,
                meaning="page time growth / record count growth",
                detail=f"{medians['large'] * 1000:.2f} ms at {large:,}",
                target=TARGET,
                comparison="<=",
                raw={"small_records": small, "large_records": large, **{f"{k}_s": v for k, v in medians.items()}},
            )
        )
    return rows
