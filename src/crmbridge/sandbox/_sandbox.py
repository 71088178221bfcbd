"""What every CRM sandbox is: an ASGI app over a document store, behind fault injection."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from starlette.requests import Request
from starlette.types import ASGIApp

from crmbridge._systems import get_system
from crmbridge.errors import CapabilityMissing, UnknownSystem
from crmbridge.sandbox._faults import FaultConfig, FaultInjector
from crmbridge.sandbox._store import DocumentStore
from crmbridge.sandbox._transport import SandboxTransport

__all__ = [
    "DEFAULT_TOKEN",
    "Sandbox",
    "SandboxFactory",
    "bearer_token_matches",
    "make_sandbox",
    "read_json_body",
    "wrap_with_faults",
]

DEFAULT_TOKEN = "sandbox-token"
"""The token every sandbox accepts unless given another one."""


@dataclass
class Sandbox:
    """A running sandbox: its app (faults included), state, token and the knobs it was built with.

    ``transport()`` gives an httpx transport for sync and async clients, without sockets;
    ``client_options()`` the keyword arguments a crmbridge client of this CRM needs to use it.
    """

    system: str
    app: ASGIApp
    store: DocumentStore
    token: str = DEFAULT_TOKEN
    faults: FaultInjector | None = None
    base_url: str = ""
    extra_client_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.base_url:
            self.base_url = f"http://{self.system}.sandbox.invalid"

    def transport(self) -> SandboxTransport:
        """An in-process transport to this sandbox (sync and async)."""
        return SandboxTransport(self.app)

    def client_options(self) -> dict[str, Any]:
        """``base_url``, ``token`` and ``transport`` for a client of this sandbox."""
        return {
            "base_url": self.base_url,
            "token": self.token,
            "transport": self.transport(),
            **self.extra_client_options,
        }


class SandboxFactory(Protocol):
    """The ``make_sandbox`` every ``crmbridge.sandbox.<system>`` package defines."""

    def __call__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        seed_records: int = 0,
        seed: int = 0,
        db: str | Path | None = None,
        faults: FaultConfig | None = None,
    ) -> Sandbox: ...


def make_sandbox(system: str, **options: Any) -> Sandbox:
    """The sandbox of ``system``: the ``sandbox`` factory of its :class:`crmbridge.System`.

    The built-in CRMs' are ``crmbridge.sandbox.<system>.make_sandbox``. A system with no sandbox,
    or no system of that name, raises :class:`~crmbridge.errors.CapabilityMissing` (a ValueError).
    """
    try:
        factory: SandboxFactory = get_system(system).factory("sandbox")
    except UnknownSystem:
        raise CapabilityMissing(system, "sandbox") from None
    return factory(**options)


def bearer_token_matches(request: Request, token: str) -> bool:
    """True when the request carries ``Authorization: Bearer <token>`` (compared in constant time)."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


async def read_json_body(request: Request) -> Any:
    """The request's JSON body (EstatePrime sends one even on GET); None when empty.

    Raises ``ValueError`` when the body is not JSON.
    """
    raw = await request.body()
    if not raw.strip():
        return None
    return json.loads(raw)


def wrap_with_faults(app: ASGIApp, faults: FaultConfig | None) -> tuple[ASGIApp, FaultInjector | None]:
    """``app`` behind a :class:`FaultInjector` when ``faults`` is given."""
    if faults is None:
        return app, None
    injector = FaultInjector(app, faults)
    return injector, injector
