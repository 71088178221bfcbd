"""Adapters: one folder per CRM, each translating that CRM's payloads both ways.

Adding a CRM is adding a folder ``crmbridge/adapters/<system>/`` whose ``__init__`` defines
``make_adapter(**options) -> Adapter``; :func:`get_adapter` finds it by name.
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
