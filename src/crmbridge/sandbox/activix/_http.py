"""HTTP plumbing of the Activix sandbox: error bodies, JSON answers, auth and body reading."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmbridge.sandbox import bearer_token_matches

__all__ = [
    "ApiError",
    "Endpoint",
    "Invalid",
    "guarded",
    "http_exception_handler",
    "json_answer",
    "not_found",
    "read_object",
]

Endpoint = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """An error answer: ``status`` and ``{"message": ...}`` (plus ``errors`` for a 422)."""

    def __init__(self, status: int, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Activix sends for this error."""
        if self.errors is None:
            return {"message": self.message}
        return {"message": self.message, "errors": self.errors}


class Invalid(ApiError):
    """A 422 in Laravel's shape: ``{"message": "The given data was invalid.", "errors": {field: [msg]}}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(422, "The given data was invalid.", errors)


def not_found(model: str) -> ApiError:
    """The 404 of an unknown id, worded as Laravel's ``ModelNotFoundException``."""
    return ApiError(404, f"No query results for model {model}.")


def json_answer(body: Any, status: int = 200) -> JSONResponse:
    """A JSON response."""
    return JSONResponse(body, status_code=status)


def guarded(token: str, endpoint: Endpoint) -> Endpoint:
    """``endpoint`` behind the bearer-token check, turning :class:`ApiError` into its JSON answer."""

    async def run(request: Request) -> Response:
        if not bearer_token_matches(request, token):
            return json_answer({"message": "Unauthenticated."}, 401)
        try:
            return await endpoint(request)
        except ApiError as error:
            return json_answer(error.body(), error.status)

    return run


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Routing errors (unknown path 404, wrong method 405) with Activix's JSON bodies."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    messages = {404: "Not found.", 405: "Method not allowed."}
    headers = exc.headers if isinstance(exc, HTTPException) else None
    return JSONResponse({"message": messages.get(status, "Server error.")}, status_code=status, headers=headers)


async def read_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body; a 400 when it is not JSON, or not an object."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else None
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return body
