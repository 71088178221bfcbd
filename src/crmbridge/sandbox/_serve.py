"""Serving a sandbox over loopback with uvicorn: in the foreground, or in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from crmbridge.sandbox._sandbox import Sandbox

__all__ = ["LOOPBACK_HOSTS", "serve", "serve_in_thread"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _check_loopback(host: str) -> None:
    if host not in LOOPBACK_HOSTS:
        raise ValueError("sandboxes serve on loopback only (127.0.0.1, localhost or ::1)")


def serve(sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``sandbox`` until interrupted. Only loopback hosts are accepted."""
    _check_loopback(host)
    uvicorn.run(sandbox.app, host=host, port=port, log_level="warning")


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(
    sandbox: Sandbox, *, host: str = "127.0.0.1", port: int = 0, startup_s: float = 10.0
) -> Iterator[str]:
    """Serve ``sandbox`` on loopback in a background thread; yields its base URL (``http://host:port``).

    The server stops when the block ends. ``port=0`` picks a free port.
    """
    _check_loopback(host)
    config = uvicorn.Config(sandbox.app, host=host, port=port or _free_port(host), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="crmbridge-sandbox-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the {sandbox.system} sandbox did not start on {host}:{config.port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_s)
