"""Finding adapters by system name, through the one registry of :mod:`crmbridge._systems`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from crmbridge._systems import BUILTIN_SYSTEMS, System, get_system, register_system
from crmbridge._systems import available_systems as available_systems
from crmbridge.adapters._base import Adapter

__all__ = ["available_systems", "get_adapter", "register_adapter"]

AdapterFactory = Callable[..., Adapter]


def register_adapter(system: str, factory: AdapterFactory) -> None:
    """Make ``get_adapter(system, **options)`` call ``factory(**options)``.

    The adapter-only shorthand of :func:`crmbridge.register_system`: a new name becomes a system
    with an adapter and nothing else (``connect()`` then says it has no connection support); a
    built-in name keeps its connection backends and sandbox and only swaps its adapter.
    """
    builtin = BUILTIN_SYSTEMS.get(system)
    register_system(replace(builtin, adapter=factory) if builtin else System(name=system, adapter=factory))


def get_adapter(system: str, **options: Any) -> Adapter:
    """The adapter of ``system``, configured with ``options`` (e.g. ``timezone="Europe/Athens"``)."""
    adapter: Adapter = get_system(system).factory("adapter")(**options)
    return adapter
