"""Whatever a CRM answers, its clients raise only crmbridge errors (issue 14).

Hypothesis builds answers (status codes, ``Retry-After``, ``Content-Type``, ``Content-Encoding``,
``Content-Length`` and ``Location`` headers, encodings and bodies) and plays them through
``httpx.MockTransport`` to a read, a list page and a create of each CRM's sync and async client.
Every call either succeeds or raises a :class:`~crmbridge.errors.CrmBridgeError`: never a bare
``ValueError``, an ``httpx`` exception or anything else. Examples are derandomized and bounded.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
import json
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmbridge.adapters.activix.client import ActivixClient, AsyncActivixClient
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient, EstatePrimeClient
from crmbridge.adapters.rechat.client import AsyncRechatClient, RechatClient
from crmbridge.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    APIStatusError,
    CrmBridgeError,
    InvalidResponseError,
)
from crmbridge.http import AsyncPager, RetryPolicy, SyncAPIClient, SyncPager

UUID = "6f1d3c8e-1b2a-4c3d-8e9f-0a1b2c3d4e5f"
CLIENTS: dict[str, tuple[type[Any], type[Any]]] = {
    "estateprime": (EstatePrimeClient, AsyncEstatePrimeClient),
    "activix": (ActivixClient, AsyncActivixClient),
    "rechat": (RechatClient, AsyncRechatClient),
}
CALLS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "estateprime": {
        "get": lambda c: c.contacts.get(1),
        "page": lambda c: c.contacts.list_page(),
        "create": lambda c: c.contacts.create({"first_name": "Ada"}),
    },
    "activix": {
        "get": lambda c: c.leads.get(1),
        "page": lambda c: c.leads.list_page(),
        "create": lambda c: c.leads.create({"first_name": "Ada", "type": "email"}),
    },
    "rechat": {
        "get": lambda c: c.contacts.get(UUID),
        "page": lambda c: c.tasks.list_page(limit=1),
        "create": lambda c: c.tasks.create({"title": "Call", "due_date": 1, "task_type": "Call"}),
    },
}
"""One read by id, one list page and one create (not idempotent) per CRM."""

STATUSES = st.one_of(
    st.sampled_from([200, 201, 204, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 404, 408, 422, 429, 500, 503]),
    st.integers(100, 599),
)
NASTY_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from("²³¹٣\x00\x7f\r\n\t é"), max_size=30
)
RETRY_AFTER = st.one_of(
    st.sampled_from(["²", "٣", "1²", "0", "3", "-1", "1e9", "9" * 400, "inf", "nan", " 7 ", ""]),
    st.sampled_from(["Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00"]),
    NASTY_TEXT,
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=latin-1", "application/json; charset=bogus", "text/html", "x"]
)
ENCODINGS = st.sampled_from(["gzip", "deflate", "br", "zstd", "identity", "gzip, deflate", "x-unknown", "gzip,,"])
LOCATIONS = st.one_of(
    st.sampled_from(["/v1/x", "https://other.example/x", "http://[::1", "https://a\x01b/", "//\x7f", "http:// x"]),
    NASTY_TEXT,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
ENVELOPES = st.sampled_from(
    [
        {"data": {"id": 1}},
        {"data": [], "meta": {"total": 0}},
        {"data": [{"id": 1}], "status": 200, "page": 1, "total_pages": 1},
        {"message": "bad", "errors": {"x": ["y"]}},
        {"code": "ResourceNotFound", "message": None},
        {"data": None, "info": {"count": 0, "total": 0}},
        {"created_id": 7, "status": 201},
    ]
)


def _compress(body: bytes, how: str) -> bytes:
    if how == "gzip":
        return gzip.compress(body)
    if how == "deflate":
        return zlib.compress(body)
    return body


Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""A status, raw headers and the raw (possibly compressed, possibly lying) body."""


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    """A server's answer: a status, some of the headers that change how it is read, and a body."""
    status = draw(STATUSES)
    value = draw(st.one_of(JSON_VALUES, ENVELOPES))
    raw = draw(
        st.one_of(
            st.just(json.dumps(value).encode()),
            st.just(b"\xef\xbb\xbf" + json.dumps(value).encode()),
            st.binary(max_size=40),
            st.just(b""),
            st.just(json.dumps(value).encode()[: draw(st.integers(0, 20))]),
        )
    )
    headers: dict[str, str] = {}
    if draw(st.booleans()):
        headers["Retry-After"] = draw(RETRY_AFTER)
    if draw(st.booleans()):
        headers["Content-Type"] = draw(CONTENT_TYPES)
    if draw(st.booleans()):
        encoding = draw(ENCODINGS)
        headers["Content-Encoding"] = encoding
        if draw(st.booleans()):  # sometimes honestly compressed, sometimes a plain body under the header
            raw = _compress(raw, encoding)
    if draw(st.booleans()):
        headers["Content-Length"] = draw(st.sampled_from([str(len(raw)), "0", "-1", "1", "abc", "9" * 30]))
    if draw(st.booleans()):  # a 3xx without a Location too
        headers["Location"] = draw(LOCATIONS)
    return status, [(k.encode(), v.encode("utf-8")) for k, v in headers.items()], raw


def _replay(answer: Answer) -> Callable[[httpx.Request], httpx.Response]:
    """A transport handler giving the same answer to every request (retries included), decoded by the client."""
    status, headers, raw = answer

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(raw), request=request)

    return handler


_QUICK = RetryPolicy(attempts=3, timeout=5, wait_initial=0, wait_max=0, wait_jitter=0, max_retry_after=0)


async def _drain(result: Any) -> None:
    if inspect.isawaitable(result):
        result = await result
    if isinstance(result, AsyncPager) or inspect.isasyncgen(result):
        [item async for item in result]
    elif isinstance(result, SyncPager):
        list(result)


def _outcome(crm: str, asynchronous: bool, call: str, answer: Answer) -> BaseException | None:
    """The exception a call raised for ``answer`` (None when it succeeded)."""
    client_class = CLIENTS[crm][asynchronous]
    client = client_class(
        base_url="https://crm.example/api", token="tok-fuzz-0123456789", transport=httpx.MockTransport(_replay(answer))
    )
    client.retry = _QUICK
    try:
        asyncio.run(_drain(CALLS[crm][call](client)))
    except Exception as error:  # the point: see every kind of exception
        return error
    return None


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("crm", sorted(CLIENTS))
@settings(max_examples=200, derandomize=True, database=None)
@given(answer=answers(), call=st.sampled_from(["get", "page", "create"]))
def test_every_answer_gives_a_crmbridge_error_or_a_result(
    crm: str, asynchronous: bool, answer: Answer, call: str
) -> None:
    """Any status, header and body a server answers ends in success or a crmbridge error, never another exception."""
    error = _outcome(crm, asynchronous, call, answer)
    assert error is None or isinstance(error, CrmBridgeError), f"{type(error).__name__}: {error}"


@pytest.mark.parametrize(
    ("headers", "content", "message"),
    [
        ({"Content-Encoding": "gzip"}, b'{"data": {"id": 1}}', "could not be decoded"),
        ({"Content-Encoding": "deflate"}, b"not deflated", "could not be decoded"),
        ({"Content-Encoding": "gzip"}, gzip.compress(b'{"data": {"id": 1}}')[:12], "not valid JSON"),
    ],
    ids=["gzip-over-plain", "deflate-over-plain", "cut-gzip"],
)
def test_an_undecodable_body_is_an_invalid_response_retried_like_a_cut_body(
    headers: dict[str, str], content: bytes, message: str
) -> None:
    """A body that cannot be decoded as its Content-Encoding says is InvalidResponseError, retried for a read."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(content))

    client = SyncAPIClient(base_url="https://crm.example", token="t", transport=httpx.MockTransport(handler))
    client.retry = _QUICK
    with pytest.raises(InvalidResponseError, match=message):
        client.request("GET", "x")
    assert len(seen) == 3


def test_an_undecodable_answer_to_a_write_is_ambiguous() -> None:
    """A POST answered with a body that cannot be decoded may have been applied: AmbiguousWriteError, sent once."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"{}"))

    client = SyncAPIClient(base_url="https://crm.example", token="t", transport=httpx.MockTransport(handler))
    with pytest.raises(AmbiguousWriteError) as caught:
        client.request("POST", "x", json={})
    assert isinstance(caught.value.__cause__, InvalidResponseError)
    assert len(seen) == 1


@pytest.mark.parametrize("status", [300, 305, 309])
def test_a_3xx_with_an_unparsable_location_is_a_status_error(status: int) -> None:
    """A 3xx httpx does not follow itself, whose Location holds a control character, is an APIStatusError."""
    handler = _replay((status, [(b"Location", b"https://a\x01b/\x7f")], b""))
    client = SyncAPIClient(base_url="https://crm.example", token="t", transport=httpx.MockTransport(handler))
    with pytest.raises(APIStatusError) as caught:
        client.request("GET", "x")
    assert caught.value.status_code == status
    assert "unexpected redirect to an unparsable location" in str(caught.value)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_httpx_cannot_build_is_a_connection_error(status: int) -> None:
    """A redirect whose Location httpx refuses to parse is a (retried) APIConnectionError, the Location unquoted."""
    handler = _replay((status, [(b"Location", b"http://[::1")], b""))
    client = SyncAPIClient(base_url="https://crm.example", token="t", transport=httpx.MockTransport(handler))
    client.retry = _QUICK
    with pytest.raises(APIConnectionError, match="RemoteProtocolError") as caught:
        client.request("GET", "x")
    assert "[::1" not in str(caught.value)
