"""Rechat: CRM tasks (with associations, assignees, reminders) and contacts, both ways."""

from __future__ import annotations

from typing import Any

from crmbridge.adapters._base import Adapter
from crmbridge.adapters.rechat.mapping import RechatAdapter

__all__ = ["RechatAdapter", "make_adapter"]


def make_adapter(**options: Any) -> Adapter:
    """The Rechat adapter; option ``default_owner`` (a user UUID) owns contacts that have no owner."""
    return RechatAdapter(**options)
