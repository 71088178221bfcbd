"""The one registry of CRMs: a :class:`System` descriptor per CRM, found by name.

Every place that turns a system's name into code asks this module: :func:`get_adapter`,
:func:`connect` / :func:`connect_async`, :func:`crmbridge.sandbox.make_sandbox` and the CLI.
A descriptor names its factories either as callables or as ``"module:attribute"`` strings,
imported only when first used; so listing the systems imports no adapter, and this module
imports nothing of crmbridge but its errors (the sandboxes may use it without importing an adapter).

Three ways a system gets here:

- the built-in CRMs, declared in :data:`BUILTIN_SYSTEMS`;
- :func:`register_system` (or the older :func:`register_adapter`, which registers an
  adapter-only system) at run time;
- a Python entry point in the group ``crmbridge.systems`` (:data:`ENTRY_POINT_GROUP`) whose name
  is the system's and whose object is a :class:`System` (or a callable returning one)::

      [project.entry-points."crmbridge.systems"]
      acme = "acme_crm.crmbridge:SYSTEM"

Registered systems win over entry points, and entry points over the built-ins of the same name.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal

from crmbridge.errors import CapabilityMissing, UnknownSystem

__all__ = [
    "BUILTIN_SYSTEMS",
    "ENTRY_POINT_GROUP",
    "Factory",
    "System",
    "SystemCapability",
    "available_systems",
    "get_system",
    "register_system",
    "unregister_system",
]

ENTRY_POINT_GROUP = "crmbridge.systems"
"""The entry point group third-party CRMs register under."""

Factory = Callable[..., Any]
SystemCapability = Literal["adapter", "backend", "async_backend", "sandbox"]


@dataclass(frozen=True)
class System:
    """What crmbridge needs to know about one CRM.

    ``adapter(**options)`` builds its :class:`~crmbridge.adapters.Adapter`; ``backend(**options)``
    and ``async_backend(**options)`` the backends of :func:`~crmbridge.connect` and
    :func:`~crmbridge.connect_async`; ``sandbox(**options)`` its local emulator. Each is a callable
    or a ``"module:attribute"`` string imported on first use; all but ``adapter`` are optional.
    """

    name: str
    adapter: Factory | str
    backend: Factory | str | None = None
    async_backend: Factory | str | None = None
    sandbox: Factory | str | None = None
    description: str = ""

    def factory(self, capability: SystemCapability) -> Factory:
        """The factory of ``capability``, imported if named by a string.

        Raises :class:`CapabilityMissing` (a ValueError) naming the system when it has none.
        """
        target = getattr(self, capability)
        if target is None:
            raise CapabilityMissing(self.name, capability)
        if callable(target):
            direct: Factory = target
            return direct
        module_name, _, attribute = target.partition(":")
        loaded: Factory = getattr(importlib.import_module(module_name), attribute)
        return loaded

    def has(self, capability: SystemCapability) -> bool:
        """Whether this system provides ``capability``."""
        return getattr(self, capability) is not None


def _builtin(name: str, description: str) -> System:
    return System(
        name=name,
        adapter=f"crmbridge.adapters.{name}:make_adapter",
        backend=f"crmbridge.adapters.{name}.connection:make_backend",
        async_backend=f"crmbridge.adapters.{name}.connection:make_async_backend",
        sandbox=f"crmbridge.sandbox.{name}:make_sandbox",
        description=description,
    )


BUILTIN_SYSTEMS: dict[str, System] = {
    system.name: system
    for system in (
        _builtin("activix", "Activix CRM (API v2): leads and their communications"),
        _builtin("estateprime", "EstatePrime: contacts, communications, calendar events"),
        _builtin("rechat", "Rechat: CRM tasks and contacts, brand-scoped"),
    )
}
"""The CRMs that ship with crmbridge."""

_registered: dict[str, System] = {}
_loaded_entry_points: dict[str, System] = {}


def _entry_points() -> dict[str, EntryPoint]:
    return {entry.name: entry for entry in entry_points(group=ENTRY_POINT_GROUP)}


class _Installed:
    """The installed entry points, read once and read again on demand.

    Reading the installed packages' metadata takes milliseconds and every ``connect()`` and
    ``get_adapter()`` asks, so it is read once; a name it does not know reads it again, so a
    plugin installed while the process runs (a notebook, a long-lived worker) still shows up.
    """

    def __init__(self) -> None:
        self.found: dict[str, EntryPoint] | None = None

    def __call__(self, *, refresh: bool = False) -> dict[str, EntryPoint]:
        if refresh or self.found is None:
            self.found = _entry_points()
        return self.found


_installed = _Installed()


def _load_entry_point(entry: EntryPoint) -> System:
    cached = _loaded_entry_points.get(entry.name)
    if cached is not None:
        return cached
    loaded = entry.load()
    system = loaded() if callable(loaded) and not isinstance(loaded, System) else loaded
    if not isinstance(system, System):
        raise TypeError(
            f"entry point {entry.name!r} of {ENTRY_POINT_GROUP!r} ({entry.value}) must be a "
            f"crmbridge System or a callable returning one, not {type(system).__name__}"
        )
    if system.name != entry.name:
        system = replace(system, name=entry.name)
    _loaded_entry_points[entry.name] = system
    return system


def available_systems() -> list[str]:
    """Every system name that :func:`get_system` accepts, sorted."""
    return _known(refresh=True)


def _known(*, refresh: bool) -> list[str]:
    return sorted({*BUILTIN_SYSTEMS, *_installed(refresh=refresh), *_registered})


def get_system(name: str) -> System:
    """The descriptor of ``name``; :class:`UnknownSystem` (a ValueError) when there is none."""
    registered = _registered.get(name)
    if registered is not None:
        return registered
    for refresh in (False, True):
        entry = _installed(refresh=refresh).get(name)
        if entry is not None:
            return _load_entry_point(entry)
        builtin = BUILTIN_SYSTEMS.get(name)
        if builtin is not None:
            return builtin
    raise UnknownSystem(name, _known(refresh=False))  # the metadata was just read again


def register_system(system: System) -> None:
    """Make ``system`` known by its name (replacing any system of that name) for this process."""
    _registered[system.name] = system


def unregister_system(name: str) -> None:
    """Forget a system :func:`register_system` added (built-ins and entry points stay)."""
    _registered.pop(name, None)
