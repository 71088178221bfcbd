"""Activix CRM (API v2): communications as Activities, leads as Contacts.

``crmbridge.get_adapter("activix", default_region="CA")`` calls :func:`make_adapter`.
"""

from __future__ import annotations

from typing import Any

from crmbridge.adapters._base import Adapter
from crmbridge.adapters.activix.mapping import ActivixAdapter

__all__ = ["ActivixAdapter", "make_adapter"]


def make_adapter(**options: Any) -> Adapter:
    """An :class:`ActivixAdapter`; options: ``default_region`` (phone region, e.g. ``"CA"``) and
    ``default_lead_type`` (the type of leads created from contacts that have none)."""
    return ActivixAdapter(**options)
