"""Progress bars of a migration, with totals where the source CRM reports them."""

from __future__ import annotations

import importlib
from typing import Any

from crmbridge._reports import progress_bars
from crmbridge.errors import CrmBridgeError

__all__ = ["progress_bars", "reported_total", "source_totals"]

_COUNTED = {"estateprime": {"contact", "activity", "event"}, "rechat": {"contact", "task"}, "activix": {"contact"}}
"""Kinds whose first list page says how many there are (EstatePrime ``total_results``, Rechat ``info.total``,
Activix ``meta.total``; Activix activities are listed through their leads, so they are not counted)."""


def _first_page_spec(connection: Any, kind: str) -> Any:
    module = importlib.import_module(f"crmbridge.adapters.{connection.system}.connection")
    backend = connection.backend
    if connection.system == "estateprime":
        return module.list_plan(kind, {}, backend.client.clock).paged
    if connection.system == "rechat":
        return module.list_plan(kind, {}, backend.page_size).paged.spec()
    return module.list_plan(kind, {}, backend.page_size).leads.spec()


def reported_total(connection: Any, kind: str) -> int | None:
    """How many ``kind`` records the CRM says it has (one page read), or None when it does not say."""
    if kind not in _COUNTED.get(connection.system, ()):
        return None
    try:
        total = connection.backend.client.page(_first_page_spec(connection, kind)).total
    except (CrmBridgeError, ValueError):
        return None  # only a decoration of the bars: the run itself reports what went wrong
    return total if isinstance(total, int) and total > 0 else None  # Rechat's 0 means "not counted"


def source_totals(source: Any, kinds: list[str], full_read: set[str]) -> dict[str, int]:
    """Totals of the kinds that will be read whole (``full_read``: no checkpoint yet, or a full scan)."""
    totals = {}
    for kind in kinds:
        if kind in full_read:
            total = reported_total(source, kind)
            if total is not None:
                totals[kind] = total
    return totals
