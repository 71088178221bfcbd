"""Rechat: CRM tasks (with associations, assignees, reminders) and contacts, both ways."""

from __future__ import annotations

from typing import Any

from crmbridge.adapters._base import Adapter
from crmbridge.adapters.rechat.mapping import RechatAdapter

__all__ = ["RechatAdapter", "make_adapter"]


def make_adapter(**options: Any) -> Adapter:
    """The Rechat adapter; it takes no options (timestamps are UTC epoch seconds)."""
    if options:
        raise TypeError(f"the rechat adapter takes no options, got: {', '.join(sorted(options))}")
    return RechatAdapter()
