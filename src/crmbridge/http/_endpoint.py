"""Endpoints as data: what to send and how to read the answer, shared by sync and async clients.

A CRM client describes each endpoint once, in a module-level function returning an
:class:`Endpoint` (or a :class:`PagedSpec` for a list); :class:`SyncAPIClient.call` and
:class:`AsyncAPIClient.call` send it. So the sync and async twins hold no logic of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:  # _paging builds on RequestSpec and PagedSpec, so it is imported for types only
    from crmbridge.http._paging import Page

__all__ = ["NOT_GIVEN", "Endpoint", "PagedSpec", "RequestSpec"]

R = TypeVar("R")
T = TypeVar("T")


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()
"""Marks a JSON body that is absent (as opposed to a body that is ``null``)."""


@dataclass(frozen=True)
class RequestSpec:
    """One request: method, path (relative to the base URL), query pairs, JSON or multipart body.

    ``idempotent=None`` lets the HTTP core decide by method (GET/PUT/DELETE may be resent).
    """

    method: str
    path: str
    params: tuple[tuple[str, Any], ...] = ()
    body: Any = NOT_GIVEN
    files: Any = None
    idempotent: bool | None = None

    def request_args(self) -> dict[str, Any]:
        """The keyword arguments of ``APIClient.request`` for this spec."""
        return {
            "params": list(self.params) or None,
            "json": self.body,
            "files": self.files,
            "idempotent": self.idempotent,
        }


@dataclass(frozen=True)
class Endpoint(Generic[R]):
    """A request and the reader of its JSON answer (``None`` for an empty answer)."""

    spec: RequestSpec
    read: Callable[[Any], R]


@dataclass(frozen=True)
class PagedSpec(Generic[T]):
    """A list endpoint: ``build(cursor)`` makes one page's request, ``read(answer, cursor)`` its page.

    The cursor is whatever the CRM pages by (a page number, an offset); ``first`` is the first one.
    """

    build: Callable[[Any], RequestSpec]
    read: Callable[[Any, Any], Page[T]]
    first: Any
