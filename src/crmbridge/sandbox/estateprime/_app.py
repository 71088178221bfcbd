"""A local EstatePrime: every operation of ``adapters/estateprime/openapi.yaml`` as a Starlette app.

Behaviour (the vendor documents leave these open; the OpenAPI file states the same choices):

- auth: every route needs ``Authorization: Bearer <token>``, else 401;
- errors: ``{"status": <code>, "message": "..."}``; 400 for a body that is not JSON or list
  filters that do not validate, 422 for a create/PATCH body that does not validate (the message
  starts with the offending key), 404 for an unknown id, and for an id that is not an integer;
- lists: filters come as a JSON body on GET; pages of 50 in id order; ``total_pages`` is
  ``ceil(total / 50)`` (0 for no results); a page beyond the end has empty ``data``; date ranges
  are inclusive and a null bound is open;
- create: unknown keys are stored and returned as they are, ``id``/``date_created``/
  ``date_updated`` are the server's (now, naive, in the sandbox's ``timezone``), ``created_by``
  defaults to the API user (10); all-day dates ``YYYY-MM-DD`` are stored as ``YYYY-MM-DD 00:00:00``
  (the event object's bounds are date-times); references are not checked;
- event PATCH: only the keys sent change, ``null`` clears a list (``tags: null`` → ``[]``);
- state lives in a :class:`~crmbridge.sandbox.DocumentStore`, in memory or in a SQLite file
  (``db``) that survives restarts; a reopened file is not seeded again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crmbridge.sandbox import (
    DEFAULT_TOKEN,
    DocumentStore,
    FaultConfig,
    Sandbox,
    bearer_token_matches,
    read_json_body,
    wrap_with_faults,
)
from crmbridge.sandbox.estateprime._lookups import LOOKUPS
from crmbridge.sandbox.estateprime._records import (
    CALENDAR,
    KINDS,
    Kind,
    build_record,
    list_page,
    patch_record,
)
from crmbridge.sandbox.estateprime._seed import seed_store
from crmbridge.sandbox.estateprime._validate import Invalid, wire_datetime

__all__ = ["BASE_URL", "DEFAULT_TOKEN", "SYSTEM", "make_sandbox"]

SYSTEM: Final = "estateprime"
BASE_URL: Final = "http://estateprime.sandbox.invalid"
"""The sandbox's base URL; routes are under ``/api`` (``BASE_URL + "/api/contacts"``)."""

Endpoint = Callable[[Request], Any]


class _ApiError(Exception):
    """An error answer: status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"status": status, "message": message}, status_code=status)


async def _on_api_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, _ApiError)
    return _error(error.status, error.message)


async def _on_http_error(_: Request, error: Exception) -> Response:
    # Starlette's own 404/405 answers, in the sandbox's error body.
    assert isinstance(error, HTTPException)
    return _error(error.status_code, str(error.detail))


class _BearerAuth:
    """ASGI middleware: 401 unless the request carries the sandbox's bearer token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not bearer_token_matches(Request(scope), self.token):
            await _error(401, "Unauthenticated.")(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _body(request: Request) -> Any:
    try:
        return await read_json_body(request)
    except ValueError:
        raise _ApiError(400, "body: not valid JSON") from None


class _Api:
    """The route handlers over one store."""

    def __init__(self, store: DocumentStore, clock: Callable[[], str]) -> None:
        self.store = store
        self.clock = clock

    def _record(self, kind: Kind, request: Request) -> tuple[str, dict[str, Any]]:
        # Ids are stored under str(int), so a non-integer path (or "01") simply finds nothing.
        ident = request.path_params["id"]
        record = self.store.get(kind.collection, ident)
        if record is None:
            raise _ApiError(404, f"No {kind.noun} with this id.")
        return ident, record

    def lookup(self, items: list[dict[str, Any]]) -> Endpoint:
        async def endpoint(_: Request) -> JSONResponse:
            return JSONResponse({"status": 200, "data": items})

        return endpoint

    def list_records(self, kind: Kind) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            body = await _body(request)
            try:
                return JSONResponse(list_page(self.store, kind, body))
            except Invalid as error:
                raise _ApiError(400, str(error)) from None

        return endpoint

    def get_record(self, kind: Kind) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            return JSONResponse({"status": 200, "data": self._record(kind, request)[1]})

        return endpoint

    def create_record(self, kind: Kind) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            body = await _body(request)
            try:
                record = build_record(kind, body, 0, self.clock())
            except Invalid as error:
                raise _ApiError(422, str(error)) from None
            # The id is taken only once the body passed, so a refused body does not burn one.
            ident = self.store.next_int_id(kind.collection)
            record["id"] = ident
            self.store.put(kind.collection, str(ident), record)
            return JSONResponse({"status": 200, "created_id": ident})

        return endpoint

    def update_record(self, kind: Kind) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            ident, record = self._record(kind, request)
            body = await _body(request)
            try:
                updated = patch_record(kind, record, body)
            except Invalid as error:
                raise _ApiError(422, str(error)) from None
            self.store.put(kind.collection, ident, updated)
            return JSONResponse({"status": 200, "data": updated})

        return endpoint

    def delete_record(self, kind: Kind) -> Endpoint:
        async def endpoint(request: Request) -> JSONResponse:
            ident, _ = self._record(kind, request)
            self.store.delete(kind.collection, ident)
            return JSONResponse({"status": 200, "deleted_id": int(ident)})

        return endpoint

    def routes(self) -> list[BaseRoute]:
        """Lookup routes first: ``/api/contacts/tags`` must not be read as a contact id."""
        routes: list[BaseRoute] = [Route(path, self.lookup(items), methods=["GET"]) for path, items in LOOKUPS.items()]
        for kind in KINDS:
            base = f"/api/{kind.collection}"
            routes += [
                Route(base, self.list_records(kind), methods=["GET"]),
                Route(base, self.create_record(kind), methods=["POST"]),
                Route(base + "/{id}", self.get_record(kind), methods=["GET"]),
                Route(base + "/{id}", self.delete_record(kind), methods=["DELETE"]),
            ]
            if kind is CALENDAR:
                routes.append(Route(base + "/{id}", self.update_record(kind), methods=["PATCH"]))
        return routes


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {timezone!r}") from None


def make_sandbox(
    *,
    token: str = DEFAULT_TOKEN,
    seed_records: int = 0,
    seed: int = 0,
    db: str | Path | None = None,
    faults: FaultConfig | None = None,
    timezone: str = "UTC",
    now: Callable[[], datetime] | None = None,
) -> Sandbox:
    """An EstatePrime sandbox (see the module docstring for its behaviour).

    ``seed_records`` adds about that many contacts and communications and half as many events,
    the same for the same ``seed``; ``timezone`` (IANA) is the account's, used for the naive
    times the sandbox writes; ``now`` (an aware clock) is for tests.
    """
    zone = _zone(timezone)
    clock = now or (lambda: datetime.now(UTC))
    store = DocumentStore(db)
    seed_store(store, records=seed_records, seed=seed, zone=zone)
    api = _Api(store, lambda: wire_datetime(clock().astimezone(zone).replace(tzinfo=None)))
    app = Starlette(
        routes=api.routes(),
        exception_handlers={_ApiError: _on_api_error, HTTPException: _on_http_error},
    )
    wrapped, injector = wrap_with_faults(_BearerAuth(app, token), faults)
    return Sandbox(
        system=SYSTEM,
        app=wrapped,
        store=store,
        token=token,
        faults=injector,
        base_url=BASE_URL,
        # A client or connection built from client_options() then reads times in this zone.
        extra_client_options={"timezone": timezone},
    )
