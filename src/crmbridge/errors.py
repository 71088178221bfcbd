"""Every error crmbridge raises on purpose.

The whole tree::

    CrmBridgeError                      base of everything below
    ├── MappingError (ValueError)       a payload or record cannot be translated;
    │   │                               .system, .kind, .path name where
    │   └── UnresolvedReference         a Ref of another system had no counterpart
    └── UnsupportedKind (ValueError)    an adapter was asked for a kind it does not have

Messages name the field and what was expected, and never quote the offending value: payloads
carry people's personal data (and, for Activix, email bodies), which must not reach logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmbridge.canonical import Ref

__all__ = ["CrmBridgeError", "MappingError", "UnresolvedReference", "UnsupportedKind"]


class CrmBridgeError(Exception):
    """Base class of all crmbridge errors."""


class MappingError(CrmBridgeError, ValueError):
    """A payload (or canonical record) cannot be translated.

    ``system`` is the CRM ("estateprime"), ``kind`` the canonical kind ("contact"), ``path`` the
    field path inside the payload or record (``"phones[1].number"``; ``""`` for the whole object).
    """

    def __init__(self, system: str, kind: str, path: str, message: str) -> None:
        self.system = system
        self.kind = kind
        self.path = path
        self.message = message
        where = f"{system} {kind}"
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")

    def __reduce__(self) -> tuple[type[MappingError], tuple[str, str, str, str]]:
        return (type(self), (self.system, self.kind, self.path, self.message))


class UnresolvedReference(MappingError):
    """A reference to another system's record could not be translated to the target system."""

    def __init__(self, system: str, kind: str, path: str, ref: Ref) -> None:
        self.ref = ref
        super().__init__(
            system, kind, path, f"reference {ref} has no counterpart in {system} (no resolver, or it returned None)"
        )

    def __reduce__(self) -> tuple[type[UnresolvedReference], tuple[str, str, str, Ref]]:  # type: ignore[override]
        return (type(self), (self.system, self.kind, self.path, self.ref))


class UnsupportedKind(CrmBridgeError, ValueError):
    """An adapter was asked to translate a canonical kind it does not support."""

    def __init__(self, system: str, kind: str, supported: frozenset[str]) -> None:
        self.system = system
        self.kind = kind
        self.supported = supported
        super().__init__(f"{system} does not support kind {kind!r}; it supports: {', '.join(sorted(supported))}")
