"""Adapters: one folder per CRM, each translating that CRM's payloads both ways.

A CRM is found by name through its :class:`crmbridge.System` descriptor (``crmbridge._systems``):
the built-ins are folders here whose ``__init__`` defines ``make_adapter(**options) -> Adapter``;
others register one (:func:`crmbridge.register_system`, or an entry point in ``crmbridge.systems``).
"""

from crmbridge.adapters._base import Adapter, BatchFailure, BatchResult, Resolver
from crmbridge.adapters._registry import available_systems, get_adapter, register_adapter

__all__ = [
    "Adapter",
    "BatchFailure",
    "BatchResult",
    "Resolver",
    "available_systems",
    "get_adapter",
    "register_adapter",
]
