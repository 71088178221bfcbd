"""The Activix sandbox: a local, offline emulation of the Activix CRM REST API v2.

Every operation of ``adapters/activix/openapi.yaml`` is served under ``/v2`` by a Starlette app,
with the documented envelopes, paging, filters, includes, errors and write-only fields. Build one
with :func:`make_sandbox`; point a client at ``sandbox.base_url`` with ``sandbox.transport()``::

    sandbox = make_sandbox(seed_records=100)
    with httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url) as http:
        http.get("leads", headers={"Authorization": f"Bearer {sandbox.token}"})
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from crmbridge.sandbox import DEFAULT_TOKEN, DocumentStore, FaultConfig, Sandbox, wrap_with_faults
from crmbridge.sandbox.activix._comms import CommunicationEndpoints
from crmbridge.sandbox.activix._http import guarded, http_exception_handler
from crmbridge.sandbox.activix._leads import LeadEndpoints
from crmbridge.sandbox.activix._seed import seed_state
from crmbridge.sandbox.activix._state import ActivixState

__all__ = ["BASE_URL", "SYSTEM", "build_app", "make_sandbox"]

SYSTEM = "activix"
BASE_URL = "http://activix.sandbox.invalid/v2"
"""Where clients point: paths are relative to ``/v2``, as on ``https://api.crm.activix.ca/v2``."""

Handler = Callable[[Request], Awaitable[Response]]


def _routes(state: ActivixState, token: str) -> list[Route]:
    leads, comms = LeadEndpoints(state), CommunicationEndpoints(state)

    def item(collection: str, create: bool) -> Handler:
        async def handle(request: Request) -> Response:
            if create:
                return await leads.create_item(request, collection)
            return await leads.update_item(request, collection)

        return handle

    table: list[tuple[str, str, Handler]] = [
        ("/leads", "GET", leads.list_leads),
        ("/leads", "POST", leads.create_lead),
        ("/leads/search", "GET", leads.search_leads),
        ("/leads/{id:int}", "GET", leads.get_lead),
        ("/leads/{id:int}", "PUT", leads.update_lead),
        ("/leads/{lead_id:int}/notes", "POST", leads.create_note),
        ("/leads/{lead_id:int}/notes/{note_id:int}", "PUT", leads.update_note),
        ("/lead-emails", "POST", item("emails", create=True)),
        ("/lead-emails/{id:int}", "PUT", item("emails", create=False)),
        ("/lead-phones", "POST", item("phones", create=True)),
        ("/lead-phones/{id:int}", "PUT", item("phones", create=False)),
        ("/lead-vehicles", "POST", item("vehicles", create=True)),
        ("/lead-vehicles/{id:int}", "PUT", item("vehicles", create=False)),
        ("/account", "GET", leads.get_account),
        ("/screenpop", "POST", comms.screenpop),
        ("/communications", "POST", comms.create_communication),
        ("/communications/{id:int}", "PUT", comms.update_communication),
        ("/communications/{id:int}/recording", "POST", comms.upload_recording),
        ("/call-logs", "POST", comms.create_call_log),
        ("/call-logs/{id:int}", "PUT", comms.update_call_log),
    ]
    return _merge(table, token)


def _merge(table: list[tuple[str, str, Handler]], token: str) -> list[Route]:
    """One Route per path, dispatching on the method, so a wrong method on a known path is a 405."""
    by_path: dict[str, dict[str, Handler]] = {}
    for path, method, handler in table:
        by_path.setdefault(path, {})[method] = handler

    def dispatch(handlers: dict[str, Handler]) -> Handler:
        async def handle(request: Request) -> Response:
            return await handlers[request.method](request)

        return handle

    return [
        Route(path, guarded(token, dispatch(handlers)), methods=list(handlers)) for path, handlers in by_path.items()
    ]


def build_app(state: ActivixState, token: str = DEFAULT_TOKEN) -> Starlette:
    """The Starlette app serving ``state`` under ``/v2`` (without faults)."""
    return Starlette(
        routes=[Mount("/v2", routes=_routes(state, token))],
        exception_handlers={HTTPException: http_exception_handler},
    )


def make_sandbox(
    *,
    token: str = DEFAULT_TOKEN,
    seed_records: int = 0,
    seed: int = 0,
    db: str | Path | None = None,
    faults: FaultConfig | None = None,
) -> Sandbox:
    """An Activix sandbox: about ``seed_records`` leads (deterministic by ``seed``), in memory or in ``db``.

    The account and its users always exist. A ``db`` file that already holds data is reused as it is.
    """
    if seed_records < 0:
        raise ValueError("seed_records must not be negative")
    store = DocumentStore(db)
    state = ActivixState(store)
    seed_state(state, seed_records, seed)
    app, injector = wrap_with_faults(build_app(state, token), faults)
    return Sandbox(system=SYSTEM, app=app, store=store, token=token, faults=injector, base_url=BASE_URL)
