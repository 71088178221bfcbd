"""The shared sandbox machinery: document store, fault injection, token bucket, transport."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmbridge.sandbox import (
    DEFAULT_TOKEN,
    DocumentStore,
    FaultConfig,
    FaultInjector,
    SandboxTransport,
    SeedData,
    TokenBucket,
    bearer_token_matches,
    make_sandbox,
    read_json_body,
    wrap_with_faults,
)


async def _echo(request: Request) -> JSONResponse:
    if not bearer_token_matches(request, DEFAULT_TOKEN):
        return JSONResponse({"message": "Unauthenticated."}, status_code=401)
    return JSONResponse({"method": request.method, "body": await read_json_body(request)})


ECHO = Starlette(routes=[Route("/echo", _echo, methods=["GET", "POST"])])
AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}


def test_store_keeps_insertion_order_and_replaces_in_place() -> None:
    """Documents come back in insertion order; a replaced one keeps its place."""
    store = DocumentStore()
    for ident in ("a", "b", "c"):
        store.put("things", ident, {"id": ident})
    store.put("things", "a", {"id": "a", "v": 2})
    assert [d["id"] for d in store.scan("things")] == ["a", "b", "c"]
    assert store.get("things", "a") == {"id": "a", "v": 2}
    assert store.delete("things", "b") is True
    assert store.delete("things", "b") is False
    assert store.count("things") == 2
    assert store.get("nothing", "x") is None


def test_store_integer_ids_are_never_reused() -> None:
    """Integer ids keep growing after a delete."""
    store = DocumentStore()
    first = store.next_int_id("contacts")
    store.put("contacts", str(first), {})
    store.delete("contacts", str(first))
    assert store.next_int_id("contacts") == first + 1


def test_sqlite_store_survives_a_restart(tmp_path: Path) -> None:
    """With a file, documents, order, deletes and id counters are all there after reopening."""
    path = tmp_path / "state.db"
    store = DocumentStore(path)
    assert store.persistent
    for _ in range(3):
        ident = store.next_int_id("c")
        store.put("c", str(ident), {"id": ident})
    store.put("c", "1", {"id": 1, "name": "changed"})
    store.delete("c", "2")
    store.close()
    reopened = DocumentStore(path)
    assert list(reopened.scan("c")) == [{"id": 1, "name": "changed"}, {"id": 3}]
    assert reopened.next_int_id("c") == 4
    reopened.close()


def test_token_bucket_allows_the_rate_and_refuses_beyond() -> None:
    """A bucket of 5/s lets 5 requests through at once, refuses the 6th, and refills with time."""
    now = [0.0]
    bucket = TokenBucket(5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    now[0] += 0.2
    assert bucket.take() is True
    assert bucket.take() is False


def test_fault_config_refuses_nonsense() -> None:
    """Out-of-range knobs are refused when the config is built."""
    for bad in ({"error_rate": 1.5}, {"latency_ms": -1}, {"rate_limit": 0}, {"kinds": ("teapot",)}, {"kinds": ()}):
        with pytest.raises(ValueError):
            FaultConfig(**bad)  # type: ignore[arg-type]


def test_transport_serves_sync_and_async_clients() -> None:
    """The same in-process transport answers a sync and an async client, JSON body on GET included."""
    transport = SandboxTransport(ECHO)
    with httpx.Client(transport=transport, base_url="http://sandbox") as client:
        response = client.request("GET", "/echo", json={"page": 2}, headers=AUTH)
    assert response.json() == {"method": "GET", "body": {"page": 2}}

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=SandboxTransport(ECHO), base_url="http://sandbox") as client:
            return await client.post("/echo", headers=AUTH)

    assert asyncio.run(call()).json() == {"method": "POST", "body": None}


def test_missing_token_is_refused() -> None:
    """Without the bearer token the sandbox answers 401."""
    with httpx.Client(transport=SandboxTransport(ECHO), base_url="http://sandbox") as client:
        assert client.get("/echo").status_code == 401
        assert client.get("/echo", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_faults_surface_as_real_network_errors() -> None:
    """Every injected fault kind reaches the client as a status, an httpx error or a broken body."""
    app, injector = wrap_with_faults(ECHO, FaultConfig(error_rate=1.0, seed=3))
    assert isinstance(injector, FaultInjector)
    seen: Counter[str] = Counter()
    with httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox") as client:
        for _ in range(60):
            try:
                response = client.get("/echo", headers=AUTH)
            except httpx.RemoteProtocolError:
                seen["drop"] += 1
            except httpx.ReadTimeout:
                seen["timeout"] += 1
            else:
                if response.status_code == 200:
                    with pytest.raises(ValueError):
                        response.json()
                    seen["truncate"] += 1
                else:
                    seen[str(response.status_code)] += 1
                    if response.status_code == 429:
                        assert response.headers["retry-after"] == "1"
    assert seen == Counter(injector.injected)
    assert set(seen) == {"429", "500", "503", "drop", "timeout", "truncate"}


def test_rate_limit_answers_429_with_retry_after() -> None:
    """Over the configured requests/s the sandbox answers 429 with Retry-After."""
    app, injector = wrap_with_faults(ECHO, FaultConfig(rate_limit=3))
    with httpx.Client(transport=SandboxTransport(app), base_url="http://sandbox") as client:
        statuses = [client.get("/echo", headers=AUTH).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses[3:]
    assert injector is not None
    assert injector.injected["rate_limited"] >= 1


def test_no_faults_means_no_injector() -> None:
    """Without a fault config the app is served as it is."""
    assert wrap_with_faults(ECHO, None) == (ECHO, None)


def test_seed_data_is_deterministic() -> None:
    """The same seed gives the same people, numbers and instants."""
    a, b = SeedData(7), SeedData(7)
    assert [a.first_name(), a.phone_e164(), a.instant()] == [b.first_name(), b.phone_e164(), b.instant()]
    assert a.phone_e164().startswith("+1")


def test_unknown_sandbox_is_a_value_error() -> None:
    """Asking for the sandbox of an unknown system is a ValueError."""
    with pytest.raises(ValueError, match="no sandbox"):
        make_sandbox("nope")


def test_serve_in_thread_answers_over_loopback_and_stops() -> None:
    """A sandbox served in a thread answers real HTTP on 127.0.0.1 and stops when the block ends."""
    from crmbridge.sandbox import Sandbox, serve_in_thread

    sandbox = Sandbox(system="echo", app=ECHO, store=DocumentStore())
    with serve_in_thread(sandbox) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base_url}/echo", headers=AUTH)
        assert response.json() == {"method": "GET", "body": None}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/echo", headers=AUTH)


def test_serving_outside_loopback_is_refused() -> None:
    """Sandboxes never listen on a non-loopback address."""
    from crmbridge.sandbox import Sandbox, serve, serve_in_thread

    sandbox = Sandbox(system="echo", app=ECHO, store=DocumentStore())
    with pytest.raises(ValueError, match="loopback only"):
        serve(sandbox, host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback only"), serve_in_thread(sandbox, host="10.0.0.1"):
        pass


def test_lost_fault_applies_the_request_then_drops_the_answer() -> None:
    """A `lost` fault runs the request in the app, then the client sees only a dropped connection."""
    calls: list[str] = []

    async def record(request: Request) -> JSONResponse:
        calls.append(request.method)
        return JSONResponse({"created_id": 1})

    app = Starlette(routes=[Route("/things", record, methods=["POST"])])
    faulty, _ = wrap_with_faults(app, FaultConfig(error_rate=1.0, kinds=("lost",)))
    with (
        httpx.Client(transport=SandboxTransport(faulty), base_url="http://sandbox") as client,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        client.post("/things", json={})
    assert calls == ["POST"]


def test_truncate_fault_applies_the_request_and_cuts_its_answer_in_half() -> None:
    """A `truncate` fault runs the request, keeps its status and sends the first half of its body."""
    calls: list[str] = []

    async def record(request: Request) -> JSONResponse:
        calls.append(request.method)
        return JSONResponse({"created_id": 12345, "name": "a long enough name"}, status_code=201)

    app = Starlette(routes=[Route("/things", record, methods=["POST"])])
    faulty, _ = wrap_with_faults(app, FaultConfig(error_rate=1.0, kinds=("truncate",)))
    with httpx.Client(transport=SandboxTransport(faulty), base_url="http://sandbox") as client:
        response = client.post("/things", json={})
    whole = b'{"created_id":12345,"name":"a long enough name"}'
    assert (calls, response.status_code) == (["POST"], 201)
    assert response.content == whole[: len(whole) // 2]


def test_a_transaction_keeps_all_of_its_writes_or_none(tmp_path: Path) -> None:
    """Writes in a store transaction reach the file together; one that fails leaves neither file nor memory changed."""
    from crmbridge.sandbox import DocumentStore

    path = tmp_path / "store.db"
    store = DocumentStore(path)
    with store.transaction():
        store.put("leads", "1", {"id": 1})
        with store.transaction():  # nested: joins the outer one
            store.put("phones", "1", {"lead_id": 1})

    def write_two_then_fail() -> None:
        with store.transaction():
            store.put("leads", "2", {"id": 2})
            store.put("phones", "2", {"lead_id": 2})
            raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        write_two_then_fail()
    assert [d["id"] for d in store.scan("leads")] == [1]
    assert store.count("phones") == 1
    store.close()
    reopened = DocumentStore(path)
    assert ([d["id"] for d in reopened.scan("leads")], reopened.count("phones")) == ([1], 1)
    reopened.close()
