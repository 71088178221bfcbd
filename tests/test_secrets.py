"""Secrets and privacy across every CRM (issue #9, group 4).

Tokens never reach logs, reprs, error messages, tracebacks, migration reports or the command
line's output; Activix email bodies never reach logs or error messages; ids that are not the
CRM's format are refused before any request; TLS certificates are verified unless turned off
explicitly. Everything runs offline: in-process sandboxes, ``httpx.MockTransport``, or sandboxes
served on loopback for the command line.

Related checks live next to what they test: the HTTP core's own (``redact_url``, the base client's
repr, redirect and TLS) in ``tests/http/test_http_client.py``, the Activix adapter's email-body
checks in ``tests/adapters/activix/test_activix_privacy_envelopes.py``, the cassettes in
``tests/test_cassettes.py``; this module covers every CRM's clients and connections end to end.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import inspect
import json
import logging
import os
import re
import ssl
import subprocess
import sys
import traceback
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge import Activity, EmailMessage, Ref
from crmbridge.adapters.activix.client import ActivixClient, AsyncActivixClient
from crmbridge.adapters.activix.wire import Communication
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient, EstatePrimeClient
from crmbridge.adapters.rechat.client import AsyncRechatClient, RechatClient
from crmbridge.cli import app
from crmbridge.errors import (
    AmbiguousWriteError,
    APIStatusError,
    AuthenticationError,
    CrmBridgeError,
    InvalidIdError,
    MappingError,
    NotFoundError,
    ServerError,
    UnprocessableRequestError,
    UnsupportedOperation,
)
from crmbridge.http import AsyncPager, SyncPager
from crmbridge.http._redact import scrub_secret
from crmbridge.sandbox import FaultConfig, Sandbox, example_payloads, make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, migrate

CRMS = ("estateprime", "activix", "rechat")
TOKENS = {crm: f"tok-SECRET-{crm}-9f3a" for crm in CRMS}
WRONG_TOKEN = "tok-WRONG-0c7e-9f3a"
"""A token the CRM refuses: a secret too, which must not be echoed either."""
EMAIL_BODY = "BODY-7c41 Dear Élise, the alarm code is 4321"
UUID = "6f1d3c8e-1b2a-4c3d-8e9f-0a1b2c3d4e5f"

SYNC_CLIENTS: dict[str, type[Any]] = {
    "estateprime": EstatePrimeClient,
    "activix": ActivixClient,
    "rechat": RechatClient,
}
ASYNC_CLIENTS: dict[str, type[Any]] = {
    "estateprime": AsyncEstatePrimeClient,
    "activix": AsyncActivixClient,
    "rechat": AsyncRechatClient,
}
ALL_CLIENTS = [*SYNC_CLIENTS.values(), *ASYNC_CLIENTS.values()]
SYSTEM_OF = {cls: crm for crm, cls in SYNC_CLIENTS.items()} | {cls: crm for crm, cls in ASYNC_CLIENTS.items()}

KIND_AND_FIELD = {
    "estateprime": ("event", "title"),
    "activix": ("contact", "last_name"),
    "rechat": ("contact", "last_name"),
}
"""What the CRUD round works on: EstatePrime documents an update for calendar events only."""
CONNECT_OPTIONS: dict[str, dict[str, Any]] = {"activix": {"default_lead_type": "web_order", "rate_limit": None}}
MISSING_ID = {"estateprime": 999999, "activix": 999999, "rechat": UUID}
USERS_EP_TO_AX = {Ref("estateprime", "user", str(i)): Ref("activix", "user", str(1 + i % 3)) for i in range(1, 40)}


# -- collecting what could leak -----------------------------------------------------------------------


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything logged at DEBUG and above: the root logger and httpx, httpcore, stamina, crmbridge."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "stamina", "crmbridge", "uvicorn", "uvicorn.error", "uvicorn.access"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def log_texts(caplog: pytest.LogCaptureFixture) -> Iterator[str]:
    """Each record's message (args formatted), its raw fields (args, extras) and its formatted exception."""
    formatter = logging.Formatter()
    for record in caplog.records:
        yield record.getMessage()
        yield repr(vars(record))
        if record.exc_info:
            yield formatter.formatException(record.exc_info)
    yield caplog.text


def _http_objects(error: BaseException) -> Iterator[str]:
    for name in ("response", "request"):
        try:
            value = getattr(error, name, None)
        except RuntimeError:  # an httpx error raised without a request
            value = None
        if isinstance(value, httpx.Response):  # its headers and body are the server's, not ours
            yield from (repr(value), repr(value.request), repr(value.request.headers), str(value.request.url))
        elif isinstance(value, httpx.Request):
            yield from (repr(value), repr(value.headers), str(value.url))


def error_texts(error: BaseException) -> Iterator[str]:
    """What an error can show: its traceback (chain included), and str/repr/url/response/request of each link."""
    yield "".join(traceback.format_exception(error))
    seen: set[int] = set()
    todo: list[BaseException | None] = [error]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield from (str(current), repr(current), str(getattr(current, "url", "")))
        yield from _http_objects(current)
        todo += [current.__cause__, current.__context__]


def assert_hidden(secrets: Iterable[str], texts: Iterable[str]) -> None:
    """No secret in any text, also once whitespace is removed (wrapped console output); some text was searched."""
    wanted = list(secrets)
    count = 0
    for text in texts:
        count += 1
        squeezed = "".join(text.split())
        for secret in wanted:
            assert secret not in text, f"{secret!r} leaked in: {text[:300]!r}"
            assert "".join(secret.split()) not in squeezed, f"{secret!r} leaked (wrapped) in: {text[:300]!r}"
    assert count > 0, "nothing was searched"


async def drain(result: Any) -> None:
    """Await what a call returned, and run a pager or a generator it returned to its end."""
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result) or isinstance(result, AsyncPager):
        [item async for item in result]
    elif isinstance(result, Iterator | SyncPager):
        list(result)


async def caught(error_class: type[BaseException], call: Callable[[], Any]) -> BaseException:
    """The error of ``error_class`` that ``call`` raised (what it returned was awaited and drained)."""
    with pytest.raises(error_class) as raised:
        await drain(call())
    return raised.value


def expect(error_class: type[BaseException], call: Callable[[], Any]) -> BaseException:
    """:func:`caught`, outside an event loop."""
    return asyncio.run(caught(error_class, call))


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one."""
    return await value if inspect.isawaitable(value) else value


async def listed(connection: Any, kind: str, **filters: Any) -> list[Any]:
    """Every record ``connection.list`` yields, sync or async."""
    records = connection.list(kind, **filters)
    if inspect.isasyncgen(records):
        return [record async for record in records]
    return list(records)


def open_connection(crm: str, asynchronous: bool, **options: Any) -> Any:
    opener = crmbridge.connect_async if asynchronous else crmbridge.connect
    return opener(crm, **{**CONNECT_OPTIONS.get(crm, {}), **options})


async def close(connection: Any) -> None:
    await done(connection.aclose() if hasattr(connection, "aclose") else connection.close())


# -- tokens: real work against the sandboxes -----------------------------------------------------------


async def crud_round(crm: str, sandbox: Sandbox, asynchronous: bool) -> tuple[list[Any], list[BaseException]]:
    """list, get, create, update, delete, lookups, and the errors a CRM answers; (objects, errors) seen."""
    kind, field = KIND_AND_FIELD[crm]
    errors: list[BaseException] = []
    connection = open_connection(crm, asynchronous, **sandbox.client_options())
    records = await listed(connection, kind)
    got = await done(connection.get(kind, records[0].ref))
    ref = await done(connection.create(got.model_copy(update={"ref": None})))
    created = await done(connection.get(kind, ref))
    await done(connection.update(created.model_copy(update={field: "Changed"}), fields=[field]))
    updated = await done(connection.get(kind, ref))
    assert getattr(updated, field) == "Changed"
    lookups = await done(connection.lookups())
    errors.append(await caught(NotFoundError, lambda: connection.get(kind, MISSING_ID[crm])))
    errors.append(await caught(InvalidIdError, lambda: connection.get(kind, "../admin")))
    if crm == "activix":
        errors.append(await caught(UnsupportedOperation, lambda: connection.delete(ref)))
    else:
        await done(connection.delete(ref))
        errors.append(await caught(NotFoundError, lambda: connection.get(kind, ref)))
    objects = [connection, connection.backend, connection.backend.client, connection.adapter, records, updated, lookups]
    await close(connection)
    refused = open_connection(crm, asynchronous, **{**sandbox.client_options(), "token": WRONG_TOKEN})
    errors.append(await caught(AuthenticationError, lambda: listed(refused, kind)))
    objects.append(refused)
    await close(refused)
    return objects, errors


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("crm", CRMS)
def test_crud_round_leaks_no_token(crm: str, asynchronous: bool, logs: pytest.LogCaptureFixture) -> None:
    """A full CRUD round through connect()/connect_async() shows neither token in logs, reprs or errors."""
    sandbox = make_sandbox(crm, token=TOKENS[crm], seed_records=6, seed=5)
    objects, errors = asyncio.run(crud_round(crm, sandbox, asynchronous))
    assert len(errors) == 4
    assert any(r.name == "httpx" for r in logs.records), "httpx logged its requests"
    secrets = [TOKENS[crm], WRONG_TOKEN]
    assert_hidden(secrets, log_texts(logs))
    assert_hidden(secrets, (text for obj in objects for text in (repr(obj), str(obj))))
    assert_hidden(secrets, (text for error in errors for text in error_texts(error)))


def test_migrations_under_faults_leak_no_token(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    """Migrating EstatePrime into Activix and Rechat twice, through retries and ambiguous writes, leaks no token."""
    # Searched: every log record, the reports (repr and JSON) and the state store files.
    faults = {crm: FaultConfig(error_rate=0.3, seed=seed) for seed, crm in enumerate(CRMS, start=1)}
    ep = make_sandbox(
        "estateprime", token=TOKENS["estateprime"], seed_records=12, seed=11, faults=faults["estateprime"]
    )
    ax = make_sandbox("activix", token=TOKENS["activix"], faults=faults["activix"])
    rc = make_sandbox("rechat", token=TOKENS["rechat"], faults=faults["rechat"])
    owner = Ref("rechat", "user", rc.user(rc.token).id)
    to_rechat = {Ref("estateprime", "user", str(i)): owner for i in range(1, 40)}
    reports = []
    for _ in range(2):
        with (
            crmbridge.connect("estateprime", **ep.client_options()) as src,
            crmbridge.connect(
                "activix", **ax.client_options(), **CONNECT_OPTIONS["activix"], default_region="US"
            ) as ax_conn,
            crmbridge.connect("rechat", **rc.client_options(), default_owner=owner.id) as rc_conn,
        ):
            reports.append(
                migrate(
                    source=src,
                    target=ax_conn,
                    kinds=["contact", "activity"],
                    state=tmp_path / "a.db",
                    links=USERS_EP_TO_AX,
                )
            )
            reports.append(
                migrate(
                    source=src,
                    target=rc_conn,
                    kinds=["contact", "event"],
                    state=tmp_path / "r.db",
                    links=to_rechat,
                    conversions={"event": "task"},
                )
            )
    assert sum(kind.reconciled for report in reports for kind in report.kinds.values()) > 0, "ambiguous creates"
    assert all(box.faults is not None and sum(box.faults.injected.values()) > 0 for box in (ep, ax, rc))
    assert any(r.name == "stamina" for r in logs.records), "stamina logged its retries"
    secrets = [*TOKENS.values()]
    assert_hidden(secrets, log_texts(logs))
    assert_hidden(secrets, (repr(report) for report in reports))
    assert_hidden(secrets, (json.dumps(report.as_dict()) for report in reports))
    assert_hidden(secrets, (path.read_bytes().decode("latin-1") for path in tmp_path.iterdir()))


@pytest.mark.parametrize("client_class", ALL_CLIENTS, ids=lambda c: c.__name__)
def test_credentials_in_base_url_are_refused_without_echoing_them(client_class: type[Any]) -> None:
    """A base_url carrying user info or a token-like query is refused, and the error does not quote it."""
    # Accepted, such a URL would put the secret in the client's repr and in httpx's request log
    # (and httpx would replace the bearer token with Basic auth built from the user info).
    token = TOKENS[SYSTEM_OF[client_class]]
    for base_url in (
        f"https://user:{token}@crm.example/api",
        f"https://{token}@crm.example/api",
        f"https://crm.example/api?token={token}",
        f"https://crm.example/api?api_key={token}",
    ):
        with pytest.raises(ValueError, match="base_url") as caught:
            client_class(base_url=base_url, token="tok-other")
        assert_hidden([token], error_texts(caught.value))


@pytest.mark.parametrize("crm", CRMS)
def test_connect_refuses_credentials_in_base_url(crm: str) -> None:
    """connect() refuses a base_url with user info, and its error does not quote the token."""
    with pytest.raises(ValueError, match="base_url") as caught:
        crmbridge.connect(crm, base_url=f"https://me:{TOKENS[crm]}@crm.example", token="tok-other")
    assert_hidden([TOKENS[crm]], error_texts(caught.value))


def _echo_token(request: httpx.Request) -> httpx.Response:
    """A server that quotes the credentials it was sent in its error message (many do)."""
    return httpx.Response(401, json={"message": f"Invalid credentials: {request.headers.get('authorization')}"})


def _redirect_with_token(request: httpx.Request) -> httpx.Response:
    """A redirect whose target carries the token in its path and its query."""
    token = request.headers["authorization"].removeprefix("Bearer ")
    return httpx.Response(302, headers={"location": f"https://evil.example/steal/{token}?apikey={token}"})


def _first_call(client: Any) -> Any:
    """One request of each CRM's client: a record by id."""
    if isinstance(client, ActivixClient | AsyncActivixClient):
        return client.leads.get(1)
    if isinstance(client, RechatClient | AsyncRechatClient):
        return client.contacts.get(UUID)
    return client.contacts.get(1)


@pytest.mark.parametrize("handler", [_echo_token, _redirect_with_token], ids=["echoed", "redirect"])
@pytest.mark.parametrize("client_class", ALL_CLIENTS, ids=lambda c: c.__name__)
def test_a_server_quoting_the_token_does_not_put_it_in_errors(
    client_class: type[Any], handler: Callable[[httpx.Request], httpx.Response], logs: pytest.LogCaptureFixture
) -> None:
    """An error message built from a server's answer (its message, a redirect target) never carries the token."""
    token = TOKENS[SYSTEM_OF[client_class]]
    client = client_class(base_url="https://crm.example/api", token=token, transport=httpx.MockTransport(handler))
    error = expect(APIStatusError, lambda: _first_call(client))
    assert isinstance(error, APIStatusError)
    assert error.status_code in (302, 401)
    assert_hidden([token], error_texts(error))
    assert_hidden([token], log_texts(logs))


# -- Activix email bodies --------------------------------------------------------------------------


def email_activity(lead: Ref, body: str = EMAIL_BODY) -> Activity:
    return Activity(
        channel="email",
        direction="outgoing",
        contact=lead,
        occurred_at=dt.datetime(2025, 3, 1, 15, 0, tzinfo=dt.UTC),
        email=EmailMessage(subject="Quote", body=body, user_address="j.roy@dealer.example"),
    )


def test_email_bodies_written_and_read_through_the_sandbox_reach_no_log(logs: pytest.LogCaptureFixture) -> None:
    """Creating, updating and listing email communications at DEBUG level logs no part of their bodies."""
    sandbox = make_sandbox("activix", seed_records=3, seed=2)
    with crmbridge.connect("activix", **sandbox.client_options(), **CONNECT_OPTIONS["activix"]) as connection:
        lead = next(iter(connection.list("contact"))).ref
        assert lead is not None
        ref = connection.create(email_activity(lead))
        connection.update(email_activity(lead, EMAIL_BODY + " (v2)").model_copy(update={"ref": ref}), fields=["email"])
        activities = list(connection.list("activity"))
    stored = next(d for d in sandbox.store.scan("communications") if str(d["id"]) == ref.id)
    assert stored["private"]["email_body"] == EMAIL_BODY + " (v2)", "the body did reach Activix"
    assert ref in [a.ref for a in activities]
    assert any(r.name == "crmbridge.adapters.activix.mapping" for r in logs.records), "the adapter logs at DEBUG"
    assert_hidden([EMAIL_BODY], log_texts(logs))
    assert_hidden([EMAIL_BODY], (repr(a) for a in activities))


def _lead_page(communication: dict[str, Any]) -> dict[str, Any]:
    lead = {"id": 1, "type": "email", "communications": [communication]}
    links = {"first": "https://x/v2/leads?page=1", "last": "https://x/v2/leads?page=1", "prev": None, "next": None}
    meta = {"current_page": 1, "from": 1, "last_page": 1, "path": "https://x/v2/leads", "per_page": 100, "to": 1}
    return {"data": [lead], "links": links, "meta": {**meta, "total": 1}}


def _failing_activix(mode: str) -> Callable[[httpx.Request], httpx.Response]:
    """An Activix that fails while quoting what it was sent (or what it stores) in its answer."""

    def handler(request: httpx.Request) -> httpx.Response:
        sent = json.loads(request.content) if request.content else {}
        if request.method == "GET":
            bad = {"id": 5, "method": "email", "type": "outgoing", "email_body": EMAIL_BODY, "executed_at": 12}
            return httpx.Response(200, json=_lead_page(bad))
        if mode == "422":
            errors = {"email_body": ["The email body is invalid."]}
            return httpx.Response(422, json={"message": "The given data was invalid.", "errors": errors, "input": sent})
        if mode == "500":
            return httpx.Response(500, json={"message": "Server Error", "input": sent})
        return httpx.Response(201, json={"data": {**sent, "id": "not-an-integer"}})

    return handler


EXPECTED_FAILURE: dict[str, tuple[type[Exception], type[Exception] | None, type[Exception]]] = {
    "422": (UnprocessableRequestError, UnprocessableRequestError, UnprocessableRequestError),
    "500": (AmbiguousWriteError, ServerError, ServerError),
    "unreadable": (MappingError, None, MappingError),
}
"""What a create, a connection's update (a PUT: retried on 5xx, its answer not read) and a client's
update raise, per failing server."""


@pytest.mark.parametrize("mode", sorted(EXPECTED_FAILURE))
def test_email_bodies_stay_out_of_errors_from_a_failing_activix(mode: str, logs: pytest.LogCaptureFixture) -> None:
    """422 answers echoing the request, 500s and unreadable answers give errors whose text holds no email body."""
    transport = httpx.MockTransport(_failing_activix(mode))
    create_error, connection_update_error, update_error = EXPECTED_FAILURE[mode]
    lead, comm = Ref("activix", "lead", "1"), Ref("activix", "communication", "5")
    errors: list[BaseException] = []
    with crmbridge.connect("activix", token="t", transport=transport, rate_limit=None) as connection:
        errors.append(expect(create_error, lambda: connection.create(email_activity(lead))))
        update = email_activity(lead).model_copy(update={"ref": comm})
        if connection_update_error is None:
            connection.update(update, fields=["email"])
        else:
            errors.append(expect(connection_update_error, lambda: connection.update(update, fields=["email"])))
        errors.append(expect(MappingError, lambda: connection.list("activity")))
        skipped = list(connection.list("activity", on_error="skip"))
        failures = list(connection.failures)
    with ActivixClient(token="t", transport=transport, rate_limit=None) as client:
        wire = Communication(lead_id=1, method="email", type="outgoing", email_body=EMAIL_BODY)
        errors.append(expect(create_error, lambda: client.communications.create(wire)))
        errors.append(expect(update_error, lambda: client.communications.update(5, wire)))
    assert skipped == []
    assert len(failures) == 1
    if mode == "422":
        assert isinstance(errors[0], UnprocessableRequestError)
        assert errors[0].body["input"]["email_body"] == EMAIL_BODY, "the server did echo the body"
    assert_hidden([EMAIL_BODY], (text for error in errors for text in error_texts(error)))
    assert_hidden([EMAIL_BODY], (repr(failure) for failure in failures))
    assert_hidden([EMAIL_BODY], log_texts(logs))


# -- the command line -----------------------------------------------------------------------------


def test_cli_migrate_and_inspect_print_no_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`migrate` (through faults) and `inspect` (found, refused, not found) with env credentials print no token."""
    runner = CliRunner()
    source = make_sandbox("estateprime", token=TOKENS["estateprime"], seed_records=8, seed=3)
    target = make_sandbox("activix", token=TOKENS["activix"], faults=FaultConfig(error_rate=0.5, seed=4))
    with serve_in_thread(source) as ep_url, serve_in_thread(target) as ax_url:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", TOKENS["estateprime"])
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", ep_url)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", TOKENS["activix"])
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{ax_url}/v2")
        links = [f"--link=estateprime:user:{i}=activix:user:1" for i in range(1, 40)]
        options = ["--to-option", "default_lead_type=web_order", "--to-option", "rate_limit=null"]
        report = tmp_path / "r.json"
        state = ["--state", str(tmp_path / "s.db"), "--report", str(report)]
        moved = runner.invoke(
            app,
            ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact", *state, *options, *links],
        )
        shown = runner.invoke(app, ["inspect", "estateprime", "contact", "1"])
        missing = runner.invoke(app, ["inspect", "estateprime", "contact", "999999"])
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", WRONG_TOKEN)
        refused = runner.invoke(app, ["inspect", "estateprime", "contact", "1"])
    assert moved.exit_code in (0, 1), moved.output  # 1: records the faults kept from moving
    counts = json.loads(report.read_text(encoding="utf-8"))["kinds"]["contact"]
    assert counts["created"] + counts["reconciled"] + counts["failed"] >= counts["read"] == 8
    assert target.faults is not None
    assert sum(target.faults.injected.values()) > 0
    assert json.loads(shown.stdout)["ref"]["id"] == "1"
    assert missing.exit_code == 1
    assert "estateprime has no contact 999999" in missing.output
    assert refused.exit_code == 3
    assert "refused the credentials" in refused.output
    results = (moved, shown, missing, refused)
    texts = [text for result in results for text in (result.output, result.stderr)]
    texts += [report.read_text(encoding="utf-8")]
    assert_hidden([*TOKENS.values(), WRONG_TOKEN], texts)


# -- a server echoing the token in every spelling, through every sink --------------------------------

SPELLED_TOKEN = 'tok/SECRET+activix="9f3a/Zq'
"""A token whose percent-encoded, base64 and JSON-escaped spellings all differ from it."""


def _spelled(spelling: str, token: str) -> tuple[int, list[tuple[str, str]], str]:
    """What a server answers a create with when it quotes ``token`` spelled so: status, headers, message."""
    escaped = json.dumps({"authorization": token})
    quoted = urllib.parse.quote(token, safe="")
    echoes = {
        "raw": token,
        "percent": quoted,
        "percent-lower": re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quoted),
        "base64": base64.b64encode(token.encode()).decode(),
        "base64url": base64.urlsafe_b64encode(token.encode()).decode().rstrip("="),
        "json-escaped": escaped,
        "json-escaped-slashes": escaped.replace("/", "\\/"),
        "cut-at-200": "x" * 190 + token,
        "piece": token[5:17],
    }
    if spelling == "redirect":
        return 302, [("location", f"https://evil.example/steal/{quoted}?next={quoted}"), ("x-echo", quoted)], ""
    echo = echoes[spelling]
    return 422, [("x-echo", echo)], f"Invalid credentials: {echo}"


SPELLINGS = (
    "raw",
    "percent",
    "percent-lower",
    "base64",
    "base64url",
    "json-escaped",
    "json-escaped-slashes",
    "cut-at-200",
    "piece",
    "redirect",
)


class EchoingCreates:
    """ASGI middleware: every create of a lead is answered with the token quoted in one spelling."""

    def __init__(self, app: Any, spelling: str) -> None:
        self.app = app
        self.spelling = spelling
        self.echoed = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith("/leads"):
            await self.app(scope, receive, send)
            return
        authorization = dict(scope["headers"])[b"authorization"].decode()
        status, headers, message = _spelled(self.spelling, authorization.removeprefix("Bearer "))
        body = json.dumps({"message": message}).encode() if message else b""
        raw_headers = [(k.encode(), v.encode()) for k, v in [*headers, ("content-type", "application/json")]]
        self.echoed += 1
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})


def secret_pieces() -> list[str]:
    """Every 8-character piece of the token in each of its spellings (the echoes are made of these)."""
    token = SPELLED_TOKEN
    quoted = urllib.parse.quote(token, safe="")
    escaped = json.dumps(token)[1:-1]
    forms = {token, quoted, re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quoted), escaped}
    forms |= {escaped.replace("/", "\\/"), base64.b64encode(token.encode()).decode()}
    forms.add(base64.urlsafe_b64encode(token.encode()).decode())
    return sorted({form[i : i + 8] for form in forms for i in range(len(form) - 7)})


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_token_echoed_in_any_spelling_reaches_no_sink(
    spelling: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, logs: pytest.LogCaptureFixture
) -> None:
    """Echoed raw, percent-encoded, base64, JSON-escaped, cut at 200 or in part: no piece in any sink."""
    # Sinks: the error's str/repr/traceback, the CLI's stdout and stderr, --report JSON, the state
    # store's failures table (and the whole file), and every log record (httpcore's DEBUG records
    # of the response headers included: the echo is in a header too).
    source = make_sandbox("estateprime", token=TOKENS["estateprime"], seed_records=3, seed=3)
    target = make_sandbox("activix", token=SPELLED_TOKEN)
    echo = EchoingCreates(target.app, spelling)
    target.app = echo
    client = ActivixClient(**target.client_options())
    error = expect(APIStatusError, lambda: client.leads.create({"first_name": "Ada", "type": "email"}))
    with serve_in_thread(source) as ep_url, serve_in_thread(target) as ax_url:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", TOKENS["estateprime"])
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", ep_url)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_TOKEN", SPELLED_TOKEN)
        monkeypatch.setenv("CRMBRIDGE_ACTIVIX_BASE_URL", f"{ax_url}/v2")
        links = [f"--link=estateprime:user:{i}=activix:user:1" for i in range(1, 40)]
        options = ["--to-option", "default_lead_type=web_order", "--to-option", "rate_limit=null"]
        report, state = tmp_path / "r.json", tmp_path / "s.db"
        files = ["--state", str(state), "--report", str(report)]
        moved = CliRunner().invoke(
            app,
            ["migrate", "--from", "estateprime", "--to", "activix", "--kinds", "contact", *options, *links, *files],
        )
    assert moved.exit_code == 1, moved.output
    assert echo.echoed == 1 + 3, "the direct create and each migrated contact were answered with the echo"
    reasons = [failure["reason"] for failure in json.loads(report.read_text(encoding="utf-8"))["failures"]]
    assert len(reasons) == 3
    assert all(("302" if spelling == "redirect" else "422") in reason for reason in reasons)
    stored = StateStore(state)
    failures_table = [f"{f.source} {f.reason}" for f in stored.failures(next(iter(_jobs(state))))]
    stored.close()
    assert len(failures_table) == 3
    assert any("x-echo" in text.lower() for text in log_texts(logs)), "httpcore logged the response headers"
    sinks: dict[str, list[str]] = {
        "error": [*error_texts(error), repr(error.body)],
        "cli": [moved.stdout, moved.stderr],
        "report": [report.read_text(encoding="utf-8")],
        "state failures": [*failures_table, state.read_bytes().decode("latin-1")],
        "logs": list(log_texts(logs)),
    }
    pieces = secret_pieces()
    for sink, texts in sinks.items():
        for text in texts:
            squeezed = "".join(text.split())
            leaked = [piece for piece in pieces if piece in text or piece in squeezed]
            assert leaked == [], f"{spelling} echo leaked into {sink}: {leaked[:3]}"


def _jobs(state: Path) -> list[str]:
    """The job names a state store file holds failures for."""
    import sqlite3

    with sqlite3.connect(state) as db:
        return [row[0] for row in db.execute("SELECT DISTINCT job FROM failures")]


def test_every_spelling_is_scrubbed_and_short_secrets_are_left_alone() -> None:
    """scrub_secret masks each spelling and any 8-character piece of one, and leaves a secret under 8 alone."""
    token = SPELLED_TOKEN
    for spelling in SPELLINGS[:-1]:
        echoed = _spelled(spelling, token)[2]
        assert all(piece not in scrub_secret(echoed, token) for piece in secret_pieces()), spelling
    assert scrub_secret("abc tok-7 def", "tok-7") == "abc tok-7 def"
    assert scrub_secret("a 0123456789 b", "0123456789") == "a *** b"
    assert scrub_secret("a 12345678 b", "0123456789") == "a *** b"
    assert scrub_secret("a 1234567 b", "0123456789") == "a 1234567 b"


def test_cli_traceback_shows_no_token_given_on_the_command_line() -> None:
    """The traceback --debug prints (for bug reports) shows no local variable, so no --token value."""
    source = make_sandbox("estateprime", token=TOKENS["estateprime"], seed_records=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMBRIDGE_", "_TYPER"))}
    env |= {"COLUMNS": "200", "NO_COLOR": "1"}
    assert app.pretty_exceptions_show_locals is False
    with serve_in_thread(source) as url:
        command = [sys.executable, "-m", "crmbridge.cli", "--debug", "inspect", "estateprime", "contact", "999999"]
        command += ["--token", TOKENS["estateprime"], "--base-url", url]
        done_ = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done_.returncode == 1
    assert "NotFoundError" in done_.stderr
    assert_hidden([TOKENS["estateprime"]], [done_.stdout, done_.stderr])


# -- ids are checked before any request ----------------------------------------------------------------

BAD_INT_IDS: tuple[Any, ...] = (
    "../admin",
    "1;DROP",
    "1/../../x",
    "%2e%2e",
    "",
    " 1",
    "1\n",
    "\uff11",  # a full-width digit one
    "\u0663",  # an Arabic-Indic digit three
    "-1",
    "0",
    "+1",
    "1.0",
    "0x1",
    "1_000",
    -1,
    0,
    True,
    1.0,
    UUID,
    uuid.UUID(UUID),
)
"""Not a positive integer. ``"-1"``/``-1`` and ``"0"``/``0`` are refused too: EstatePrime and Activix
document positive integer ids (auto-increment from 1), so no record can have them and the request
could only fail; refusing them keeps a sign or a zero out of the URL path."""

BAD_UUIDS: tuple[Any, ...] = (
    "../admin",
    "1;DROP",
    "1/../../x",
    "%2e%2e",
    "",
    " 1",
    "1\n",
    "\uff11",
    "-1",
    "0",
    "42",
    42,
    True,
    f" {UUID}",
    f"{UUID}\n",
    f"{UUID}/../admin",
    f"{UUID};DROP",
    " " + UUID.replace("-", "")[1:],
    UUID.replace("-", "")[1:] + "\n",
    "+" + UUID.replace("-", "")[1:],
    "0x" + UUID.replace("-", "")[2:],
    UUID.translate({ord("0") + d: 0xFF10 + d for d in range(10)}),  # full-width digits
)
"""Not a UUID: an int for a UUID CRM, path tricks, and spellings Python's ``uuid.UUID`` would
silently turn into a *different* UUID (surrounding whitespace, a sign, ``0x``, full-width digits).
``"-1"`` and ``"0"`` are not UUIDs either."""

BAD_JOB_IDS: tuple[Any, ...] = ("../admin", "1;DROP", "1/../../x", "%2e%2e", "", " 1", "1\n", "\uff11", 42)
"""Rechat import job ids are tokens of letters, digits, ``-`` and ``_`` (so ``"-1"`` is a valid spelling)."""

EP_EVENT = {"title": "x"}
AX_COMM = {"lead_id": 1, "method": "phone", "type": "outgoing"}
RC_TASK = {"title": "x", "due_date": 1, "task_type": "Todo"}
RC_ATTR = [{"attribute_type": "first_name", "text": "x"}]

Case = Callable[[Any, Any], Any]
ID_CASES: dict[str, dict[str, Case]] = {
    "estateprime": {
        "contacts.get": lambda c, bad: c.contacts.get(bad),
        "contacts.delete": lambda c, bad: c.contacts.delete(bad),
        "communications.get": lambda c, bad: c.communications.get(bad),
        "communications.delete": lambda c, bad: c.communications.delete(bad),
        "communications.list[contact_id]": lambda c, bad: c.communications.list(contact_id=bad),
        "communications.list[user_id]": lambda c, bad: c.communications.list(user_id=bad),
        "communications.list[channel]": lambda c, bad: c.communications.list(channel=bad),
        "communications.list_page[contact_id]": lambda c, bad: c.communications.list_page(1, contact_id=bad),
        "calendar.get": lambda c, bad: c.calendar.get(bad),
        "calendar.delete": lambda c, bad: c.calendar.delete(bad),
        "calendar.update": lambda c, bad: c.calendar.update(bad, EP_EVENT),
    },
    "activix": {
        "leads.get": lambda c, bad: c.leads.get(bad),
        "leads.update": lambda c, bad: c.leads.update(bad, {"first_name": "x"}),
        "leads.notes.create": lambda c, bad: c.leads.notes.create(bad, {"content": "x"}),
        "leads.notes.update[lead_id]": lambda c, bad: c.leads.notes.update(bad, 1, {"content": "x"}),
        "leads.notes.update[note_id]": lambda c, bad: c.leads.notes.update(1, bad, {"content": "x"}),
        "leads.emails.create[lead_id]": lambda c, bad: c.leads.emails.create({"lead_id": bad, "address": "a@b.co"}),
        "leads.emails.update": lambda c, bad: c.leads.emails.update(bad, {"type": "home"}),
        "leads.phones.create[lead_id]": lambda c, bad: c.leads.phones.create(
            {"lead_id": bad, "number": "+15145550199"}
        ),
        "leads.phones.update": lambda c, bad: c.leads.phones.update(bad, {"type": "home"}),
        "leads.vehicles.create[lead_id]": lambda c, bad: c.leads.vehicles.create({"lead_id": bad, "type": "wanted"}),
        "leads.vehicles.update": lambda c, bad: c.leads.vehicles.update(bad, {"type": "wanted"}),
        "communications.create[lead_id]": lambda c, bad: c.communications.create({**AX_COMM, "lead_id": bad}),
        "communications.create[wire.lead_id]": lambda c, bad: c.communications.create(
            Communication(lead_id=bad, method="phone", type="outgoing")
        ),
        "communications.update": lambda c, bad: c.communications.update(bad, AX_COMM),
        "communications.update[lead_id]": lambda c, bad: c.communications.update(1, {**AX_COMM, "lead_id": bad}),
        "communications.upload_recording": lambda c, bad: c.communications.upload_recording(bad, b"ID3"),
        "call_logs.update": lambda c, bad: c.call_logs.update(bad, {"duration": 3}),
        "screenpop[lead_id]": lambda c, bad: c.screenpop(lead_id=bad, user_id=1),
        "screenpop[user_id]": lambda c, bad: c.screenpop(lead_id=1, user_id=bad),
    },
    "rechat": {
        "tasks.get": lambda c, bad: c.tasks.get(bad),
        "tasks.update": lambda c, bad: c.tasks.update(bad, RC_TASK),
        "tasks.delete": lambda c, bad: c.tasks.delete(bad),
        "tasks.set_status": lambda c, bad: c.tasks.set_status(bad, "DONE"),
        "tasks.clone": lambda c, bad: c.tasks.clone(bad, RC_TASK),
        "tasks.associations.add_many": lambda c, bad: c.tasks.associations.add_many(bad, []),
        "tasks.search[assignee]": lambda c, bad: c.tasks.search(assignee=bad),
        "tasks.search[contact]": lambda c, bad: c.tasks.search(contact=bad),
        "tasks.search[deal]": lambda c, bad: c.tasks.search(deal=bad),
        "tasks.search[listing]": lambda c, bad: c.tasks.search(listing=bad),
        "tasks.search_page[contact]": lambda c, bad: c.tasks.search_page(contact=bad),
        "tasks.associations.list": lambda c, bad: c.tasks.associations.list(bad),
        "tasks.associations.add": lambda c, bad: c.tasks.associations.add(bad, {"association_type": "contact"}),
        "tasks.associations.remove[task_id]": lambda c, bad: c.tasks.associations.remove(bad, UUID),
        "tasks.associations.remove[association_id]": lambda c, bad: c.tasks.associations.remove(UUID, bad),
        "tasks.associations.remove_many[task_id]": lambda c, bad: c.tasks.associations.remove_many(bad, [UUID]),
        "tasks.associations.remove_many[association_ids]": lambda c, bad: c.tasks.associations.remove_many(UUID, [bad]),
        "contacts.get": lambda c, bad: c.contacts.get(bad),
        "contacts.update": lambda c, bad: c.contacts.update(bad, {"parked": True}),
        "contacts.delete": lambda c, bad: c.contacts.delete(bad),
        "contacts.list[ids]": lambda c, bad: c.contacts.list(ids=[bad]),
        "contacts.list[users]": lambda c, bad: c.contacts.list(users=[bad]),
        "contacts.list[excludes]": lambda c, bad: c.contacts.list(excludes=[bad]),
        "contacts.list[crm_tasks]": lambda c, bad: c.contacts.list(crm_tasks=[bad]),
        "contacts.list_page[ids]": lambda c, bad: c.contacts.list_page(ids=[bad]),
        "contacts.filter[ids]": lambda c, bad: c.contacts.filter(ids=[bad]),
        "contacts.filter_page[users]": lambda c, bad: c.contacts.filter_page(users=[bad]),
        "contacts.set_owner[contact_id]": lambda c, bad: c.contacts.set_owner(bad, UUID),
        "contacts.set_owner[user_id]": lambda c, bad: c.contacts.set_owner(UUID, bad),
        "contacts.set_touch": lambda c, bad: c.contacts.set_touch(bad, 3),
        "contacts.set_assignees[contact_id]": lambda c, bad: c.contacts.set_assignees(bad, [UUID]),
        "contacts.set_assignees[assignees]": lambda c, bad: c.contacts.set_assignees(UUID, [bad]),
        "contacts.set_assignees[assignees.user]": lambda c, bad: c.contacts.set_assignees(UUID, [{"user": bad}]),
        "contacts.bulk_update[ids]": lambda c, bad: c.contacts.bulk_update(ids=[bad], patch={"parked": True}),
        "contacts.bulk_update[contacts.id]": lambda c, bad: c.contacts.bulk_update(contacts=[{"id": bad}]),
        "contacts.bulk_delete": lambda c, bad: c.contacts.bulk_delete([bad]),
        "contacts.undelete": lambda c, bad: c.contacts.undelete(deleted_gte=0, ids=[bad]),
        "contacts.duplicates": lambda c, bad: c.contacts.duplicates(bad),
        "contacts.merge[contact_id]": lambda c, bad: c.contacts.merge(bad, [UUID]),
        "contacts.merge[sub_contacts]": lambda c, bad: c.contacts.merge(UUID, [bad]),
        "contacts.bulk_merge[parent]": lambda c, bad: c.contacts.bulk_merge({bad: [UUID]}),
        "contacts.bulk_merge[clusters]": lambda c, bad: c.contacts.bulk_merge({UUID: [bad]}),
        "contacts.import_csv[owner]": lambda c, bad: c.contacts.import_csv(b"a\n1\n", owner=bad),
        "contacts.import_xls[owner]": lambda c, bad: c.contacts.import_xls(b"x", owner=bad),
        "contacts.import_xlsx[owner]": lambda c, bad: c.contacts.import_xlsx(b"x", owner=bad),
        "contacts.import_uploaded[file_id]": lambda c, bad: c.contacts.import_uploaded(bad),
        "contacts.import_uploaded[owner]": lambda c, bad: c.contacts.import_uploaded(UUID, owner=bad),
        "contacts.attributes.add": lambda c, bad: c.contacts.attributes.add(bad, RC_ATTR),
        "contacts.attributes.update[contact_id]": lambda c, bad: c.contacts.attributes.update(bad, UUID, RC_ATTR[0]),
        "contacts.attributes.update[attribute_id]": lambda c, bad: c.contacts.attributes.update(UUID, bad, RC_ATTR[0]),
        "contacts.attributes.delete[contact_id]": lambda c, bad: c.contacts.attributes.delete(bad, UUID),
        "contacts.attributes.delete[attribute_id]": lambda c, bad: c.contacts.attributes.delete(UUID, bad),
        "contacts.attributes.bulk_add": lambda c, bad: c.contacts.attributes.bulk_add([bad], RC_ATTR),
        "contacts.attributes.bulk_delete": lambda c, bad: c.contacts.attributes.bulk_delete([bad]),
        "contacts.attribute_defs.get": lambda c, bad: c.contacts.attribute_defs.get(bad),
        "contacts.attribute_defs.update": lambda c, bad: c.contacts.attribute_defs.update(bad, {"label": "x"}),
        "contacts.attribute_defs.delete": lambda c, bad: c.contacts.attribute_defs.delete(bad),
        "contacts.get_job": lambda c, bad: c.contacts.get_job(bad),
    },
}
"""Every client method that takes an id, with the bad id in each id position in turn (``[name]``)."""

BAD_IDS = {"estateprime": BAD_INT_IDS, "activix": BAD_INT_IDS, "rechat": BAD_UUIDS}
_ID_NAMES = frozenset({"ident", "ids", "owner", "assignees", "sub_contacts", "clusters"})


def _takes_an_id(parameter: inspect.Parameter) -> bool:
    name = parameter.name
    return name in _ID_NAMES or name.endswith(("_id", "_ids"))


def id_methods(client: Any) -> set[str]:
    """``resource.method`` of every public method (of the CRM's own classes) with an id-like parameter."""
    found: set[str] = set()

    def walk(obj: Any, prefix: str, own: set[str]) -> None:
        for name in own:
            if not name.startswith("_") and any(
                map(_takes_an_id, inspect.signature(getattr(obj, name)).parameters.values())
            ):
                found.add(prefix + name)
        for name, value in vars(obj).items():
            if not name.startswith("_") and hasattr(value, "_c"):  # a resource namespace
                walk(value, f"{prefix}{name}.", {n for n in dir(type(value)) if callable(getattr(value, n))})

    base = set(dir(type(client).__mro__[1]))
    walk(client, "", {n for n in dir(type(client)) if n not in base and callable(getattr(client, n))})
    return found


def recording_client(client_class: type[Any]) -> tuple[Any, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(418, json={"message": "should not have been sent"})

    options: dict[str, Any] = {"token": "t", "transport": httpx.MockTransport(handler)}
    if SYSTEM_OF[client_class] == "estateprime":
        options["base_url"] = "https://crm.example"
    if SYSTEM_OF[client_class] == "activix":
        options["rate_limit"] = None
    return client_class(**options), sent


@pytest.mark.parametrize("client_class", ALL_CLIENTS, ids=lambda c: c.__name__)
def test_id_cases_cover_every_method_that_takes_an_id(client_class: type[Any]) -> None:
    """The table below names every client method with an id parameter (found by introspection), and only real ones."""
    client, _ = recording_client(client_class)
    cases = {name.partition("[")[0] for name in ID_CASES[SYSTEM_OF[client_class]]}
    assert id_methods(client) <= cases
    for name in cases:
        target = client
        for part in name.split("."):
            target = getattr(target, part)
        assert callable(target), name


def refusal(call: Case, client: Any, bad: Any) -> InvalidIdError | None:
    """The InvalidIdError ``call`` raised, or None when it sent a request (what it returned is run)."""
    try:
        asyncio.run(drain(call(client, bad)))
    except InvalidIdError as error:
        return error
    except APIStatusError:
        return None
    return None


@pytest.mark.parametrize(
    ("client_class", "case"),
    [(cls, case) for cls in ALL_CLIENTS for case in ID_CASES[SYSTEM_OF[cls]]],
    ids=lambda value: value.__name__ if isinstance(value, type) else value,
)
def test_bad_ids_are_refused_before_any_request(client_class: type[Any], case: str) -> None:
    """Every malformed id in this position raises InvalidIdError and no request is sent."""
    system = SYSTEM_OF[client_class]
    bad_ids = BAD_JOB_IDS if case == "contacts.get_job" else BAD_IDS[system]
    client, sent = recording_client(client_class)
    refusals = {repr(bad): refusal(ID_CASES[system][case], client, bad) for bad in bad_ids}
    assert [bad for bad, error in refusals.items() if error is None] == []
    assert sent == []
    assert all("../admin" not in str(error) for error in refusals.values()), "a refusal does not quote the id"


@pytest.mark.parametrize("client_class", [RechatClient, AsyncRechatClient], ids=lambda c: c.__name__)
def test_a_rechat_brand_that_is_not_a_uuid_is_refused_at_construction(client_class: type[Any]) -> None:
    """The brand goes in a header: one that is not a UUID is refused when the client is built."""
    for bad in ("../admin", "1;DROP", "42", f" {UUID}", "x\r\nX-Evil: 1"):
        with pytest.raises(InvalidIdError):
            client_class(token="t", brand=bad)


@pytest.mark.parametrize("client_class", [RechatClient, AsyncRechatClient], ids=lambda c: c.__name__)
def test_rechat_tag_names_stay_one_path_segment(client_class: type[Any]) -> None:
    """Tag names are free text, not ids: dot segments are refused, anything else is sent as one encoded segment."""
    client, sent = recording_client(client_class)
    for bad in (".", "..", " .. "):
        assert refusal(lambda c, tag: c.contacts.tags.delete(tag), client, bad) is not None
    assert sent == []
    for tag in ("../admin", "a/b", "%2e%2e", "1;DROP"):
        with pytest.raises(APIStatusError):
            asyncio.run(drain(client.contacts.tags.delete(tag)))
    assert [request.url.raw_path.split(b"/")[:3] for request in sent] == [[b"", b"contacts", b"tags"]] * 4
    assert all(len(request.url.raw_path.split(b"/")) == 4 for request in sent)


def _example_records(system: str) -> dict[str, crmbridge.Record]:
    adapter = crmbridge.get_adapter(system)
    records: dict[str, crmbridge.Record] = {}
    for kind, _name, payload in example_payloads(adapter.system, frozenset(adapter.kinds)):
        if kind not in records:
            try:
                record = adapter.to_canonical(kind, payload)
            except MappingError:
                continue
            if record.ref is not None:
                records[kind] = record
    return records


UNSUPPORTED = {
    ("estateprime", "update", "contact"),
    ("estateprime", "update", "activity"),
    ("rechat", "delete", "task"),
    ("activix", "delete", "contact"),
    ("activix", "delete", "activity"),
    ("activix", "get", "activity"),
}
"""Operations the CRM does not document at all: refused as UnsupportedOperation (or InvalidIdError), unsent."""


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("crm", CRMS)
def test_connection_get_update_delete_refuse_bad_ids_before_any_request(crm: str, asynchronous: bool) -> None:
    """Connection.get/update/delete with a malformed id (plain or in a Ref) send nothing, not even lookups."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(418, json={}))
    records = _example_records(crm)
    assert set(records) == crmbridge.get_adapter(crm).kinds
    bad_ids = [bad for bad in BAD_IDS[crm] if isinstance(bad, str) and bad]
    connection = open_connection(crm, asynchronous, base_url="https://crm.example", token="t", transport=transport)
    wrong: list[tuple[str, str, Any, str]] = []
    for kind, record in records.items():
        assert record.ref is not None
        for bad in bad_ids:
            ref = Ref(crm, record.ref.kind, bad)
            attempts: dict[str, Callable[[], Any]] = {
                "get": lambda ident=bad, kind=kind: connection.get(kind, ident),
                "get-ref": lambda ref=ref, kind=kind: connection.get(kind, ref),
                "update": lambda ref=ref, record=record: connection.update(record, ref=ref),
                "delete": lambda ref=ref: connection.delete(ref),
            }
            for operation, attempt in attempts.items():
                allowed: tuple[type[Exception], ...] = (InvalidIdError,)
                if (crm, operation.partition("-")[0], kind) in UNSUPPORTED:
                    allowed = (InvalidIdError, UnsupportedOperation)
                try:
                    asyncio.run(done(attempt()))
                except allowed:
                    continue
                except CrmBridgeError as error:
                    wrong.append((operation, kind, bad, type(error).__name__))
                else:
                    wrong.append((operation, kind, bad, "accepted"))
    asyncio.run(close(connection))
    assert wrong == []
    assert sent == []


# -- TLS ---------------------------------------------------------------------------------------------


def ssl_context(http: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    """The SSL context httpx's default transport opens connections with."""
    context: ssl.SSLContext = http._transport._pool._ssl_context  # type: ignore[union-attr]
    return context


def _client_options(**extra: Any) -> dict[str, Any]:
    return {"token": "t", "base_url": "https://crm.example", **extra}


@pytest.mark.parametrize("client_class", ALL_CLIENTS, ids=lambda c: c.__name__)
def test_every_client_verifies_tls_by_default(client_class: type[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Certificates and host names are checked by default, whatever the environment says; only verify=False stops it."""
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")
    monkeypatch.setenv("CURL_CA_BUNDLE", "")  # requests reads "" as "do not verify"; httpx must not
    default = ssl_context(client_class(**_client_options())._http)
    assert (default.verify_mode, default.check_hostname) == (ssl.CERT_REQUIRED, True)
    explicit = ssl_context(client_class(**_client_options(verify=False))._http)
    assert (explicit.verify_mode, explicit.check_hostname) == (ssl.CERT_NONE, False)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("crm", CRMS)
def test_connections_verify_tls_by_default(crm: str, asynchronous: bool) -> None:
    """connect() and connect_async() build clients that verify TLS; verify=False is the only way off."""
    connection = open_connection(crm, asynchronous, base_url="https://crm.example", token="t")
    default = ssl_context(connection.backend.client._http)
    asyncio.run(close(connection))
    assert (default.verify_mode, default.check_hostname) == (ssl.CERT_REQUIRED, True)
    unverified = open_connection(crm, asynchronous, base_url="https://crm.example", token="t", verify=False)
    assert ssl_context(unverified.backend.client._http).verify_mode == ssl.CERT_NONE
    asyncio.run(close(unverified))


@pytest.mark.parametrize("client_class", [ActivixClient, AsyncActivixClient, RechatClient, AsyncRechatClient])
def test_default_hosts_are_https(client_class: type[Any]) -> None:
    """The CRMs with a public host default to it over HTTPS."""
    assert client_class(token="t").base_url.startswith("https://")


def test_the_call_vocabulary_is_exercised() -> None:
    """Sanity check of the helpers: a refused call, a pager and an awaited call are told apart correctly."""
    client, sent = recording_client(ActivixClient)
    assert isinstance(refusal(ID_CASES["activix"]["leads.get"], client, "../admin"), InvalidIdError)
    assert refusal(ID_CASES["activix"]["leads.get"], client, "7") is None
    assert len(sent) == 1
    assert sent[0].url.path == "/v2/leads/7"
