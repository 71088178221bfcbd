"""A local Rechat: tasks and contacts over a document store, brand-scoped, behind fault injection.

``make_sandbox()`` builds it; ``adapters/rechat/openapi.yaml`` is the contract it keeps. Every
request needs a bearer token that names a user, and runs in one brand (``X-RECHAT-BRAND``, or
the user's default brand); records of other brands are "not found".

The default users (tokens derived from ``token``): ``<token>`` and ``<token>-colleague`` in
brand A, ``<token>-other`` in brand B, ``<token>-manager`` in both (default B).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmbridge.sandbox import DEFAULT_TOKEN, DocumentStore, FaultConfig, Sandbox, read_json_body, wrap_with_faults
from crmbridge.sandbox.rechat import _contact_extras as extras
from crmbridge.sandbox.rechat import _contacts as contacts
from crmbridge.sandbox.rechat import _imports as imports
from crmbridge.sandbox.rechat import _tasks as tasks
from crmbridge.sandbox.rechat._http import (
    Call,
    RechatError,
    Upload,
    bad_request,
    forbidden,
    is_uuid,
    validation,
)
from crmbridge.sandbox.rechat._seed import seed_state
from crmbridge.sandbox.rechat._state import SandboxState
from crmbridge.sandbox.rechat._users import RechatSandboxUser, check_users, default_users

__all__ = [
    "BASE_URL",
    "DEFAULT_TOKEN",
    "UNIMPLEMENTED",
    "RechatSandbox",
    "RechatSandboxUser",
    "build_app",
    "make_sandbox",
]

BASE_URL = "http://rechat.sandbox.invalid"

_log = logging.getLogger(__name__)

Handler = Callable[[SandboxState, Call], Response]


@dataclass
class RechatSandbox(Sandbox):
    """A Rechat sandbox, with its users (tokens and brands) for tests that need more than one.

    ``extra_tokens`` maps every other user's token to their default brand ("" for none).
    """

    users: tuple[RechatSandboxUser, ...] = ()
    state: SandboxState | None = None
    extra_tokens: dict[str, str] = field(default_factory=dict)

    def user(self, token: str) -> RechatSandboxUser:
        """The user a token belongs to."""
        return next(u for u in self.users if u.token == token)

    @property
    def brand(self) -> str:
        """The main user's default brand."""
        return self.user(self.token).brands[0]


def _unauthorized() -> RechatError:
    return RechatError(401, "UnauthorizedAccess", "Unauthorized access")


def _caller(state: SandboxState, request: Request) -> RechatSandboxUser:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = state.by_token.get(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise _unauthorized()
    return user


def _brand(user: RechatSandboxUser, request: Request) -> str:
    header = request.headers.get("x-rechat-brand")
    if header is None:
        if not user.brands:
            raise bad_request("Brand is not specified.")
        return user.brands[0]
    if not is_uuid(header.strip()):
        raise validation("X-RECHAT-BRAND must be a valid UUID")
    brand = header.strip().lower()
    if brand not in user.brands:
        raise forbidden("You are not a member of this brand")
    return brand


def _expansions(request: Request) -> frozenset[str]:
    # Rechat reads associations[]=a&associations[]=b; a bare associations=a,b is the one name "a,b".
    query = request.query_params
    return frozenset([*query.getlist("associations[]"), *query.getlist("associations")])


async def _multipart(request: Request) -> tuple[dict[str, str], tuple[Upload, ...]]:
    """The text fields and the file parts of a ``multipart/form-data`` body."""
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    try:
        form = await request.form()
    except Exception:  # starlette raises HTTPException or MultiPartException for a broken body
        raise validation("The multipart body could not be read") from None
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                content_type = value.content_type or "application/octet-stream"
                uploads.append(Upload(name, value.filename or "", content_type, await value.read()))
            else:
                fields[name] = value
    finally:
        await form.close()
    return fields, tuple(uploads)


# Rechat runs its brand check before the token check on these routes: a refused (expired, wrong)
# token fails inside the brand check and answers 500 instead of 401.
_BRAND_CHECKED_FIRST = frozenset({("/crm/tasks", "GET")})


def _endpoint(
    state: SandboxState, handler: Handler, *, brand_first: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            try:
                user = _caller(state, request)
            except RechatError:
                if brand_first:
                    return JSONResponse({"message": "Internal Error"}, status_code=500)
                raise
            brand = _brand(user, request)
            body: Any
            uploads: tuple[Upload, ...] = ()
            if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
                body, uploads = await _multipart(request)
            else:
                try:
                    body = await read_json_body(request)
                except ValueError:
                    raise validation("The body is not valid JSON") from None
            path_params = dict(request.path_params)
            call = Call(user.id, brand, request.query_params, path_params, body, _expansions(request), uploads)
            return handler(state, call)
        except RechatError as error:
            return error.response()
        except Exception:  # the real server hides every crash behind the same generic body
            _log.exception("rechat sandbox: %s %s failed", request.method, request.url.path)
            return JSONResponse({"message": "Internal Error"}, status_code=500)

    return endpoint


_ROUTES: Sequence[tuple[str, str, Handler]] = (
    ("/crm/tasks", "GET", tasks.list_tasks),
    ("/crm/tasks", "POST", tasks.create_task),
    ("/crm/tasks/search", "GET", tasks.list_tasks),
    ("/crm/tasks/{id}", "GET", tasks.get_task),
    ("/crm/tasks/{id}", "PUT", tasks.update_task),
    ("/crm/tasks/{id}", "DELETE", tasks.delete_task),
    ("/crm/tasks/{id}/status", "PATCH", tasks.patch_status),
    ("/crm/tasks/{id}/clone", "POST", tasks.clone_task),
    ("/crm/tasks/{id}/associations/bulk", "POST", tasks.add_associations),
    ("/crm/tasks/{id}/associations", "GET", tasks.list_associations),
    ("/crm/tasks/{id}/associations", "POST", tasks.add_association),
    ("/crm/tasks/{id}/associations", "DELETE", tasks.delete_associations),
    ("/crm/tasks/{id}/associations/{association}", "DELETE", tasks.delete_association),
    # Literal /contacts/... paths come before /contacts/{id} so they are not read as ids.
    ("/contacts", "GET", contacts.list_contacts),
    ("/contacts", "POST", contacts.create_contacts),
    ("/contacts", "PATCH", contacts.bulk_update_contacts),
    ("/contacts", "DELETE", contacts.bulk_delete_contacts),
    ("/contacts/filter", "POST", contacts.list_contacts),
    ("/contacts/undelete", "POST", contacts.undelete_contacts),
    ("/contacts/attributes", "POST", contacts.bulk_add_attributes),
    ("/contacts/attributes", "DELETE", contacts.bulk_delete_attributes),
    ("/contacts/attribute_defs", "GET", extras.list_attribute_defs),
    ("/contacts/attribute_defs", "POST", extras.create_attribute_def),
    ("/contacts/attribute_defs/{id}", "GET", extras.get_attribute_def),
    ("/contacts/attribute_defs/{id}", "PUT", extras.update_attribute_def),
    ("/contacts/attribute_defs/{id}", "DELETE", extras.delete_attribute_def),
    ("/contacts/tags", "GET", extras.list_tags),
    ("/contacts/tags", "POST", extras.create_tag),
    ("/contacts/tags/{tag}", "PATCH", extras.rename_tag),
    ("/contacts/tags/{tag}", "DELETE", extras.delete_tag),
    ("/contacts/tags/{tag}/touch", "PATCH", extras.set_tag_touch),
    ("/contacts/duplicates", "GET", extras.duplicate_clusters),
    ("/contacts/merge", "POST", extras.merge_clusters),
    ("/contacts/import.json", "POST", extras.import_json),
    ("/contacts/import.csv", "POST", imports.import_csv),
    ("/contacts/import.xls", "POST", imports.import_xls),
    ("/contacts/import.xlsx", "POST", imports.import_xlsx),
    ("/contacts/upload", "POST", imports.upload_file),
    ("/contacts/jobs/{job_id}", "GET", extras.get_job),
    ("/contacts/{id}", "GET", contacts.get_contact),
    ("/contacts/{id}", "PATCH", contacts.update_contact),
    ("/contacts/{id}", "DELETE", contacts.delete_contact),
    ("/contacts/{id}/owner", "PUT", contacts.set_owner),
    ("/contacts/{id}/touch", "PATCH", contacts.set_touch),
    ("/contacts/{id}/assignees", "PUT", contacts.set_assignees),
    ("/contacts/{id}/attributes", "POST", contacts.add_attributes),
    ("/contacts/{id}/attributes/{attribute_id}", "PUT", contacts.update_attribute),
    ("/contacts/{id}/attributes/{attribute_id}", "DELETE", contacts.delete_attribute),
    ("/contacts/{id}/duplicates", "GET", extras.contact_duplicates),
    ("/contacts/{id}/merge", "POST", extras.merge_into),
)
"""Every route the sandbox serves; ``UNIMPLEMENTED`` lists the documented ones it does not."""

UNIMPLEMENTED: tuple[tuple[str, str], ...] = ()
"""Documented routes the sandbox does not serve (none now: the file uploads are served too)."""


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = {404: "ResourceNotFound", 405: "MethodNotAllowed"}.get(status, "BadRequest")
    return JSONResponse({"http": status, "code": code, "message": str(getattr(exc, "detail", code))}, status)


def build_app(state: SandboxState) -> Starlette:
    """The Starlette app serving ``state`` (no faults)."""
    routes = [
        Route(path, _endpoint(state, handler, brand_first=(path, method) in _BRAND_CHECKED_FIRST), methods=[method])
        for path, method, handler in _ROUTES
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


def make_sandbox(
    *,
    token: str = DEFAULT_TOKEN,
    seed_records: int = 0,
    seed: int = 0,
    db: str | Path | None = None,
    faults: FaultConfig | None = None,
    brand: str | None = None,
    users: Sequence[RechatSandboxUser] | None = None,
) -> RechatSandbox:
    """A Rechat sandbox.

    - ``seed_records``: about that many contacts and tasks (every tenth in the second brand);
    - ``seed``: the same seed gives the same users, brands, ids and records;
    - ``db``: a SQLite file that keeps the state across restarts (seeded only when empty);
    - ``brand``: the main user's brand UUID (else derived from the seed);
    - ``users``: replaces the default users; ``token`` must be one of theirs.
    """
    if brand is not None and not is_uuid(brand):
        raise ValueError("brand must be a UUID")
    people = check_users(users, token) if users is not None else default_users(token, seed, brand and brand.lower())
    brands = tuple(dict.fromkeys(b for u in people for b in u.brands))
    store = DocumentStore(db)
    state = SandboxState(store, people)
    seed_state(state, people, brands, seed_records, seed)
    app, injector = wrap_with_faults(build_app(state), faults)
    main = next(u for u in people if u.token == token)
    options = {"brand": main.brands[0]} if main.brands else {}
    return RechatSandbox(
        system="rechat",
        app=app,
        store=store,
        token=token,
        faults=injector,
        base_url=BASE_URL,
        extra_client_options=options,
        users=people,
        state=state,
        extra_tokens={u.token: (u.brands[0] if u.brands else "") for u in people if u.token != token},
    )
