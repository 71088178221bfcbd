"""The shared HTTP core: retries, Retry-After, ambiguous writes, typed errors, secrets, redirects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from crmbridge.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidResponseError,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnprocessableRequestError,
)
from crmbridge.http import NOT_GIVEN, AsyncAPIClient, RetryPolicy, SyncAPIClient, parse_retry_after, redact_url

TOKEN = "s3cr3t-token-value"
Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A MockTransport handler that plays ``answers`` in order and records the requests."""
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def client(handler: Handler, **options: object) -> SyncAPIClient:
    return SyncAPIClient(
        base_url="https://crm.test/api", token=TOKEN, transport=httpx.MockTransport(handler), **options
    )  # type: ignore[arg-type]


def ok(body: object = None, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def test_get_sends_bearer_token_and_json_body() -> None:
    """A GET carries the bearer token and, when given, a JSON body (EstatePrime filters)."""
    handler, seen = scripted(ok({"status": 200}))
    assert client(handler).request("GET", "contacts", json={"page": 2}) == {"status": 200}
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(seen[0].content) == {"page": 2}
    assert str(seen[0].url) == "https://crm.test/api/contacts"


def test_get_is_retried_on_server_errors_until_it_succeeds() -> None:
    """503, 500 and a dropped connection on a GET are retried; the third try's answer is returned."""
    handler, seen = scripted(ok(status=503), httpx.RemoteProtocolError("dropped"), ok({"data": 1}))
    assert client(handler).request("GET", "x") == {"data": 1}
    assert len(seen) == 3


def test_retries_stop_after_the_configured_attempts() -> None:
    """A GET that keeps timing out raises APITimeoutError after exactly `attempts` tries."""
    handler, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as caught:
        client(handler, retry=RetryPolicy(attempts=3)).request("GET", "x")
    assert len(seen) == 3
    assert caught.value.request_sent is True


def test_cut_off_json_on_a_get_is_retried() -> None:
    """A truncated JSON body on a GET is an InvalidResponseError, retried like a network failure."""
    handler, seen = scripted(httpx.Response(200, content=b'{"data": [1, 2'), ok({"data": [1, 2]}))
    assert client(handler).request("GET", "x") == {"data": [1, 2]}
    assert len(seen) == 2
    handler, _ = scripted(httpx.Response(200, content=b"<html>"))
    with pytest.raises(InvalidResponseError):
        client(handler, retry=RetryPolicy(attempts=2)).request("GET", "x")


def test_post_after_a_server_error_is_ambiguous_and_not_retried() -> None:
    """A POST answered 500 may have been applied: one try, then AmbiguousWriteError naming the cause."""
    handler, seen = scripted(ok({"message": "Internal Error"}, status=500), ok({"created_id": 1}))
    with pytest.raises(AmbiguousWriteError, match="may or may not have been applied") as caught:
        client(handler).request("POST", "contacts", json={"first_name": "x"})
    assert len(seen) == 1
    assert isinstance(caught.value.__cause__, ServerError)


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"), httpx.ReadError("x")]
)
def test_post_failing_after_send_is_ambiguous(failure: Exception) -> None:
    """A POST whose connection failed after sending is ambiguous and tried once only."""
    handler, seen = scripted(failure, ok({"created_id": 1}))
    with pytest.raises(AmbiguousWriteError):
        client(handler).request("POST", "contacts", json={})
    assert len(seen) == 1


def test_post_that_never_connected_is_retried() -> None:
    """A POST whose connection never opened certainly was not applied, so it is retried."""
    handler, seen = scripted(httpx.ConnectError("refused"), ok({"created_id": 9}))
    assert client(handler).request("POST", "contacts", json={}) == {"created_id": 9}
    assert len(seen) == 2


def test_post_rate_limited_is_retried() -> None:
    """A 429 means the write was refused, not applied: it is retried even for a POST."""
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "2"}), ok({"created_id": 3}))
    assert client(handler).request("POST", "contacts", json={}) == {"created_id": 3}
    assert len(seen) == 2


def test_post_with_unreadable_answer_is_ambiguous() -> None:
    """A POST answered 200 with a cut-off body was probably applied, but its id is unknown: ambiguous."""
    handler, _ = scripted(httpx.Response(200, content=b'{"created_id": '))
    with pytest.raises(AmbiguousWriteError) as caught:
        client(handler).request("POST", "contacts", json={})
    assert isinstance(caught.value.__cause__, InvalidResponseError)


def test_explicitly_idempotent_post_is_retried() -> None:
    """A read sent as POST (a search) can be marked idempotent and is then retried."""
    handler, seen = scripted(ok(status=502), ok({"data": []}))
    assert client(handler).request("POST", "contacts/filter", json={}, idempotent=True) == {"data": []}
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, UnprocessableRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableRequestError),
        (418, APIStatusError),
    ],
)
def test_client_errors_are_typed_and_not_retried(status: int, error_class: type[APIStatusError]) -> None:
    """Each 4xx status raises its own error class, carrying status and body, after one try."""
    handler, seen = scripted(
        ok({"message": "The given data was invalid.", "errors": {"type": ["required"]}}, status=status)
    )
    with pytest.raises(error_class) as caught:
        client(handler).request("GET", "leads/1?x=1")
    error = caught.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.body["errors"] == {"type": ["required"]}
    assert "The given data was invalid." in str(error)
    assert len(seen) == 1


def test_rate_limit_error_carries_retry_after_when_retries_run_out() -> None:
    """When 429s outlast the attempts, RateLimitError reports the Retry-After the CRM asked for."""
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "7"}))
    with pytest.raises(RateLimitError) as caught:
        client(handler, retry=RetryPolicy(attempts=2)).request("GET", "x")
    assert caught.value.retry_after == 7.0
    assert len(seen) == 2


def test_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    """A Retry-After longer than max_retry_after raises at once instead of waiting less than asked."""
    handler, seen = scripted(httpx.Response(429, headers={"retry-after": "3600"}))
    with pytest.raises(RateLimitError):
        client(handler, retry=RetryPolicy(max_retry_after=60)).request("GET", "x")
    assert len(seen) == 1


def test_backoff_hook_honours_retry_after() -> None:
    """The retry decision waits exactly the Retry-After a 429 or 503 asked for, within the cap."""
    policy = RetryPolicy(max_retry_after=30)
    common = {"system": "t", "method": "GET", "url": "u"}
    assert policy.decide(RateLimitError("x", status_code=429, retry_after=4.0, **common)) == 4.0
    assert policy.decide(ServerError("x", status_code=503, retry_after=2.0, **common)) == 2.0
    assert policy.decide(ServerError("x", status_code=500, **common)) is True
    assert policy.decide(RateLimitError("x", status_code=429, retry_after=31.0, **common)) is False
    assert policy.decide(NotFoundError("x", status_code=404, **common)) is False
    assert policy.decide(AmbiguousWriteError("x", **common)) is False
    assert policy.decide(APIConnectionError("x", **common)) is True
    assert policy.decide(ValueError("x")) is False


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    """Retry-After is read as delta-seconds or an HTTP date; garbage and absence give None."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(later, now=now.timestamp) == pytest.approx(90.0)
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now.timestamp) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("  ") is None


def test_redirects_are_not_followed_and_the_token_stays_home() -> None:
    """A redirect to another host is an error; no request with the token goes there."""
    handler, seen = scripted(httpx.Response(302, headers={"location": "https://evil.test/steal"}), ok({}))
    with pytest.raises(APIStatusError, match=r"redirect to https://evil\.test/steal") as caught:
        client(handler).request("GET", "x")
    assert caught.value.status_code == 302
    assert [r.url.host for r in seen] == ["crm.test"]


def test_token_never_appears_in_repr_or_errors() -> None:
    """The token is absent from the client's repr and from the text of every error."""
    handler, _ = scripted(ok({"message": "nope"}, status=401))
    api = client(handler)
    assert TOKEN not in repr(api)
    assert "***" in repr(api)
    with pytest.raises(AuthenticationError) as caught:
        api.request("GET", "x", params={"api_key": TOKEN})
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.url


def test_tls_verification_is_on_by_default() -> None:
    """Clients verify TLS certificates unless told otherwise."""
    api = SyncAPIClient(base_url="https://crm.test", token=TOKEN)
    pool = api._http._transport._pool  # type: ignore[attr-defined]
    assert pool._ssl_context.verify_mode.name == "CERT_REQUIRED"
    api.close()


def test_a_token_is_required() -> None:
    """Building a client without a token fails at once, not at the first request."""
    with pytest.raises(ValueError, match="token is required"):
        SyncAPIClient(base_url="https://crm.test", token="")


def test_redact_url_hides_credentials() -> None:
    """User info and credential-like query values are hidden; other parameters stay."""
    assert redact_url("https://user:pw@crm.test/a?token=abc&page=2") == "https://crm.test/a?token=%2A%2A%2A&page=2"
    assert redact_url("https://crm.test/a?page=2") == "https://crm.test/a?page=2"


def test_empty_answer_is_none_and_context_manager_closes() -> None:
    """A 204 gives None, and the client closes its pool when used as a context manager."""
    handler, _ = scripted(httpx.Response(204))
    with client(handler) as api:
        assert api.request("DELETE", "x/1") is None
    assert api._http.is_closed


def test_async_twin_retries_and_raises_the_same_way() -> None:
    """The async client retries a 503 on GET and makes a failed POST ambiguous, like the sync one."""
    handler, seen = scripted(ok(status=503), ok({"data": 1}))

    async def run() -> None:
        async with AsyncAPIClient(
            base_url="https://crm.test", token=TOKEN, transport=httpx.MockTransport(handler)
        ) as api:
            assert await api.request("GET", "x") == {"data": 1}
        post_handler, _ = scripted(httpx.ReadTimeout("slow"))
        api2 = AsyncAPIClient(base_url="https://crm.test", token=TOKEN, transport=httpx.MockTransport(post_handler))
        with pytest.raises(AmbiguousWriteError):
            await api2.request("POST", "x", json={})
        await api2.aclose()

    asyncio.run(run())
    assert len(seen) == 2


def test_files_are_sent_as_multipart() -> None:
    """`files=` sends a multipart/form-data body (a call recording upload) instead of JSON."""
    handler, seen = scripted(ok({"message": "ok"}))
    client(handler).request(
        "POST", "communications/1/recording", files={"recording": ("call.mp3", b"ID3", "audio/mpeg")}
    )
    assert seen[0].headers["content-type"].startswith("multipart/form-data")
    assert b'name="recording"; filename="call.mp3"' in seen[0].content


# -- JSON bodies: encoded once, as httpx would, or refused before any request --------------------


def async_client(handler: Handler, **options: object) -> AsyncAPIClient:
    return AsyncAPIClient(
        base_url="https://crm.test/api", token=TOKEN, transport=httpx.MockTransport(handler), **options
    )  # type: ignore[arg-type]


def async_request(handler: Handler, method: str, path: str, **options: object) -> object:
    """``await AsyncAPIClient(...).request(method, path, **options)``, run to completion."""

    async def run() -> object:
        async with async_client(handler, retry=RetryPolicy(attempts=4)) as api:
            return await api.request(method, path, **options)  # type: ignore[arg-type]

    return asyncio.run(run())


def test_json_bodies_are_the_bytes_httpx_sends() -> None:
    """A JSON body goes out as httpx's json= bytes (UTF-8, compact) with its content type; json=None sends none."""
    body = {"name": "Zoë 👩‍👩‍👧", "n": [1, 2.5, None, True], "nested": {"a": {}}}
    handler, seen = scripted(ok({"ok": 1}))
    api = client(handler)
    api.request("PUT", "x", json=body)
    expected = httpx.Request("PUT", "https://crm.test/api/x", json=body)
    assert seen[0].content == expected.content
    assert seen[0].headers["content-type"] == "application/json"
    assert seen[0].headers["content-length"] == str(len(expected.content))
    api.request("POST", "x", json=None)
    api.request("GET", "x")
    assert [r.content for r in seen[1:]] == [b"", b""]
    assert "content-type" not in seen[1].headers


UNSENDABLE_BODIES = [
    ({"first_name": "a\ud800"}, "first_name", "lone surrogate"),
    ({"contacts": [{"id": 1}, {"notes": ["ok", "\udfff"]}]}, "contacts[1].notes[1]", "lone surrogate"),
    ({"meta": {"bad\ud83dkey": 1}}, "meta", "object key"),
    ({"score": float("nan")}, "score", "NaN"),
    ({"a": [1, {"b": float("-inf")}]}, "a[1].b", "NaN"),
    ([{"x": float("inf")}], "[0].x", "NaN"),
    ({"when": datetime(2025, 1, 1, tzinfo=UTC)}, "when", "datetime is not a JSON value"),
    ({"ids": {1, 2}}, "ids", "set is not a JSON value"),
]


@pytest.mark.parametrize(("body", "path", "reason"), UNSENDABLE_BODIES, ids=[p for _, p, _ in UNSENDABLE_BODIES])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "GET"])
def test_bodies_that_cannot_be_sent_raise_mapping_errors_before_any_request(
    body: object, path: str, reason: str, method: str
) -> None:
    """A body with a lone surrogate, NaN, an infinity or a non-JSON value is a MappingError naming it, nothing sent."""
    handler, seen = scripted(ok({"ok": 1}))
    with pytest.raises(MappingError) as caught:
        client(handler).request(method, "x", json=body)
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("crm", "request", path)
    assert reason in caught.value.message
    with pytest.raises(MappingError) as async_caught:
        async_request(handler, method, "x", json=body)
    assert (async_caught.value.kind, async_caught.value.path) == ("request", path)
    assert seen == []


def test_an_unsendable_body_message_never_quotes_the_value() -> None:
    """The error names the field and the reason, never the text that held the surrogate."""
    handler, _ = scripted(ok())
    with pytest.raises(MappingError) as caught:
        client(handler).request("POST", "x", json={"notes": "private note \ud800 of a client"})
    assert "private note" not in str(caught.value)
    assert str(caught.value).isascii()


# -- DELETE retried after an answer was lost ---------------------------------------------------


def not_found() -> httpx.Response:
    return httpx.Response(404, json={"message": "Not Found"})


LOST_ANSWERS: dict[str, Callable[[], httpx.Response | Exception]] = {
    # Answers are built per test: httpx binds a response's stream to the client that read it.
    "dropped": lambda: httpx.RemoteProtocolError("dropped"),
    "read error": lambda: httpx.ReadError("reset"),
    "timeout": lambda: httpx.ReadTimeout("slow"),
    "500": lambda: httpx.Response(500, json={"message": "Internal Error"}),
    "503": lambda: httpx.Response(503),
    "unreadable": lambda: httpx.Response(200, content=b'{"status": 200, "del'),
}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("lost", list(LOST_ANSWERS), ids=list(LOST_ANSWERS))
def test_delete_retried_after_a_lost_answer_and_found_gone_succeeds(lost: str, asynchronous: bool) -> None:
    """A DELETE whose attempt may have reached the CRM, retried and answered 404, was done: it returns None."""
    handler, seen = scripted(LOST_ANSWERS[lost](), not_found())
    if asynchronous:
        assert async_request(handler, "DELETE", "contacts/5") is None
    else:
        assert client(handler).request("DELETE", "contacts/5") is None
    assert [r.method for r in seen] == ["DELETE", "DELETE"]


def test_delete_found_gone_after_several_lost_answers_succeeds() -> None:
    """Several lost attempts (a drop, then a 502) and then a 404 still mean the delete was done."""
    handler, seen = scripted(httpx.RemoteProtocolError("x"), httpx.Response(502), not_found())
    assert client(handler).request("DELETE", "contacts/5") is None
    assert len(seen) == 3


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_delete_answered_404_at_once_is_not_found(asynchronous: bool) -> None:
    """A DELETE whose first attempt is answered 404 raises NotFoundError, without a retry."""
    handler, seen = scripted(not_found(), ok({"status": 200}))
    send = async_request if asynchronous else (lambda h, *args: client(h).request(*args))
    with pytest.raises(NotFoundError) as caught:
        send(handler, "DELETE", "contacts/5")
    assert (caught.value.status_code, len(seen)) == (404, 1)


@pytest.mark.parametrize("refused", ["connect error", "connect timeout", "429"])
def test_delete_whose_earlier_attempts_never_reached_the_crm_is_not_found(refused: str) -> None:
    """After attempts that certainly were not applied (never connected, rate limited), a 404 is still NotFoundError."""
    first = {
        "connect error": httpx.ConnectError("refused"),
        "connect timeout": httpx.ConnectTimeout("no route"),
        "429": httpx.Response(429),
    }[refused]
    handler, seen = scripted(first, not_found())
    with pytest.raises(NotFoundError):
        client(handler).request("DELETE", "contacts/5")
    assert len(seen) == 2


def test_only_deletes_take_a_404_after_a_lost_answer_as_success() -> None:
    """A GET (or PUT) retried after a lost answer and answered 404 raises NotFoundError: only a DELETE is done by it."""
    for method in ("GET", "PUT"):
        handler, seen = scripted(httpx.RemoteProtocolError("dropped"), not_found())
        with pytest.raises(NotFoundError):
            client(handler).request(method, "contacts/5", json={} if method == "PUT" else NOT_GIVEN)
        assert len(seen) == 2


@pytest.mark.parametrize(
    "value", ["²", "٣", "1²", "9" * 400 + "x", "Sat, 1 Jan 10000 00:00:00 GMT", "Mon, 1 Foo 2020 00:00:00 GMT"]
)
def test_retry_after_that_is_no_number_nor_date_is_ignored(value: str) -> None:
    """Unicode digits and dates no datetime can hold give None (no wait asked), not a ValueError or OverflowError."""
    assert parse_retry_after(value) is None


def test_the_secret_filter_masks_registered_tokens_in_log_records_and_forgets_them() -> None:
    """A live client's token is masked in records; unformattable records pass; a dropped client's token is forgotten."""
    import gc
    import logging

    from crmbridge.http._redact import SecretFilter

    token = "tok-LOGGED-5e1b/77"
    client = SyncAPIClient(base_url="https://crm.example", token=token)
    record = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, "headers %r", ([(b"x", token)],), None)
    assert SecretFilter().filter(record)
    assert token not in record.getMessage()
    assert "tok-LOGG" not in record.getMessage()
    broken = logging.LogRecord("httpx", logging.DEBUG, __file__, 1, "%d", ("not a number",), None)
    assert SecretFilter().filter(broken)
    assert broken.args == ("not a number",)
    client.close()
    del client
    gc.collect()
    later = logging.LogRecord("httpx", logging.DEBUG, __file__, 1, token, None, None)
    assert SecretFilter().filter(later)
    assert later.getMessage() == token
