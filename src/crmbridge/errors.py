"""Every error crmbridge raises on purpose.

The whole tree::

    CrmBridgeError                      base of everything below
    ├── MappingError (ValueError)       a payload or record cannot be translated;
    │   │                               .system, .kind, .path name where; also a
    │   │                               request body that cannot be sent as JSON (a
    │   │                               lone surrogate, NaN), before any request: a
    │   │                               connection names the record's kind, the HTTP
    │   │                               core kind "request" and the body path
    │   └── UnresolvedReference         a Ref of another system had no counterpart
    ├── UnsupportedKind (ValueError)    an adapter was asked for a kind it does not have
    ├── FieldMappingError (ValueError)  a field mapping file is malformed or names a field
    │                                   one end lacks; .path, .line name where
    ├── UnsupportedOperation            the CRM's API cannot do this (no delete, no such filter)
    ├── InvalidIdError (ValueError)     an id that is not the CRM's id format (int, UUID): refused
    │                                   before any request is made
    ├── UnknownSystem (ValueError)      no CRM of that name is built in, registered or installed
    ├── CapabilityMissing (ValueError)  the CRM exists but has no such part (no sandbox, no
    │                                   connection backend): .system, .capability
    ├── JobLocked                       another run holds the job (migration or feed): .job,
    │                                   .holder (host, pid, run id), .expires_at
    ├── RunInterrupted                  a read failed after its retries and stopped a run; what
    │                                   it did is kept (re-run to resume); .job, __cause__
    └── APIError                        talking to a CRM failed; .system, .method, .url
        ├── APIStatusError              the CRM answered with an error status;
        │   │                           .status_code, .body, .response, .retry_after
        │   ├── UnprocessableRequestError
        │   │                           400 / 422: the CRM refused the request's content
        │   │                           (deprecated alias: ValidationError)
        │   ├── AuthenticationError     401: missing, wrong or expired token
        │   ├── PermissionDeniedError   403: the token may not do this (e.g. another brand)
        │   ├── NotFoundError           404
        │   ├── ConflictError           409
        │   ├── RateLimitError          429; .retry_after in seconds when the CRM said
        │   └── ServerError             5xx
        ├── APIConnectionError          no usable answer: refused, reset, dropped
        │   └── APITimeoutError         the CRM did not answer in time
        ├── InvalidResponseError        an answer that is not the documented JSON
        └── AmbiguousWriteError         a write failed after it may have reached the CRM:
                                        it may or may not have been applied, so it was
                                        not retried; reconcile before writing again

``ValidationError`` is still importable from here as a deprecated alias of
:class:`UnprocessableRequestError` (importing it warns): the old name was the same as pydantic's
``ValidationError``, which is a different error (a value that does not fit a model).

Messages name the field and what was expected, and never quote the offending value: payloads
carry people's personal data (and, for Activix, email bodies), which must not reach logs.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

    from crmbridge.canonical import Ref

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousWriteError",
    "AuthenticationError",
    "CapabilityMissing",
    "ConflictError",
    "CrmBridgeError",
    "FieldMappingError",
    "InvalidIdError",
    "InvalidResponseError",
    "JobLocked",
    "MappingError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RunInterrupted",
    "ServerError",
    "UnknownSystem",
    "UnresolvedReference",
    "UnsupportedKind",
    "UnprocessableRequestError",
    "UnsupportedOperation",
    "status_error_class",
]


class CrmBridgeError(Exception):
    """Base class of all crmbridge errors."""


class UnknownSystem(CrmBridgeError, ValueError):
    """No system of that name is built in, registered or installed as an entry point."""

    def __init__(self, system: str, known: list[str]) -> None:
        self.system = system
        self.known = known
        super().__init__(f"unknown system {system!r}; known systems: {', '.join(known) or 'none'}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.system, self.known))


_CAPABILITY_WORDS = {
    "adapter": "adapter",
    "backend": "connection support",
    "async_backend": "async connection support",
    "sandbox": "sandbox",
}


class CapabilityMissing(CrmBridgeError, ValueError):
    """The system exists but provides no such part (an adapter-only plugin has no sandbox)."""

    def __init__(self, system: str, capability: str) -> None:
        self.system = system
        self.capability = capability
        if capability == "sandbox":
            message = f"no sandbox for system {system!r}"
        else:
            message = f"{system} has no {_CAPABILITY_WORDS.get(capability, capability)}"
        super().__init__(f"{message} (its crmbridge System names no {capability} factory)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.system, self.capability))


class FieldMappingError(CrmBridgeError, ValueError):
    """A field mapping file cannot be used: ``path`` and ``line`` (1-based; 0 for the whole file) say where."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.line, self.message))


class MappingError(CrmBridgeError, ValueError):
    """A payload (or canonical record) cannot be translated.

    ``system`` is the CRM ("estateprime"), ``kind`` the canonical kind ("contact"), ``path`` the
    field path inside the payload or record (``"phones[1].number"``; ``""`` for the whole object).

    It is also what a write raises, before any request, for a body that cannot be sent as UTF-8
    JSON (a string holding a lone surrogate, NaN or an infinity, a value that is not JSON):
    ``Connection.create``/``update`` with the record's kind and the canonical field's path
    (``"first_name"``; the body key when no canonical field holds the value), a client's raw
    call with ``kind="request"`` and the path in the body it was given (``"contacts[0].notes"``).
    """

    def __init__(self, system: str, kind: str, path: str, message: str) -> None:
        self.system = system
        self.kind = kind
        self.path = path
        self.message = message
        where = f"{system} {kind}"
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")

    def __reduce__(self) -> tuple[type[MappingError], tuple[str, str, str, str]]:
        return (type(self), (self.system, self.kind, self.path, self.message))


class UnresolvedReference(MappingError):
    """A reference to another system's record could not be translated to the target system."""

    def __init__(self, system: str, kind: str, path: str, ref: Ref) -> None:
        self.ref = ref
        super().__init__(
            system, kind, path, f"reference {ref} has no counterpart in {system} (no resolver, or it returned None)"
        )

    def __reduce__(self) -> tuple[type[UnresolvedReference], tuple[str, str, str, Ref]]:  # type: ignore[override]
        return (type(self), (self.system, self.kind, self.path, self.ref))


class UnsupportedKind(CrmBridgeError, ValueError):
    """An adapter was asked to translate a canonical kind it does not support."""

    def __init__(self, system: str, kind: str, supported: frozenset[str]) -> None:
        self.system = system
        self.kind = kind
        self.supported = supported
        super().__init__(f"{system} does not support kind {kind!r}; it supports: {', '.join(sorted(supported))}")


class UnsupportedOperation(CrmBridgeError):
    """The CRM's documented API cannot do this: Activix documents no delete, for instance."""

    def __init__(self, system: str, what: str) -> None:
        self.system = system
        self.what = what
        super().__init__(f"{system} cannot {what} (not in its documented API)")


class InvalidIdError(CrmBridgeError, ValueError):
    """An id that is not in the CRM's format (``"../admin"``, ``"1;DROP"``), refused before any request."""

    def __init__(self, system: str, kind: str, expected: str) -> None:
        self.system = system
        self.kind = kind
        super().__init__(f"{system} {kind} id must be {expected}")


class JobLocked(CrmBridgeError):
    """Another run holds the job: two runs of one migration (or one feed) never run at once.

    ``holder`` names that run (``host pid N run ID``); its lease ends at ``expires_at`` unless it
    is renewed (a run renews it while it goes on; a killed run stops renewing, so it expires).
    """

    def __init__(self, job: str, holder: str, expires_at: datetime) -> None:
        self.job = job
        self.holder = holder
        self.expires_at = expires_at
        super().__init__(
            f"{job} is already running ({holder}, lease until {expires_at:%Y-%m-%d %H:%M:%S} UTC); "
            "wait for it, or give a wait time"
        )

    def __reduce__(self) -> tuple[type[JobLocked], tuple[str, str, datetime]]:
        return (type(self), (self.job, self.holder, self.expires_at))


class RunInterrupted(CrmBridgeError):
    """A read failed after its retries and stopped the run; ``__cause__`` is that failure.

    Everything the run did is kept (links, checkpoints, unconfirmed creates): running the same
    command again resumes where it stopped.
    """

    def __init__(self, job: str, cause: Exception) -> None:
        self.job = job
        self.cause = cause
        super().__init__(f"{job} stopped: {cause}; progress is kept, re-run to resume")

    def __reduce__(self) -> tuple[type[RunInterrupted], tuple[str, Exception]]:
        return (type(self), (self.job, self.cause))


class APIError(CrmBridgeError):
    """Talking to a CRM failed. ``url`` never carries credentials (see ``crmbridge.http``)."""

    def __init__(self, message: str, *, system: str, method: str, url: str) -> None:
        self.system = system
        self.method = method
        self.url = url
        super().__init__(f"{system}: {method} {url}: {message}")


class APIStatusError(APIError):
    """The CRM answered with an error status; ``body`` is its parsed JSON (or text) answer."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        method: str,
        url: str,
        status_code: int,
        body: Any = None,
        response: httpx.Response | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.body = body
        self.response = response
        self.retry_after = retry_after
        super().__init__(f"{status_code} {message}", system=system, method=method, url=url)


class UnprocessableRequestError(APIStatusError):
    """400 or 422: the CRM refused what the request said (a missing field, a value it rejects).

    Named for what happened, a request the CRM could not process as sent, and not
    ``ValidationError``, its former name: that is also the name of pydantic's error for a value
    that does not fit a model, which crmbridge modules import beside this one, and an ``except
    ValidationError`` could catch either by mistake. ``crmbridge.errors.ValidationError`` stays
    as a deprecated alias.
    """


class AuthenticationError(APIStatusError):
    """401: the token is missing, wrong or expired."""


class PermissionDeniedError(APIStatusError):
    """403: the token may not do this (another brand's records, a missing permission)."""


class NotFoundError(APIStatusError):
    """404: no such record (or one the token may not see)."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the record's current state."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the wait in seconds the CRM asked for, if any."""


class ServerError(APIStatusError):
    """5xx: the CRM failed."""


class APIConnectionError(APIError):
    """No usable answer: the connection was refused, reset or dropped.

    ``request_sent`` is False when the request certainly never reached the CRM (the connection
    could not be opened), which makes even a non-idempotent write safe to send again.
    """

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        self.request_sent = request_sent
        super().__init__(message, **kwargs)


class APITimeoutError(APIConnectionError):
    """The CRM did not answer in time."""


class InvalidResponseError(APIError):
    """The CRM answered with something that is not the documented JSON (e.g. a cut-off body)."""


class AmbiguousWriteError(APIError):
    """A write failed after it may have reached the CRM, so it may or may not have been applied.

    crmbridge does not retry it blindly (that could create a duplicate): reconcile first (look
    the record up), then write again. ``__cause__`` is the failure that made it ambiguous.
    """


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: UnprocessableRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableRequestError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific :class:`APIStatusError` subclass for an HTTP status."""
    if status_code >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)


_DEPRECATED_ALIASES: dict[str, type[CrmBridgeError]] = {"ValidationError": UnprocessableRequestError}


def __getattr__(name: str) -> Any:
    """The deprecated names, with a DeprecationWarning naming their replacement."""
    replacement = _DEPRECATED_ALIASES.get(name)
    if replacement is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    warnings.warn(
        f"crmbridge.errors.{name} is deprecated; use crmbridge.errors.{replacement.__name__}",
        DeprecationWarning,
        stacklevel=2,
    )
    return replacement
