"""The EstatePrime adapter: contacts, communications and calendar events, both ways.

``crmbridge.get_adapter("estateprime", timezone="Europe/Athens", lookups={...})``; see
:mod:`crmbridge.adapters.estateprime.mapping` for the rules and ``docs/adapters/estateprime.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.adapters.estateprime.mapping import EstatePrimeAdapter

__all__ = ["EstatePrimeAdapter", "make_adapter"]


def make_adapter(
    *, timezone: str = "UTC", lookups: Mapping[str, Any] | None = None, default_office: int | None = None
) -> EstatePrimeAdapter:
    """An EstatePrime adapter for an account in ``timezone`` with its lookup lists (optional).

    ``lookups`` maps a lookup endpoint's path below ``/api/`` (``"communication/channels"``) to the
    ``data`` array it returned. ``default_office`` is the ``store_id`` of communications that have
    no office (EstatePrime requires one; other CRMs have none).
    """
    return EstatePrimeAdapter(timezone=timezone, lookups=lookups, default_office=default_office)
