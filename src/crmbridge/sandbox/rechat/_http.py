"""The Rechat sandbox's HTTP vocabulary: errors, envelopes, query parsing, paging and sorting."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

__all__ = [
    "Call",
    "RechatError",
    "Upload",
    "bad_request",
    "forbidden",
    "is_uuid",
    "no_content",
    "not_found",
    "now",
    "ok",
    "ok_page",
    "order_and_page",
    "query_bool",
    "query_int",
    "query_list",
    "query_number",
    "query_uuid",
    "require_uuid",
    "validation",
]

Document = dict[str, Any]


class RechatError(Exception):
    """An error answered as Rechat does: ``{http, code, message}`` with the HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> JSONResponse:
        """The error as Rechat's JSON body."""
        body = {"http": self.status, "code": self.code, "message": self.message}
        return JSONResponse(body, status_code=self.status)


def validation(message: str) -> RechatError:
    """400 ``Validation``: Rechat's answer to bad input (never 422)."""
    return RechatError(400, "Validation", message)


def bad_request(message: str) -> RechatError:
    """400 ``BadRequest``: a missing brand, a deprecated body option, a missing date range."""
    return RechatError(400, "BadRequest", message)


def not_found(what: str) -> RechatError:
    """404 ``ResourceNotFound``: also what another brand's records look like."""
    return RechatError(404, "ResourceNotFound", f"{what} not found")


def forbidden(message: str) -> RechatError:
    """403 ``AccessForbidden``."""
    return RechatError(403, "AccessForbidden", message)


@dataclass(frozen=True)
class Upload:
    """One file part of a ``multipart/form-data`` body."""

    field: str
    filename: str
    content_type: str
    content: bytes


@dataclass
class Call:
    """One authenticated request: who asks, in which brand, with what.

    A ``multipart/form-data`` request has its text fields in ``body`` (a dict) and its file
    parts in ``uploads``, in the order sent.
    """

    user_id: str
    brand: str
    query: QueryParams
    path: dict[str, str]
    body: Any
    expand: frozenset[str] = field(default_factory=frozenset)
    uploads: tuple[Upload, ...] = ()

    def body_object(self) -> dict[str, Any]:
        """The JSON body, which must be an object (an empty body counts as ``{}``)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise validation("The body must be a JSON object")
        return self.body


def now() -> float:
    """The current instant as Rechat writes it: epoch seconds with microseconds."""
    return round(time.time(), 6)


def ok(data: Any) -> JSONResponse:
    """``{code: "OK", data}``."""
    return JSONResponse({"code": "OK", "data": data})


def ok_page(data: list[Any], total: int) -> JSONResponse:
    """``{code: "OK", data, info: {count, total}}``."""
    return JSONResponse({"code": "OK", "data": data, "info": {"count": len(data), "total": total}})


def no_content() -> Response:
    """204 with an empty body."""
    return Response(status_code=204)


def is_uuid(value: Any) -> bool:
    """True when ``value`` is a UUID string in canonical 8-4-4-4-12 form."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def require_uuid(value: Any, what: str) -> str:
    """``value`` lowercased when it is a UUID, else 400 ``Validation``."""
    if not is_uuid(value):
        raise validation(f"{what} must be a valid UUID")
    return str(value).lower()


def query_list(query: QueryParams, name: str) -> list[str]:
    """Values of ``name[]`` (repeated) and of ``name`` (repeated or comma-separated), in order."""
    values = list(query.getlist(f"{name}[]"))
    for raw in query.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def query_int(query: QueryParams, name: str, default: int, minimum: int = 0) -> int:
    """An integer parameter (400 when it is not one, or below ``minimum``)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise validation(f"{name} must be an integer") from None
    if value < minimum:
        raise validation(f"{name} must be at least {minimum}")
    return value


def query_number(query: QueryParams, name: str) -> float | None:
    """A numeric parameter, or None when absent (400 when it is not a number)."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except ValueError:
        raise validation(f"{name} must be a number") from None


def query_uuid(query: QueryParams, name: str) -> str | None:
    """A UUID parameter, or None when absent (400 when malformed)."""
    raw = query.get(name)
    return None if raw is None or raw == "" else require_uuid(raw, name)


def query_bool(query: QueryParams, name: str) -> bool | None:
    """``true``/``false``, or None when absent; anything else is 400."""
    raw = query.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise validation(f"{name} must be true or false")
    return raw == "true"


def _sort_key(field_name: str) -> Callable[[Document], tuple[int, Any]]:
    # Missing values (a contact never touched) sort after every real value, in both directions.
    def key(document: Document) -> tuple[int, Any]:
        value = document.get(field_name)
        if isinstance(value, str):
            value = value.lower()
        return (1, 0) if value is None else (0, value)

    return key


def order_and_page(
    documents: Sequence[Document], order: str | None, allowed: Iterable[str], start: int, limit: int
) -> tuple[list[Document], int]:
    """Sort ``documents`` by ``order`` (``-`` = descending), then cut the page; also the total."""
    ordered = list(documents)
    if order:
        field_name = order.removeprefix("-")
        if field_name not in set(allowed):
            raise validation(f"Cannot order by {order}")
        present = [d for d in ordered if d.get(field_name) is not None]
        missing = [d for d in ordered if d.get(field_name) is None]
        # sorted() is stable with reverse=True too, so ties keep their insertion order.
        ordered = sorted(present, key=_sort_key(field_name), reverse=order.startswith("-")) + missing
    return ordered[start : start + limit], len(ordered)
