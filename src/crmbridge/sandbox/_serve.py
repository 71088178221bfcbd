"""Serving a sandbox over loopback with uvicorn (``crmbridge sandbox serve``)."""

from __future__ import annotations

import uvicorn

from crmbridge.sandbox._sandbox import Sandbox

__all__ = ["serve"]


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``sandbox`` until interrupted. Only loopback hosts are accepted."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("sandboxes serve on loopback only (127.0.0.1, localhost or ::1)")
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning")
