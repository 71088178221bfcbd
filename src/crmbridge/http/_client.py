"""The HTTP core every CRM client is built on: auth, retries, rate limit, typed errors.

:class:`SyncAPIClient` and :class:`AsyncAPIClient` are twins with the same methods; a CRM client
subclasses one of them and adds one method per endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Final, TypeVar

import httpx
import stamina

from crmbridge.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InvalidResponseError,
    NotFoundError,
    ServerError,
    status_error_class,
)
from crmbridge.http._body import encode_json_body
from crmbridge.http._endpoint import NOT_GIVEN, Endpoint, PagedSpec, RequestSpec
from crmbridge.http._paging import AsyncPager, Page, SyncPager
from crmbridge.http._ratelimit import RateLimiter, SharedRateLimit
from crmbridge.http._redact import redact_url, register_secret, scrub_secret, scrub_secrets
from crmbridge.http._retry import RETRYABLE_STATUSES, RetryPolicy, is_connect_failure, parse_retry_after

__all__ = ["IDEMPOTENT_METHODS", "NOT_GIVEN", "AsyncAPIClient", "SyncAPIClient"]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that may be sent again after an ambiguous failure; others only when told so."""


_ERROR_BODY_LIMIT = 2000
_MESSAGE_LIMIT = 200
Self = TypeVar("Self", bound="_ClientCore")
R = TypeVar("R")
T = TypeVar("T")


class _ClientCore:
    """Configuration and response handling shared by the sync and async clients."""

    system: ClassVar[str] = "crm"

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | SharedRateLimit | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not token:
            raise ValueError(f"{self.system}: a token is required")
        if _carries_credentials(base_url):
            # Never quoted: user info would reach the repr and httpx's request log (and replace the
            # bearer token with Basic auth); a query in a base URL is dropped by httpx anyway.
            raise ValueError(f"{self.system}: base_url must not carry user info, a query or a fragment; pass token=")
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.rate_limiter: RateLimiter | SharedRateLimit | None = (
            rate_limit if isinstance(rate_limit, SharedRateLimit) else RateLimiter(rate_limit) if rate_limit else None
        )
        self._token = token
        register_secret(self, token)  # httpcore logs response headers at DEBUG: a server may echo it
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            **(headers or {}),
        }

    def __repr__(self) -> str:
        # The token never appears: not here, not in errors, not in logged URLs.
        return f"{type(self).__name__}(base_url={self.base_url!r}, token='***')"

    def _share_refusal(self, error: APIError) -> None:
        """A 429 pauses every client of a shared rate limit (a local one just lets the retry wait)."""
        if isinstance(self.rate_limiter, SharedRateLimit) and getattr(error, "status_code", None) == 429:
            self.rate_limiter.pause(getattr(error, "retry_after", None))

    # -- interpreting answers ------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        """``text`` (built from what a server answered) without the token, should the server quote it.

        Every spelling is masked (percent-encoded, base64, JSON-escaped) and every piece of 8 or
        more characters of one; a token under 8 characters is no secret worth mangling every
        message that contains it for. Scrub before truncating: a cut may leave a piece.
        """
        return scrub_secret(text, self._token)

    def _status_error(self, response: httpx.Response, method: str) -> APIStatusError:
        body = scrub_secrets(_parse_body_for_error(response), self._token)
        message = (_vendor_message(body) or self._scrub(response.reason_phrase) or "error")[:_MESSAGE_LIMIT]
        return status_error_class(response.status_code)(
            message,
            system=self.system,
            method=method,
            url=redact_url(response.request.url),
            status_code=response.status_code,
            body=body,
            response=response,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )

    def _interpret(self, response: httpx.Response, method: str, idempotent: bool) -> Any:
        """The JSON of a successful answer (None when empty), or the right typed error."""
        url = redact_url(response.request.url)
        if response.is_redirect:
            # Never follow: the token would go wherever the Location header points.
            target = self._scrub(_redirect_target(response))
            raise APIStatusError(
                f"unexpected redirect to {target}; not followed",
                system=self.system,
                method=method,
                url=url,
                status_code=response.status_code,
                response=response,
            )
        if response.status_code >= 400:
            error = self._status_error(response, method)
            if not idempotent and (response.status_code in RETRYABLE_STATUSES - {429}):
                raise self._ambiguous(method, url, f"{response.status_code} answer") from error
            raise error
        if not response.content.strip():
            return None
        try:
            # Strict UTF-8 (a BOM is allowed): json.loads of bytes would let encoded surrogates in.
            # Nesting deeper than the parser's recursion limit is unreadable too.
            return json.loads(response.content.decode("utf-8-sig"))
        except (ValueError, RecursionError) as decode_error:
            invalid = InvalidResponseError(
                f"{response.status_code} answer is not valid JSON", system=self.system, method=method, url=url
            )
            if not idempotent:
                raise self._ambiguous(method, url, "unreadable answer") from invalid
            raise invalid from decode_error

    def _transport_error(self, error: httpx.TransportError, method: str, idempotent: bool) -> APIError:
        url = redact_url(error.request.url) if _has_request(error) else "?"
        kind = type(error).__name__
        sent = not is_connect_failure(error)
        translated: APIConnectionError
        if isinstance(error, httpx.TimeoutException):
            translated = APITimeoutError(
                f"timed out ({kind})", system=self.system, method=method, url=url, request_sent=sent
            )
        else:
            translated = APIConnectionError(
                f"connection failed ({kind})", system=self.system, method=method, url=url, request_sent=sent
            )
        if sent and not idempotent:
            ambiguous = self._ambiguous(method, url, kind)
            ambiguous.__cause__ = translated
            return ambiguous
        return translated

    def _unreadable_answer(self, error: httpx.RequestError, method: str, idempotent: bool) -> APIError:
        """An answer whose body httpx could not read (``Content-Encoding: gzip`` over a plain body).

        Like a cut-off body: :class:`InvalidResponseError`, retried for a request that may be sent
        again; :class:`AmbiguousWriteError` for a write, which the CRM may have applied.
        """
        url = redact_url(error.request.url) if _has_request(error) else "?"
        invalid = InvalidResponseError(
            f"the answer could not be decoded ({type(error).__name__})", system=self.system, method=method, url=url
        )
        invalid.__cause__ = error
        if idempotent:
            return invalid
        ambiguous = self._ambiguous(method, url, "undecodable answer")
        ambiguous.__cause__ = invalid
        return ambiguous

    def _ambiguous(self, method: str, url: str, what: str) -> AmbiguousWriteError:
        return AmbiguousWriteError(
            f"{what} after the request was sent: it may or may not have been applied; not retried",
            system=self.system,
            method=method,
            url=url,
        )

    def _httpx_options(self, verify: bool) -> dict[str, Any]:
        # Redirects are never followed: the token would go wherever the Location header points.
        return {
            "base_url": self.base_url,
            "headers": self._headers,
            "timeout": self.timeout,
            "verify": verify,
            "follow_redirects": False,
        }

    def _is_idempotent(self, method: str, idempotent: bool | None) -> bool:
        return method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent

    def _retry_context_args(self) -> dict[str, Any]:
        policy = self.retry
        return {
            "on": policy.decide,
            "attempts": policy.attempts,
            "timeout": policy.timeout,
            "wait_initial": policy.wait_initial,
            "wait_max": policy.wait_max,
            "wait_jitter": policy.wait_jitter,
        }


def _carries_credentials(base_url: str) -> bool:
    parsed = httpx.URL(base_url)
    return bool(parsed.userinfo or parsed.query or parsed.fragment)


_JSON_HEADERS: Final = {"Content-Type": "application/json"}


class _DeleteAttempts:
    """The attempts of one request, watched for a DELETE that an earlier attempt may have done.

    When an attempt of a DELETE fails after the request was sent (the connection dropped, no
    answer in time, a 5xx, an answer that could not be read), the CRM may have deleted the record
    all the same; a retry answered 404 then finds the delete done, which is a success. A DELETE
    whose first attempt is answered 404 (or whose earlier attempts never reached the CRM) still
    raises :class:`NotFoundError`.
    """

    __slots__ = ("maybe_done", "watching")

    def __init__(self, method: str) -> None:
        self.watching = method == "DELETE"
        self.maybe_done = False

    def already_done(self, error: APIError) -> bool:
        """True when ``error`` is a 404 answering a retry of a DELETE an earlier attempt may have done."""
        if not self.watching:
            return False
        if isinstance(error, NotFoundError):
            return self.maybe_done
        if _may_have_been_applied(error):
            self.maybe_done = True
        return False


def _may_have_been_applied(error: APIError) -> bool:
    if isinstance(error, APIConnectionError):
        return error.request_sent  # timeouts included
    return isinstance(error, ServerError | InvalidResponseError | AmbiguousWriteError)


def _body_options(body: Any, files: Any, system: str) -> dict[str, Any]:
    """httpx keyword arguments for a JSON body, a multipart body, or none.

    A JSON body is encoded here, once for every attempt, to the bytes httpx would send for
    ``json=``; a body that cannot be sent (a lone surrogate, NaN) raises :class:`MappingError`
    (kind ``"request"``, its path in the body) before any request.
    """
    if files is not None:
        return {"files": files}
    if body is NOT_GIVEN or body is None:  # httpx sends no body for json=None either
        return {}
    return {"content": encode_json_body(body, system=system), "headers": _JSON_HEADERS}


def _redirect_target(response: httpx.Response) -> str:
    """Where a 3xx answer points, without credentials; a Location that is not a URL is not quoted."""
    location = response.headers.get("location")
    if location is None:
        return "?"
    try:
        return redact_url(location)
    except httpx.InvalidURL:
        return "an unparsable location"


def _has_request(error: httpx.RequestError) -> bool:
    try:
        error.request  # noqa: B018 - httpx raises RuntimeError when the error has no request
    except RuntimeError:
        return False
    return True


def _parse_body_for_error(response: httpx.Response) -> Any:
    """The error answer's JSON (or text), from its first bytes; the caller scrubs it, then truncates."""
    text = response.content[:_ERROR_BODY_LIMIT].decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _vendor_message(body: Any) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message
    return None


class SyncAPIClient(_ClientCore):
    """A blocking client: one :meth:`request` that retries, rate-limits and raises typed errors."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | SharedRateLimit | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, retry=retry, rate_limit=rate_limit, headers=headers
        )
        self._http = httpx.Client(transport=transport, **self._httpx_options(verify))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = NOT_GIVEN,
        files: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Send ``method path`` (relative to base_url) and return the answer's JSON (None if empty).

        Retries what is safe to retry (see :class:`RetryPolicy`); a non-idempotent write that
        fails after it was sent raises :class:`AmbiguousWriteError` instead. A DELETE retried
        after an attempt that may have reached the CRM (dropped, timed out, 5xx, unreadable
        answer) and then answered 404 was done by that attempt: it returns None, as a success.
        ``files`` sends a ``multipart/form-data`` body (httpx's ``files=``) instead of JSON.

        A ``json`` body that cannot be sent as UTF-8 JSON (a string with a lone surrogate, NaN or
        an infinity, a value that is not JSON) raises :class:`~crmbridge.errors.MappingError` of
        kind ``"request"`` whose path names it in the body, before any request is made.
        """
        method = method.upper()
        safe = self._is_idempotent(method, idempotent)
        extra = _body_options(json, files, self.system)
        delete = _DeleteAttempts(method)
        for attempt in stamina.retry_context(**self._retry_context_args()):
            with attempt:
                if self.rate_limiter is not None:
                    self.rate_limiter.wait()
                try:
                    return self._send_once(method, path, params, extra, safe)
                except APIError as error:
                    if delete.already_done(error):
                        return None
                    self._share_refusal(error)
                    raise
        raise AssertionError("unreachable: stamina raises the last error")  # pragma: no cover

    def _send_once(self, method: str, path: str, params: Any, extra: dict[str, Any], safe: bool) -> Any:
        try:
            response = self._http.request(method, path.lstrip("/"), params=params, **extra)
        except httpx.TransportError as error:
            raise self._transport_error(error, method, safe) from error
        except httpx.RequestError as error:  # the body could not be decoded (DecodingError)
            raise self._unreadable_answer(error, method, safe)  # noqa: B904 - it sets its own __cause__
        return self._interpret(response, method, safe)

    def send(self, spec: RequestSpec) -> Any:
        """Send one described request; its JSON answer (None when empty)."""
        return self.request(spec.method, spec.path, **spec.request_args())

    def call(self, endpoint: Endpoint[R]) -> R:
        """Send an endpoint's request and read its answer."""
        return endpoint.read(self.send(endpoint.spec))

    def page(self, paged: PagedSpec[T], cursor: Any = None) -> Page[T]:
        """One page of a list (the one at ``cursor``, by default the first)."""
        at = paged.first if cursor is None else cursor
        return paged.read(self.send(paged.build(at)), at)

    def pager(self, paged: PagedSpec[T]) -> SyncPager[T]:
        """Every item of a list, fetching pages as the iteration reaches them."""
        return SyncPager(lambda cursor: self.page(paged, cursor), first_cursor=paged.first)

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncAPIClient(_ClientCore):
    """The async twin of :class:`SyncAPIClient`: same arguments, same methods, awaited."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | SharedRateLimit | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url, token=token, timeout=timeout, retry=retry, rate_limit=rate_limit, headers=headers
        )
        self._http = httpx.AsyncClient(transport=transport, **self._httpx_options(verify))

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = NOT_GIVEN,
        files: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Async :meth:`SyncAPIClient.request`."""
        method = method.upper()
        safe = self._is_idempotent(method, idempotent)
        extra = _body_options(json, files, self.system)
        delete = _DeleteAttempts(method)
        async for attempt in stamina.retry_context(**self._retry_context_args()):
            with attempt:
                if self.rate_limiter is not None:
                    await self.rate_limiter.wait_async()
                try:
                    return await self._send_once(method, path, params, extra, safe)
                except APIError as error:
                    if delete.already_done(error):
                        return None
                    self._share_refusal(error)
                    raise
        raise AssertionError("unreachable: stamina raises the last error")  # pragma: no cover

    async def _send_once(self, method: str, path: str, params: Any, extra: dict[str, Any], safe: bool) -> Any:
        try:
            response = await self._http.request(method, path.lstrip("/"), params=params, **extra)
        except httpx.TransportError as error:
            raise self._transport_error(error, method, safe) from error
        except httpx.RequestError as error:  # the body could not be decoded (DecodingError)
            raise self._unreadable_answer(error, method, safe)  # noqa: B904 - it sets its own __cause__
        return self._interpret(response, method, safe)

    async def send(self, spec: RequestSpec) -> Any:
        """Send one described request; its JSON answer (None when empty)."""
        return await self.request(spec.method, spec.path, **spec.request_args())

    async def call(self, endpoint: Endpoint[R]) -> R:
        """Send an endpoint's request and read its answer."""
        return endpoint.read(await self.send(endpoint.spec))

    async def page(self, paged: PagedSpec[T], cursor: Any = None) -> Page[T]:
        """One page of a list (the one at ``cursor``, by default the first)."""
        at = paged.first if cursor is None else cursor
        return paged.read(await self.send(paged.build(at)), at)

    def pager(self, paged: PagedSpec[T]) -> AsyncPager[T]:
        """Every item of a list: ``async for item in client.pager(...)``."""
        return AsyncPager(lambda cursor: self.page(paged, cursor), first_cursor=paged.first)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
