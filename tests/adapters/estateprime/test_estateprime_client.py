"""The EstatePrime clients against the in-process sandbox, every exchange checked against the OpenAPI file."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient, EstatePrimeClient
from crmbridge.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    InvalidIdError,
    MappingError,
    NotFoundError,
    UnprocessableRequestError,
)
from crmbridge.http import AsyncPager
from crmbridge.sandbox import FaultConfig, Sandbox
from crmbridge.sandbox._faults import FaultKind
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.estateprime import make_sandbox

CONTRACT = OpenAPIContract(openapi_path("estateprime"))
ALL_FAULTS: tuple[FaultKind, ...] = ("500", "503", "429", "drop", "timeout", "truncate")
BAD_IDS: list[Any] = ["../admin", "1;DROP", "-1", 0, -1, "", "1.5", True]
EVENT = wire.Event(
    date_starting=datetime(2025, 3, 1, 10, 0, 0),
    date_ending=datetime(2025, 3, 1, 11, 0, 0),
    title="Viewing",
    tags=[1, 2],
    contacts=[3],
)
COMMUNICATION = wire.Communication(
    channel=1,
    user_id=3,
    contact_id=45,
    store_id=2,
    type="outgoing",
    communication_date=datetime(2025, 3, 12, 9, 30, 0),
    comments="Discussed a viewing.",
    tags=[4],
)


class Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a transport: counts requests and the most that were in flight at once."""

    def __init__(self, inner: Any, delay: float = 0.0) -> None:
        self.inner = inner
        self.delay = delay
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)  # keeps requests in flight long enough to overlap
            response: httpx.Response = await self.inner.handle_async_request(request)
            return response
        finally:
            self.in_flight -= 1


def contract_transport(sandbox: Sandbox) -> ContractTransport:
    """The sandbox's transport, validating every request and response (the OpenAPI paths start with /api)."""
    return ContractTransport(sandbox.transport(), CONTRACT)


def make_client(sandbox: Sandbox, asynchronous: bool, transport: Any = None, **options: Any) -> Any:
    """A sync or async client of the sandbox (options override the sandbox's)."""
    merged = {**sandbox.client_options(), "transport": transport or contract_transport(sandbox), **options}
    return AsyncEstatePrimeClient(**merged) if asynchronous else EstatePrimeClient(**merged)


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one: one scenario drives both twins."""
    return await value if inspect.isawaitable(value) else value


async def collect(pager: Any) -> list[Any]:
    """Every item of a SyncPager or an AsyncPager."""
    if isinstance(pager, AsyncPager):
        return [item async for item in pager]
    return list(pager)


def run(scenario: Any) -> Any:
    """Run an async scenario to its end."""
    return asyncio.run(scenario)


def stored(sandbox: Sandbox, collection: str) -> list[dict[str, Any]]:
    """The sandbox's records of ``collection`` in id order (the expected answers)."""
    return list(sandbox.store.scan(collection))


@pytest.fixture
def sandbox() -> Sandbox:
    """A sandbox with 120 contacts and communications (three pages) and 60 events."""
    return make_sandbox(seed_records=120, seed=5)


# -- every documented operation, through both twins ----------------------------------------------


async def tour(c: Any) -> dict[str, Any]:
    """Call each of the 23 documented operations once; what came back, for assertions."""
    out: dict[str, Any] = {}
    contact = await done(c.contacts.create(wire.Contact(first_name="Ada", last_name="Lovelace", tags=[1])))
    out["contact"] = await done(c.contacts.get(contact.created_id))
    out["contacts"] = await done(c.contacts.list_page(2, date_created=(None, "2100-01-01 00:00:00")))
    out["sources"] = await done(c.contacts.sources())
    out["contact_tags"] = await done(c.contacts.tags())
    out["contact_fields"] = await done(c.contacts.custom_fields())
    out["contact_deleted"] = await done(c.contacts.delete(contact.created_id))
    comm = await done(c.communications.create(COMMUNICATION))
    out["communication"] = await done(c.communications.get(comm.created_id))
    out["communications"] = await done(c.communications.list_page(type="outgoing", channel=1))
    out["channels"] = await done(c.communications.channels())
    out["communication_tags"] = await done(c.communications.tags())
    out["communication_fields"] = await done(c.communications.custom_fields())
    out["communication_deleted"] = await done(c.communications.delete(str(comm.created_id)))
    event = await done(c.calendar.create(EVENT))
    out["event"] = await done(c.calendar.get(event.created_id))
    out["patched"] = await done(c.calendar.update(event.created_id, {"title": "Second viewing", "tags": None}))
    out["events"] = await done(c.calendar.list_page(date_starting={"min": "2025-03-01 00:00:00", "max": None}))
    out["categories"] = await done(c.calendar.categories())
    out["statuses"] = await done(c.calendar.statuses())
    out["event_tags"] = await done(c.calendar.tags())
    out["event_fields"] = await done(c.calendar.custom_fields())
    out["event_deleted"] = await done(c.calendar.delete(event.created_id))
    return out


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_every_documented_operation_is_exercised(sandbox: Sandbox, asynchronous: bool) -> None:
    """Both twins call all 23 documented operations, each exchange valid against the contract."""
    transport = contract_transport(sandbox)
    client = make_client(sandbox, asynchronous, transport)
    out = run(tour(client))
    assert transport.seen == set(CONTRACT.operations())
    assert len(transport.seen) == 23
    assert out["contact"].first_name == "Ada"
    assert out["contact"].tags == [1]
    assert out["contact_deleted"].deleted_id == out["contact"].id
    assert out["communication"].comments == "Discussed a viewing."
    assert out["communication"].communication_date == datetime(2025, 3, 12, 9, 30, 0)
    assert all(c.type == "outgoing" and c.channel == 1 for c in out["communications"].items)
    assert [ch.type for ch in out["channels"]] == ["phone", "email", "sms"]
    assert out["event"].title == "Viewing"
    assert out["event"].tags == [1, 2]
    assert out["patched"].title == "Second viewing"
    assert out["patched"].tags == []
    assert out["patched"].date_starting == datetime(2025, 3, 1, 10, 0, 0)
    assert isinstance(out["sources"][0], wire.NamedItem)
    assert isinstance(out["event_fields"][0], wire.CustomFieldDefinition)
    assert out["contacts"].items[0].id == 51


# -- paging --------------------------------------------------------------------------------------


def test_sync_list_pages_through_every_record(sandbox: Sandbox) -> None:
    """The sync pager walks three pages of 50 and returns every contact once, in id order."""
    client = make_client(sandbox, False)
    pages = list(client.contacts.list().pages())
    assert [len(p.items) for p in pages] == [50, 50, 20]
    assert [p.next_cursor for p in pages] == [2, 3, None]
    assert [c.id for c in client.contacts.list()] == [r["id"] for r in stored(sandbox, "contacts")]


@pytest.mark.parametrize("concurrency", [1, 2, 4])
def test_async_lister_is_concurrent_bounded_and_ordered(concurrency: int) -> None:
    """The async lister fetches pages 2..N with at most N requests in flight and yields in id order."""
    sandbox = make_sandbox(seed_records=400, seed=2)
    counting = Counting(contract_transport(sandbox), delay=0.01)
    client = make_client(sandbox, True, counting, concurrency=concurrency)

    async def scenario() -> list[int]:
        return [c.id async for c in client.contacts.list()]

    ids = run(scenario())
    expected = [r["id"] for r in stored(sandbox, "contacts")]
    assert len(expected) > 300
    assert ids == expected
    assert len(counting.requests) == -(-len(expected) // 50)
    assert counting.max_in_flight == concurrency


def test_async_list_concurrency_per_call_and_page_level_access(sandbox: Sandbox) -> None:
    """``list(concurrency=2)`` overrides the constructor's, and ``.pages()`` gives the pages in order."""
    counting = Counting(contract_transport(sandbox), delay=0.01)
    client = make_client(sandbox, True, counting)

    async def scenario() -> list[list[int]]:
        return [[c.id for c in page.items] async for page in client.communications.list(concurrency=2).pages()]

    pages = run(scenario())
    assert [len(p) for p in pages] == [50, 50, 20]
    assert pages[1][0] == 51
    assert counting.max_in_flight == 2


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_page_beyond_the_end_is_empty(sandbox: Sandbox, asynchronous: bool) -> None:
    """A page past the last one has no items and no next page."""
    client = make_client(sandbox, asynchronous)
    page = run(done(client.calendar.list_page(9)))
    assert page.items == []
    assert page.next_cursor is None
    assert page.total == 60


# -- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_communication_filters_go_as_a_json_body(sandbox: Sandbox, asynchronous: bool) -> None:
    """type, channel, contact_id, user_id and the date ranges select what the sandbox's data says."""
    client = make_client(sandbox, asynchronous)
    records = stored(sandbox, "communication")
    pick = records[7]
    low, high = "2024-06-01 00:00:00", "2025-01-01 00:00:00"
    found = run(collect(client.communications.list(type="incoming", channel=pick["channel"])))
    by_contact = run(collect(client.communications.list(contact_id=pick["contact_id"], user_id=pick["user_id"])))
    by_date = run(collect(client.communications.list(communication_date=(low, high), date_created=(low, None))))
    assert [c.id for c in found] == [
        r["id"] for r in records if r["type"] == "incoming" and r["channel"] == pick["channel"]
    ]
    assert pick["id"] in [c.id for c in by_contact]
    assert {c.contact_id for c in by_contact} == {pick["contact_id"]}
    expected = [r["id"] for r in records if low <= r["communication_date"] <= high and r["date_created"] >= low]
    assert [c.id for c in by_date] == expected
    assert expected


def test_aware_datetimes_are_sent_in_the_account_timezone() -> None:
    """An aware bound becomes the account's local wall time; a lower bound with a fraction rounds up."""
    sandbox = make_sandbox(seed_records=60, seed=4, timezone="Europe/Athens")
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, False, counting)
    since = datetime(2024, 7, 1, 9, 0, 0, 500_000, tzinfo=UTC)
    events = list(client.calendar.list(date_starting=(since, datetime(2024, 12, 1, tzinfo=UTC))))
    body = json.loads(counting.requests[0].read())
    assert body == {"date_starting": {"min": "2024-07-01 12:00:01", "max": "2024-12-01 02:00:00"}, "page": 1}
    expected = [
        r["id"]
        for r in stored(sandbox, "calendar")
        if "2024-07-01 12:00:01" <= r["date_starting"] <= "2024-12-01 02:00:00"
    ]
    assert [e.id for e in events] == expected
    assert expected


def test_filters_are_checked_before_any_request(sandbox: Sandbox) -> None:
    """Unknown filters, bad range shapes and bad ids in filters fail without a request."""
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, False, counting)
    with pytest.raises(TypeError, match="updated"):
        client.contacts.list_page(updated=("2024-01-01 00:00:00", None))
    with pytest.raises(TypeError, match="channel"):
        client.calendar.list_page(channel=1)
    with pytest.raises(ValueError, match=r"date_created\.min"):
        client.contacts.list_page(date_created=("2024-01-01", None))
    with pytest.raises(ValueError, match="min and max"):
        client.contacts.list_page(date_created={"min": None})
    with pytest.raises(InvalidIdError):
        client.communications.list_page(contact_id="../admin")
    with pytest.raises(ValueError, match="page"):
        client.contacts.list_page(0)
    assert counting.requests == []


# -- retries and faults --------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_full_listing_survives_faults(asynchronous: bool) -> None:
    """With 30% of requests failing every way, a full listing still returns every record exactly once."""
    sandbox = make_sandbox(seed_records=500, seed=9, faults=FaultConfig(error_rate=0.3, kinds=ALL_FAULTS, seed=21))
    client = make_client(sandbox, asynchronous)
    ids = [c.id for c in run(collect(client.communications.list()))]
    assert ids == [r["id"] for r in stored(sandbox, "communication")]
    assert sandbox.faults is not None
    assert sum(sandbox.faults.injected.values()) >= 3


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("kind", ["500", "503", "drop", "timeout", "truncate", "lost"])
def test_create_after_an_ambiguous_failure_is_not_retried(kind: str, asynchronous: bool) -> None:
    """A create failing after it was sent raises AmbiguousWriteError after a single attempt."""
    sandbox = make_sandbox(faults=FaultConfig(error_rate=1.0, kinds=(kind,), seed=1))  # type: ignore[arg-type]
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, asynchronous, counting)
    with pytest.raises(AmbiguousWriteError) as caught:
        run(done(client.calendar.create(EVENT)))
    assert len(counting.requests) == 1
    assert "may or may not have been applied" in str(caught.value)
    # "lost" and "truncate" apply the create before the answer breaks: a blind retry would duplicate it.
    assert sandbox.store.count("calendar") == (1 if kind in ("lost", "truncate") else 0)


def test_rate_limited_create_is_retried() -> None:
    """A 429 proves the create was not applied, so it is sent again and succeeds."""
    sandbox = make_sandbox(faults=FaultConfig(error_rate=0.5, kinds=("429",), seed=3))
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, False, counting)
    created = [client.calendar.create(EVENT).created_id for _ in range(4)]
    assert created == [1, 2, 3, 4]
    assert len(counting.requests) > 4


def test_client_rate_limit_spaces_requests(sandbox: Sandbox) -> None:
    """``rate_limit=20`` spaces six requests over at least a quarter of a second."""
    client = make_client(sandbox, False, rate_limit=20)
    started = time.monotonic()
    for _ in range(6):
        client.contacts.tags()
    assert time.monotonic() - started >= 0.24


# -- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_wrong_token_is_an_authentication_error_without_the_token(sandbox: Sandbox, asynchronous: bool) -> None:
    """401 raises AuthenticationError; neither the token nor the client's repr shows it."""
    secret = "s3cr3t-token-value"
    client = make_client(sandbox, asynchronous, token=secret)
    with pytest.raises(AuthenticationError) as caught:
        run(done(client.contacts.get(1)))
    assert caught.value.status_code == 401
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in repr(client)
    assert "***" in repr(client)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_unknown_id_is_not_found(sandbox: Sandbox, asynchronous: bool) -> None:
    """404 raises NotFoundError naming the URL."""
    client = make_client(sandbox, asynchronous)
    with pytest.raises(NotFoundError) as caught:
        run(done(client.communications.get(99999)))
    assert caught.value.status_code == 404
    assert caught.value.url.endswith("/api/communication/99999")


def test_bad_filter_value_is_a_400_validation_error(sandbox: Sandbox) -> None:
    """A date that has the right shape but does not exist answers 400, the field named."""
    client = make_client(sandbox, False)
    with pytest.raises(UnprocessableRequestError) as caught:
        client.contacts.list_page(date_created=("2025-02-30 10:00:00", None))
    assert caught.value.status_code == 400
    assert "date_created.min" in str(caught.value)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_refused_create_is_a_422_validation_error(sandbox: Sandbox, asynchronous: bool) -> None:
    """An event ending before it starts answers 422, the field named, and is not ambiguous."""
    client = make_client(sandbox, asynchronous)
    backwards = {"date_starting": "2025-03-01 12:00:00", "date_ending": "2025-03-01 11:00:00"}
    with pytest.raises(UnprocessableRequestError) as caught:
        run(done(client.calendar.create(backwards)))
    assert caught.value.status_code == 422
    assert "date_ending" in str(caught.value)


ID_CALLS = [
    ("contacts.get", lambda c, i: c.contacts.get(i)),
    ("contacts.delete", lambda c, i: c.contacts.delete(i)),
    ("communications.get", lambda c, i: c.communications.get(i)),
    ("communications.delete", lambda c, i: c.communications.delete(i)),
    ("calendar.get", lambda c, i: c.calendar.get(i)),
    ("calendar.update", lambda c, i: c.calendar.update(i, {"title": "x"})),
    ("calendar.delete", lambda c, i: c.calendar.delete(i)),
]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
@pytest.mark.parametrize(("name", "call"), ID_CALLS, ids=[name for name, _ in ID_CALLS])
def test_bad_ids_are_refused_before_any_request(
    sandbox: Sandbox, asynchronous: bool, bad: Any, name: str, call: Any
) -> None:
    """Ids that are not positive integers raise InvalidIdError and nothing is sent."""
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, asynchronous, counting)
    with pytest.raises(InvalidIdError):
        run(done(call(client, bad)))
    assert counting.requests == []


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_malformed_answer_is_a_mapping_error(asynchronous: bool) -> None:
    """A record whose id is not an integer raises MappingError naming the field."""

    def answer(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": 200, "data": {"id": "x", "first_name": "Ada"}})

    options: dict[str, Any] = {
        "base_url": "https://crm.example",
        "token": "t",
        "transport": httpx.MockTransport(answer),
    }
    client = AsyncEstatePrimeClient(**options) if asynchronous else EstatePrimeClient(**options)
    with pytest.raises(MappingError) as caught:
        run(done(client.contacts.get(1)))
    assert caught.value.path == "data.id"


def test_base_url_is_required_and_paths_are_below_it() -> None:
    """Without base_url the client cannot be built; with it, operations are ``api/...`` below it."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"status": 200, "data": []})

    with pytest.raises(TypeError):
        EstatePrimeClient(token="t")  # type: ignore[call-arg]
    client = EstatePrimeClient(base_url="https://crm.example/", token="t", transport=httpx.MockTransport(answer))
    assert client.contacts.sources() == []
    assert seen == ["https://crm.example/api/contacts/sources"]


def test_create_leaves_out_unset_fields_and_update_keeps_nulls(sandbox: Sandbox) -> None:
    """A wire object's None fields are not sent on create; a mapping's null (clear tags) is sent on PATCH."""
    counting = Counting(contract_transport(sandbox))
    client = make_client(sandbox, False, counting)
    created = client.calendar.create(EVENT)
    client.calendar.update(created.created_id, {"tags": None})
    create_body = json.loads(counting.requests[0].read())
    assert None not in create_body.values()
    assert create_body["title"] == "Viewing"
    assert set(create_body) == {"date_starting", "date_ending", "title", "tags", "contacts"}
    assert json.loads(counting.requests[1].read()) == {"tags": None}
    assert client.calendar.get(created.created_id).tags == []
    with pytest.raises(TypeError, match=r"wire\.Event"):
        client.calendar.create(COMMUNICATION)
