"""Finding adapters: every sub-package of ``crmbridge.adapters`` with a ``make_adapter``."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from crmbridge.adapters._base import Adapter

__all__ = ["available_systems", "get_adapter", "register_adapter"]

AdapterFactory = Callable[..., Adapter]
_registered: dict[str, AdapterFactory] = {}


def _builtin_systems() -> list[str]:
    # Imported lazily: the registry must not import every adapter to list them.
    import crmbridge.adapters as package

    return [m.name for m in pkgutil.iter_modules(package.__path__) if m.ispkg and not m.name.startswith("_")]


def available_systems() -> list[str]:
    """The names ``get_adapter`` accepts: the built-in folders plus registered factories."""
    return sorted({*_builtin_systems(), *_registered})


def register_adapter(system: str, factory: AdapterFactory) -> None:
    """Make ``get_adapter(system, **options)`` call ``factory(**options)``."""
    _registered[system] = factory


def get_adapter(system: str, **options: Any) -> Adapter:
    """The adapter of ``system``, configured with ``options`` (e.g. ``timezone="Europe/Athens"``)."""
    factory = _registered.get(system)
    if factory is None and system in _builtin_systems():
        module = importlib.import_module(f"crmbridge.adapters.{system}")
        factory = module.make_adapter
    if factory is None:
        raise ValueError(f"unknown system {system!r}; known systems: {', '.join(available_systems()) or 'none'}")
    return factory(**options)
