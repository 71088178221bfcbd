"""The Activix clients against the in-process sandbox, every exchange checked against the OpenAPI file."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from crmbridge.adapters.activix.client import (
    DEFAULT_RATE_LIMIT,
    ActivixClient,
    AsyncActivixClient,
    get_lead,
    lead_filter_params,
    raw_endpoint,
    raw_item,
    read_page,
)
from crmbridge.adapters.activix.wire import Communication, Lead
from crmbridge.errors import (
    AmbiguousWriteError,
    APIStatusError,
    AuthenticationError,
    InvalidIdError,
    NotFoundError,
    UnprocessableRequestError,
    UnsupportedOperation,
)
from crmbridge.http import AsyncPager, RetryPolicy
from crmbridge.sandbox import FaultConfig, Sandbox
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.activix import make_sandbox

CONTRACT = OpenAPIContract(openapi_path("activix"))
ALL_FAULTS = ("500", "503", "429", "drop", "timeout", "truncate")
FAULT_SEED = 4
"""A fault seed whose 30% failures include every kind over the listings of the fault test."""


def client_for(sandbox: Sandbox, **options: Any) -> tuple[ActivixClient, ContractTransport]:
    """A sync client of the sandbox (no client rate limit unless given) and its contract transport."""
    transport = ContractTransport(sandbox.transport(), CONTRACT, base_path="/v2")
    merged = {**sandbox.client_options(), "transport": transport, "rate_limit": None, **options}
    return ActivixClient(**merged), transport


def async_client_for(sandbox: Sandbox, **options: Any) -> tuple[AsyncActivixClient, ContractTransport]:
    """The async twin of :func:`client_for`."""
    transport = ContractTransport(sandbox.transport(), CONTRACT, base_path="/v2")
    merged = {**sandbox.client_options(), "transport": transport, "rate_limit": None, **options}
    return AsyncActivixClient(**merged), transport


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox(seed_records=30, seed=3)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[ActivixClient]:
    made, _ = client_for(sandbox)
    yield made
    made.close()


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one: one scenario drives both twins."""
    return await value if inspect.isawaitable(value) else value


async def collect(pager: Any) -> list[Any]:
    """Every item of a SyncPager or an AsyncPager."""
    if isinstance(pager, AsyncPager):
        return [item async for item in pager]
    return list(pager)


# -- every documented operation, through both twins --------------------------------------------


async def tour(c: Any) -> dict[str, Any]:
    """Call each of the twenty documented operations at least once; what came back, for assertions."""
    out: dict[str, Any] = {}
    body = {"type": "email", "first_name": "Élise", "last_name": "Tremblay"}
    lead = await done(c.leads.create({**body, "phones": [{"number": "+15145550101", "type": "mobile"}]}))
    out["lead"] = lead
    out["got"] = await done(c.leads.get(lead.id, include=["emails", "phones"]))
    out["updated"] = await done(c.leads.update(lead.id, {"city": "Laval"}))
    out["listed"] = await collect(c.leads.list(per_page=4, name="Élise Tremb%"))
    out["searched"] = await collect(c.leads.search("Tremblay", per_page=2))
    out["screenpop"] = await done(c.screenpop(lead_id=lead.id, user_id=1))
    email = await done(c.leads.emails.create({"lead_id": lead.id, "address": "e@x.example", "type": "home"}))
    out["email"] = await done(c.leads.emails.update(email["id"], {"type": "work"}))
    phone = await done(c.leads.phones.create({"lead_id": lead.id, "number": "+15145550102", "type": "home"}))
    out["phone"] = await done(c.leads.phones.update(phone["id"], {"extension": 12}))
    vehicle = await done(c.leads.vehicles.create({"lead_id": lead.id, "type": "wanted", "make": "Honda"}))
    out["vehicle"] = await done(c.leads.vehicles.update(vehicle["id"], {"year": 2024}))
    note = await done(c.leads.notes.create(lead.id, {"content": "Called back"}))
    out["note"] = await done(c.leads.notes.update(lead.id, note["id"], {"content": "Called twice"}))
    out["account"] = await done(c.account.get(include=["users"]))
    call = Communication(lead_id=lead.id, method="phone", type="outgoing", call_status="pending")
    created = await done(c.communications.create(call))
    out["communication"] = await done(
        c.communications.update(
            created.id, {"lead_id": lead.id, "method": "phone", "type": "outgoing", "call_status": "answered"}
        )
    )
    out["recording"] = await done(c.communications.upload_recording(created.id, b"ID3audio", filename="call.mp3"))
    log = await done(c.call_logs.create({"lead_id": lead.id, "status": "calling"}))
    out["call_log"] = await done(c.call_logs.update(log["id"], {"status": "answered"}))
    return out


def check_tour(out: dict[str, Any], seen: set[tuple[str, str]]) -> None:
    """What the tour must have produced, whichever twin ran it."""
    assert seen == set(CONTRACT.operations())
    lead = out["lead"]
    assert isinstance(lead, Lead)
    assert (lead.first_name, lead.last_name) == ("Élise", "Tremblay")
    assert [p.number for p in out["got"].phones] == ["+15145550101"]
    assert out["updated"].city == "Laval"
    assert [x.id for x in out["listed"]] == [lead.id]
    assert lead.id in [x.id for x in out["searched"]]
    assert out["screenpop"] == "Screen pop sent."
    assert (out["email"]["type"], out["phone"]["extension"], out["vehicle"]["year"]) == ("work", 12, 2024)
    assert out["note"]["content"] == "Called twice"
    assert out["account"][0]["users"]
    assert isinstance(out["communication"], Communication)
    assert out["communication"].call_status == "answered"
    assert out["recording"] == "Recording uploaded successfully."
    assert out["call_log"]["status"] == "answered"
    assert out["call_log"]["lead"]["id"] == lead.id


def test_sync_client_covers_every_documented_operation(sandbox: Sandbox) -> None:
    """The sync client calls all twenty documented operations, every exchange within the contract."""
    c, transport = client_for(sandbox)
    with c:
        out = asyncio.run(tour(c))
    check_tour(out, transport.seen)


def test_async_client_covers_every_documented_operation(sandbox: Sandbox) -> None:
    """The async twin calls all twenty documented operations, every exchange within the contract."""

    async def run() -> tuple[dict[str, Any], set[tuple[str, str]]]:
        c, transport = async_client_for(sandbox)
        async with c:
            return await tour(c), transport.seen

    out, seen = asyncio.run(run())
    check_tour(out, seen)


def test_raw_endpoint_keeps_every_key_of_a_lead(client: ActivixClient) -> None:
    """A raw get keeps what wire.Lead does not model, such as the type and included communications."""
    lead = client.leads.list_page(per_page=1).items[0]
    raw = client.call(raw_endpoint(get_lead(lead.id, include=["communications"]), "lead"))
    assert raw["id"] == lead.id
    assert raw["type"] is not None
    assert isinstance(raw["communications"], list)


# -- paging -------------------------------------------------------------------------------------


def test_list_pages_through_every_record(client: ActivixClient) -> None:
    """per_page=7 makes several pages; the pager yields every lead once and stops on the last page."""
    everything = client.leads.list_page(per_page=100)
    pages = list(client.leads.list(per_page=7).pages())
    ids = [lead.id for page in pages for lead in page.items]
    assert everything.total == len(everything.items) > 14
    assert len(pages) == -(-len(everything.items) // 7)
    assert ids == [lead.id for lead in everything.items]
    assert pages[0].next_cursor == 2
    assert pages[-1].next_cursor is None


def test_async_pager_matches_sync_pager(sandbox: Sandbox, client: ActivixClient) -> None:
    """``async for`` over the async lister yields the same leads, in the same order."""

    async def run() -> list[int | None]:
        c, _ = async_client_for(sandbox)
        async with c:
            return [lead.id async for lead in c.leads.list(per_page=6)]

    assert asyncio.run(run()) == [lead.id for lead in client.leads.list(per_page=6)]


def _envelope(current: int, last: int, following: str | None, per_page: Any) -> dict[str, Any]:
    links = {"first": "u?page=1", "last": f"u?page={last}", "prev": None, "next": following}
    meta = {"current_page": current, "from": 1, "to": 1, "last_page": last, "path": "u", "per_page": per_page}
    return {"data": [{"id": current}], "links": links, "meta": {**meta, "total": last}}


def test_paging_stops_on_null_next_or_last_page_and_reads_string_per_page() -> None:
    """A page ends the list when links.next is null or current_page is last_page; per_page may be "25"."""
    item = raw_item("lead")
    assert read_page(_envelope(1, 3, "u?page=2", "25"), item, kind="lead").next_cursor == 2
    assert read_page(_envelope(2, 3, None, 25), item, kind="lead").next_cursor is None
    assert read_page(_envelope(3, 3, "u?page=4", "25"), item, kind="lead").next_cursor is None


# -- filters ------------------------------------------------------------------------------------


def test_filter_helper_renders_operators_and_values() -> None:
    """Dates render as filter[field][op]=YYYY-MM-DD, a plain date as filter[field], divisions comma-joined."""
    pairs = lead_filter_params(
        {
            "updated_at": {"gte": dt.date(2024, 1, 31), "lt": "2024-03-01"},
            "created_at": dt.date(2023, 5, 2),
            "division": ["new", "used"],
            "name": "Trem%",
        }
    )
    assert pairs == [
        ("filter[updated_at][gte]", "2024-01-31"),
        ("filter[updated_at][lt]", "2024-03-01"),
        ("filter[created_at]", "2023-05-02"),
        ("filter[division]", "new,used"),
        ("filter[name]", "Trem%"),
    ]


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ({"updated_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}, TypeError),
        ({"updated_at": {"since": "2024-01-01"}}, ValueError),
        ({"created_at": "2024-13-01"}, ValueError),
        ({"created": {"lte": "2024-01-01"}}, UnsupportedOperation),
    ],
)
def test_filter_helper_refuses_what_activix_does_not_take(filters: dict[str, Any], error: type[Exception]) -> None:
    """Datetimes (Activix filters by day), unknown operators, bad dates and undocumented fields are refused."""
    with pytest.raises(error):
        lead_filter_params(filters)


def test_filters_are_percent_encoded_on_the_wire(sandbox: Sandbox) -> None:
    """The query carries filter[updated_at][gte] and the % wildcard percent-encoded by httpx."""
    sent: list[httpx.Request] = []
    inner = sandbox.transport()

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return inner.handle_request(request)

    with ActivixClient(token=sandbox.token, base_url=sandbox.base_url, transport=httpx.MockTransport(record)) as c:
        c.leads.list_page(updated_at={"gte": dt.date(2024, 1, 31)}, name="Tr%")
    query = sent[0].url.query.decode()
    assert "filter%5Bupdated_at%5D%5Bgte%5D=2024-01-31" in query
    assert "filter%5Bname%5D=Tr%25" in query


def test_date_operators_select_the_right_leads(client: ActivixClient) -> None:
    """gte/lt on created_at return exactly the leads created on those UTC days."""
    everything = list(client.leads.list(per_page=100))
    days = sorted({lead.created_at.date() for lead in everything if lead.created_at})
    low, high = days[len(days) // 4], days[3 * len(days) // 4]
    chosen = list(client.leads.list(per_page=10, created_at={"gte": low, "lt": high}))
    expected = [lead.id for lead in everything if lead.created_at and low <= lead.created_at.date() < high]
    assert [lead.id for lead in chosen] == expected
    assert 0 < len(expected) < len(everything)


# -- retries, faults and rate limit -------------------------------------------------------------


def test_reads_survive_faults_with_every_record() -> None:
    """With 30% injected failures of every kind, sync and async listings return every lead exactly once."""
    expected = [lead.id for lead in client_for(make_sandbox(seed_records=40, seed=5))[0].leads.list(per_page=50)]
    faults = FaultConfig(error_rate=0.3, kinds=ALL_FAULTS, seed=FAULT_SEED)
    faulty = make_sandbox(seed_records=40, seed=5, faults=faults)
    retry = RetryPolicy(attempts=10)
    c, _ = client_for(faulty, retry=retry)
    with c:
        listed = [lead.id for lead in c.leads.list(per_page=2)]

    async def run() -> list[int | None]:
        ac, _ = async_client_for(faulty, retry=retry)
        async with ac:
            return [lead.id async for lead in ac.leads.list(per_page=4)]

    assert listed == expected
    assert asyncio.run(run()) == expected
    assert len(set(expected)) == 40
    assert faulty.faults is not None
    assert set(faulty.faults.injected) == set(ALL_FAULTS)


@pytest.mark.parametrize("kind", ["500", "503", "drop", "timeout", "truncate"])
def test_create_after_ambiguous_failure_raises_and_is_not_resent(kind: str) -> None:
    """A lead create that fails after it was sent raises AmbiguousWriteError, once, without a retry."""
    faulty = make_sandbox(seed_records=0, seed=1, faults=FaultConfig(error_rate=1.0, kinds=(kind,), seed=1))
    c, _ = client_for(faulty)
    with c, pytest.raises(AmbiguousWriteError) as caught:
        c.leads.create({"type": "email", "first_name": "A"})
    assert faulty.faults is not None
    assert faulty.faults.injected == {kind: 1}
    assert "may or may not have been applied" in str(caught.value)


def test_a_429_on_create_is_retried() -> None:
    """A 429 means the create was not applied, so it is sent again and succeeds."""
    faulty = make_sandbox(seed_records=0, seed=1, faults=FaultConfig(error_rate=0.5, kinds=("429",), seed=2))
    c, _ = client_for(faulty)
    with c:
        leads = [c.leads.create({"type": "email", "first_name": f"N{i}"}) for i in range(4)]
    assert [lead.first_name for lead in leads] == ["N0", "N1", "N2", "N3"]
    assert faulty.faults is not None
    assert faulty.faults.injected["429"] >= 1


def test_default_rate_limit_is_activix_limit() -> None:
    """By default a client spaces requests at 200 a minute; rate_limit=None turns the limit off."""
    assert DEFAULT_RATE_LIMIT == 200 / 60
    with ActivixClient(token="t") as c:
        assert c.rate_limiter is not None
        assert c.rate_limiter.rate == 200 / 60
        assert c.base_url == "https://api.crm.activix.ca/v2/"
    with ActivixClient(token="t", rate_limit=None) as off:
        assert off.rate_limiter is None


def test_client_rate_limit_stays_under_the_server_limit() -> None:
    """A client limited to 8 requests/s never trips a sandbox limit of 10/s."""
    limited = make_sandbox(seed_records=5, seed=2, faults=FaultConfig(rate_limit=10))
    c, transport = client_for(limited, rate_limit=8)
    started = time.monotonic()
    with c:
        for _ in range(14):
            c.leads.list_page(per_page=1)
    elapsed = time.monotonic() - started
    assert limited.faults is not None
    assert "rate_limited" not in limited.faults.injected
    assert elapsed >= 13 / 8 * 0.9
    assert transport.seen == {("GET", "/leads")}


# -- errors -------------------------------------------------------------------------------------


def test_bad_token_is_authentication_error(sandbox: Sandbox) -> None:
    """A wrong token answers 401 AuthenticationError, and the token appears nowhere in it."""
    c, _ = client_for(sandbox, token="wrong-secret-token")
    with c, pytest.raises(AuthenticationError) as caught:
        c.leads.list_page()
    assert caught.value.status_code == 401
    assert caught.value.body == {"message": "Unauthenticated."}
    assert "wrong-secret-token" not in str(caught.value)
    assert "wrong-secret-token" not in repr(c)


def test_unknown_id_is_not_found(client: ActivixClient) -> None:
    """A well-formed id that names nothing answers 404 NotFoundError in Activix's words."""
    with pytest.raises(NotFoundError) as caught:
        client.leads.get(999_999)
    assert caught.value.body == {"message": "No query results for model Lead."}


def test_invalid_body_is_validation_error_with_field_map(client: ActivixClient) -> None:
    """A lead with a non-ISO gender and an unknown advisor answers 422 naming both fields in ``errors``."""
    with pytest.raises(UnprocessableRequestError) as caught:
        client.leads.create({"type": "email", "gender": 5, "advisor": {"id": 999}})
    assert caught.value.status_code == 422
    assert set(caught.value.body["errors"]) == {"gender", "advisor"}


def test_wrong_method_is_405(sandbox: Sandbox) -> None:
    """An undocumented method on a documented path (no DELETE exists) answers 405 Method not allowed."""
    with ActivixClient(**sandbox.client_options(), rate_limit=None) as c, pytest.raises(APIStatusError) as caught:
        c.request("DELETE", "leads/1")
    assert caught.value.status_code == 405
    assert caught.value.body == {"message": "Method not allowed."}


def test_communication_update_cannot_null_lead_method_or_type(client: ActivixClient) -> None:
    """An update setting lead_id, method or type to null is refused before any request."""
    with pytest.raises(ValueError, match="lead_id, method, type"):
        client.communications.update(1, {"description": "x", "lead_id": None, "method": None, "type": None})


def test_partial_communication_update_as_the_docs_show(sandbox: Sandbox) -> None:
    """The docs' own update body ``{"call_duration": 25, "call_status": "answered"}`` is a whole update."""
    with ActivixClient(**sandbox.client_options(), rate_limit=None) as c:
        lead = c.leads.list_page().items[0]
        created = c.communications.create(
            {"lead_id": lead.id, "method": "phone", "type": "outgoing", "call_status": "calling", "description": "d"}
        )
        updated = c.communications.update(created.id, {"call_duration": 25, "call_status": "answered"})
    assert (updated.call_duration, updated.call_status) == (25, "answered")
    assert (updated.method, updated.type, updated.lead_id, updated.description) == ("phone", "outgoing", lead.id, "d")


# -- ids and secrets ----------------------------------------------------------------------------

ID_CALLS: list[tuple[str, Callable[[ActivixClient, Any], Any]]] = [
    ("leads.get", lambda c, bad: c.leads.get(bad)),
    ("leads.update", lambda c, bad: c.leads.update(bad, {"city": "x"})),
    ("leads.emails.update", lambda c, bad: c.leads.emails.update(bad, {"type": "home"})),
    ("leads.emails.create", lambda c, bad: c.leads.emails.create({"lead_id": bad, "address": "a", "type": "home"})),
    ("leads.phones.update", lambda c, bad: c.leads.phones.update(bad, {"type": "home"})),
    ("leads.vehicles.update", lambda c, bad: c.leads.vehicles.update(bad, {"year": 2020})),
    ("leads.notes.create", lambda c, bad: c.leads.notes.create(bad, {"content": "x"})),
    ("leads.notes.update", lambda c, bad: c.leads.notes.update(1, bad, {"content": "x"})),
    ("communications.update", lambda c, bad: c.communications.update(bad, {"lead_id": 1, "method": "a", "type": "b"})),
    (
        "communications.create executed_by",
        lambda c, bad: c.communications.create(
            {"lead_id": 1, "method": "phone", "type": "outgoing", "executed_by": bad}
        ),
    ),
    (
        "communications.update executed_by",
        lambda c, bad: c.communications.update(1, {"lead_id": 1, "method": "a", "type": "b", "executed_by": bad}),
    ),
    ("communications.upload_recording", lambda c, bad: c.communications.upload_recording(bad, b"x")),
    ("call_logs.update", lambda c, bad: c.call_logs.update(bad, {"status": "answered"})),
    ("screenpop", lambda c, bad: c.screenpop(lead_id=bad, user_id=1)),
]


@pytest.mark.parametrize("bad", ["../admin", "1;DROP", "", "0", "-1", " 1", True, 1.5])
@pytest.mark.parametrize(("name", "call"), ID_CALLS, ids=[name for name, _ in ID_CALLS])
def test_bad_ids_are_refused_before_any_request(name: str, call: Callable[[ActivixClient, Any], Any], bad: Any) -> None:
    """Ids that are not positive integers raise InvalidIdError and send nothing."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    with ActivixClient(token="t", transport=httpx.MockTransport(record)) as c, pytest.raises(InvalidIdError) as caught:
        call(c, bad)
    assert sent == []
    assert caught.value.system == "activix"


def test_digit_strings_are_accepted_as_ids(client: ActivixClient) -> None:
    """An id given as its digits reaches the same lead as the integer."""
    lead = client.leads.list_page(per_page=1).items[0]
    assert client.leads.get(str(lead.id)).id == lead.id


def test_token_never_in_reprs_or_errors() -> None:
    """The token is in no repr and no error message, even for failed and ambiguous requests."""
    faulty = make_sandbox(token="super-secret-value", faults=FaultConfig(error_rate=1.0, kinds=("500",)))
    c, _ = client_for(faulty)
    with c:
        with pytest.raises(AmbiguousWriteError) as ambiguous:
            c.leads.create({"type": "email"})
        texts = [repr(c), repr(c.leads), str(ambiguous.value), str(ambiguous.value.__cause__), ambiguous.value.url]
    assert all("super-secret-value" not in text for text in texts)


def test_email_bodies_never_reach_logs_or_errors(client: ActivixClient, caplog: pytest.LogCaptureFixture) -> None:
    """An email body is sent, but appears in no log line, error, or repr of what came back."""
    secret = "Private offer: 3.9% for Élise only"
    lead = client.leads.list_page(per_page=1).items[0]
    caplog.set_level(logging.DEBUG)
    email = Communication(lead_id=lead.id, method="email", type="outgoing", email_body=secret, email_subject="Offer")
    created = client.communications.create(email)
    with pytest.raises(UnprocessableRequestError) as caught:
        # A body on a phone call is refused: the error must not quote it either.
        client.communications.create({"lead_id": lead.id, "method": "phone", "type": "outgoing", "email_body": secret})
    assert created.email_body is None
    assert secret not in repr(email)
    assert "email_body" in caught.value.body["errors"]
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value.body)
    assert secret not in caplog.text
