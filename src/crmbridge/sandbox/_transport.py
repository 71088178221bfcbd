"""An httpx transport that talks to a sandbox app in-process, for sync and async clients alike."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from crmbridge.sandbox._faults import DroppedConnection, SimulatedTimeout

__all__ = ["SandboxTransport"]

T = TypeVar("T")


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serve httpx requests from an ASGI app without sockets.

    ``httpx.ASGITransport`` only serves async clients; the sync side here runs the same app on
    an event loop in a background thread. Faults the sandbox injects come out as the httpx
    errors a real network produces: a dropped connection as ``httpx.RemoteProtocolError``, a
    timeout as ``httpx.ReadTimeout``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._asgi = httpx.ASGITransport(app=app)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._asgi.handle_async_request(request)
            # Read the body inside the app's lifetime so faults raised while streaming surface here.
            await response.aread()
        except DroppedConnection as error:
            raise httpx.RemoteProtocolError(str(error), request=request) from None
        except SimulatedTimeout as error:
            raise httpx.ReadTimeout(str(error), request=request) from None
        return httpx.Response(response.status_code, headers=response.headers, content=response.content, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response = self._run(self.handle_async_request(async_request))
        return httpx.Response(response.status_code, headers=response.headers, content=response.content, request=request)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        loop = self._ensure_loop()
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="crmbridge-sandbox", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def close(self) -> None:
        with self._start_lock:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
                if self._thread is not None:
                    self._thread.join(timeout=5)
                self._loop.close()
                self._loop, self._thread = None, None

    async def aclose(self) -> None:
        await self._asgi.aclose()
