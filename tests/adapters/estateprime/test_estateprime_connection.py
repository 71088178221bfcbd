"""``crmbridge.connect("estateprime", ...)`` against the sandbox: canonical records in and out, sync and async."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

import crmbridge
from crmbridge.adapters.estateprime.client import EstatePrimeClient
from crmbridge.adapters.estateprime.connection import LazyLookupsAdapter
from crmbridge.adapters.estateprime.mapping import EstatePrimeAdapter
from crmbridge.canonical import Contact, Event, Lookup, Ref
from crmbridge.errors import InvalidIdError, NotFoundError, UnsupportedOperation
from crmbridge.sandbox import FaultConfig, Sandbox
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.estateprime import make_sandbox

CONTRACT = OpenAPIContract(openapi_path("estateprime"))
ZONE = "Europe/Athens"


class Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a transport and records the paths it was asked for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response

    def lookup_requests(self) -> int:
        """How many requests went to a lookup endpoint."""
        return sum(1 for p in self.paths if p.rsplit("/", 1)[-1] in _LOOKUP_LEAVES)


_LOOKUP_LEAVES = {"sources", "tags", "custom-fields", "channels", "categories", "statuses"}


@pytest.fixture
def sandbox() -> Sandbox:
    """An Athens account with 120 contacts and communications and 60 events."""
    return make_sandbox(seed_records=120, seed=8, timezone=ZONE)


def open_connection(sandbox: Sandbox, asynchronous: bool, **options: Any) -> tuple[Any, Counting]:
    """A sync or async connection from ``sandbox.client_options()``, every exchange contract-checked."""
    counting = Counting(ContractTransport(sandbox.transport(), CONTRACT))
    merged = {**sandbox.client_options(), "transport": counting, **options}
    connection = (
        crmbridge.connect_async("estateprime", **merged) if asynchronous else crmbridge.connect("estateprime", **merged)
    )
    return connection, counting


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one."""
    return await value if inspect.isawaitable(value) else value


async def listed(connection: Any, kind: str, **filters: Any) -> list[Any]:
    """Every record ``connection.list`` yields, sync or async."""
    records = connection.list(kind, **filters)
    if inspect.isasyncgen(records):
        return [r async for r in records]
    return list(records)


def run(scenario: Any) -> Any:
    """Run an async scenario to its end."""
    return asyncio.run(scenario)


def stored(sandbox: Sandbox, collection: str) -> list[dict[str, Any]]:
    """The sandbox's records of ``collection`` in id order."""
    return list(sandbox.store.scan(collection))


def new_event() -> Event:
    """A canonical event with tags given by name only (the lookups resolve them)."""
    return Event(
        title="Viewing at Kifisias 12",
        description="Bring the keys.",
        all_day=False,
        starts_at=datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        ends_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        contacts=[Ref("estateprime", "contact", "3")],
        tags=[Lookup(name="VIP client")],
        is_public=True,
        is_online=False,
        extras={},
    )


SAME_FIELDS = ("title", "description", "all_day", "starts_at", "ends_at", "contacts", "is_public", "is_online")


# -- the whole round trip, through both connections ----------------------------------------------


async def round_trip(connection: Any) -> dict[str, Any]:
    """Create an event (first call: lookups not loaded yet), read it, clear its tags, delete it."""
    out: dict[str, Any] = {}
    ref = await done(connection.create(new_event()))
    out["ref"] = ref
    out["got"] = await done(connection.get("event", ref))
    await done(connection.update(out["got"].model_copy(update={"tags": []}), fields={"tags"}))
    out["cleared"] = await done(connection.get("event", ref.id))
    await done(connection.delete(ref))
    return out


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_event_round_trip(sandbox: Sandbox, asynchronous: bool) -> None:
    """create → get gives the same fields; a tags-only PATCH with no tags clears them; delete removes it."""
    connection, counting = open_connection(sandbox, asynchronous)
    out = run(round_trip(connection))
    created = new_event()
    assert out["ref"].kind == "event"
    assert out["ref"].system == "estateprime"
    for name in SAME_FIELDS:
        assert getattr(out["got"], name) == getattr(created, name), name
    assert [t.name for t in out["got"].tags] == ["VIP client"]
    assert out["cleared"].tags == []
    assert out["cleared"].title == created.title
    assert sandbox.store.get("calendar", out["ref"].id) is None
    # Times travelled as Athens wall time (UTC+2 in March).
    assert counting.lookup_requests() == 10


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_lookups_are_loaded_once_and_used(sandbox: Sandbox, asynchronous: bool) -> None:
    """Channel 1 reads as a phone activity, and the ten lookup lists are fetched only once."""
    connection, counting = open_connection(sandbox, asynchronous)

    async def scenario() -> tuple[list[Any], dict[str, Any]]:
        activities = await listed(connection, "activity", channel=1)
        return activities, await done(connection.lookups())

    activities, lookups = run(scenario())
    expected = [r["id"] for r in stored(sandbox, "communication") if r["channel"] == 1]
    assert [a.ref.id for a in activities] == [str(i) for i in expected]
    assert {a.channel for a in activities} == {"phone"}
    assert lookups["communication/channels"][0] == {"id": 1, "name": "Phone Call", "type": "phone"}
    assert len(lookups) == 10
    assert counting.lookup_requests() == 10


def test_given_lookups_are_not_fetched(sandbox: Sandbox) -> None:
    """With ``lookups=`` the adapter is built at once and no lookup endpoint is called to read records."""
    channels = [{"id": 1, "name": "Call", "type": "phone"}]
    connection, counting = open_connection(sandbox, False, lookups={"communication/channels": channels})
    activity = connection.get("activity", 1)
    assert isinstance(connection.adapter, EstatePrimeAdapter)
    assert activity.channel == ("phone" if stored(sandbox, "communication")[0]["channel"] == 1 else None)
    assert counting.lookup_requests() == 0


def test_sync_adapter_is_lazy(sandbox: Sandbox) -> None:
    """Without ``lookups=``, nothing is fetched until a record is first translated."""
    connection, counting = open_connection(sandbox, False)
    assert isinstance(connection.adapter, LazyLookupsAdapter)
    assert not connection.adapter.loaded
    assert counting.paths == []
    connection.get("contact", 1)
    assert connection.adapter.loaded
    assert counting.lookup_requests() == 10


# -- listing and filters -------------------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_list_pages_through_every_contact(sandbox: Sandbox, asynchronous: bool) -> None:
    """An unfiltered list returns all 120 contacts (three pages) in id order."""
    connection, _ = open_connection(sandbox, asynchronous)
    contacts = run(listed(connection, "contact"))
    assert [c.ref.id for c in contacts] == [str(r["id"]) for r in stored(sandbox, "contacts")]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_date_filters_use_local_time(sandbox: Sandbox, asynchronous: bool) -> None:
    """created_/occurred_/starts_ since/until become the wire ranges in the account's local time."""
    connection, _ = open_connection(sandbox, asynchronous)
    since = datetime(2024, 6, 1, 21, 0, tzinfo=UTC)  # 2024-06-02 00:00:00 in Athens
    until = datetime(2025, 1, 1, tzinfo=UTC)  # 2025-01-01 02:00:00 in Athens

    async def scenario() -> list[list[Any]]:
        return [
            await listed(connection, "contact", created_since=since, created_until=until),
            await listed(connection, "activity", occurred_since=since, type="outgoing"),
            await listed(connection, "event", starts_since=since, starts_until=until),
        ]

    contacts, activities, events = run(scenario())
    low, high = "2024-06-02 00:00:00", "2025-01-01 02:00:00"
    assert [c.ref.id for c in contacts] == [
        str(r["id"]) for r in stored(sandbox, "contacts") if low <= r["date_created"] <= high
    ]
    assert [a.ref.id for a in activities] == [
        str(r["id"])
        for r in stored(sandbox, "communication")
        if r["communication_date"] >= low and r["type"] == "outgoing"
    ]
    assert [e.ref.id for e in events] == [
        str(r["id"]) for r in stored(sandbox, "calendar") if low <= r["date_starting"] <= high
    ]
    assert all(c.created_at is not None and since <= c.created_at <= until for c in contacts)
    assert contacts
    assert events


def test_activity_filters_by_contact_and_user(sandbox: Sandbox) -> None:
    """contact_id (an int or an EstatePrime Ref) and user_id are passed through."""
    connection, _ = open_connection(sandbox, False)
    pick = stored(sandbox, "communication")[5]
    by_ref = list(connection.list("activity", contact_id=Ref("estateprime", "contact", str(pick["contact_id"]))))
    by_both = list(connection.list("activity", contact_id=pick["contact_id"], user_id=pick["user_id"]))
    assert {a.contact.id for a in by_ref} == {str(pick["contact_id"])}
    assert str(pick["id"]) in [a.ref.id for a in by_both]
    assert {a.user.id for a in by_both} == {str(pick["user_id"])}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_updated_since_filters_contacts_client_side(sandbox: Sandbox, asynchronous: bool) -> None:
    """Contacts are kept when date_updated (local time) is at or after updated_since."""
    connection, counting = open_connection(sandbox, asynchronous)
    since = datetime(2025, 1, 1, 10, 0, tzinfo=UTC)  # 12:00 in Athens
    contacts = run(listed(connection, "contact", updated_since=since))
    expected = [str(r["id"]) for r in stored(sandbox, "contacts") if r["date_updated"] >= "2025-01-01 12:00:00"]
    assert [c.ref.id for c in contacts] == expected
    assert 0 < len(expected) < 120
    assert sum(1 for p in counting.paths if p == "/api/contacts") == 3  # the whole list was read


@pytest.mark.parametrize(
    ("kind", "filters", "what"),
    [
        ("activity", {"updated_since": datetime(2025, 1, 1, tzinfo=UTC)}, "updated_since"),
        ("event", {"updated_since": datetime(2025, 1, 1, tzinfo=UTC)}, "updated_since"),
        ("event", {"created_since": datetime(2025, 1, 1, tzinfo=UTC)}, "created_since"),
        ("contact", {"occurred_since": datetime(2025, 1, 1, tzinfo=UTC)}, "occurred_since"),
        ("contact", {"channel": 1}, "channel"),
        ("activity", {"q": "Ada"}, "q"),
    ],
)
def test_filters_the_api_lacks_are_unsupported(sandbox: Sandbox, kind: str, filters: dict[str, Any], what: str) -> None:
    """A filter the kind's endpoint does not take raises UnsupportedOperation before any request."""
    connection, counting = open_connection(sandbox, False)
    with pytest.raises(UnsupportedOperation, match=what):
        list(connection.list(kind, **filters))
    assert counting.paths == []


def test_naive_datetimes_are_refused(sandbox: Sandbox) -> None:
    """A naive datetime in a canonical filter is a TypeError (its zone would be a guess)."""
    connection, _ = open_connection(sandbox, False)
    with pytest.raises(TypeError, match="timezone-aware"):
        list(connection.list("contact", created_since=datetime(2025, 1, 1)))


# -- get, create, update, delete -----------------------------------------------------------------


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_activity_create_get_delete(sandbox: Sandbox, asynchronous: bool) -> None:
    """An activity read from the sandbox is created again as a communication, read back and deleted."""
    connection, _ = open_connection(sandbox, asynchronous)

    async def scenario() -> tuple[Any, Any, Ref]:
        original = await done(connection.get("activity", "1"))
        ref = await done(connection.create(original.model_copy(update={"ref": None})))
        copy = await done(connection.get("activity", ref))
        await done(connection.delete(ref))
        return original, copy, ref

    original, copy, ref = run(scenario())
    assert ref.kind == "communication"
    assert copy.occurred_at == original.occurred_at
    assert copy.channel == original.channel
    assert copy.contact == original.contact
    assert copy.tags == original.tags
    assert sandbox.store.get("communication", ref.id) is None


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_contacts_and_activities_cannot_be_updated(sandbox: Sandbox, asynchronous: bool) -> None:
    """Only calendar events have a documented update: the others raise UnsupportedOperation, unsent."""
    connection, counting = open_connection(sandbox, asynchronous, lookups={})
    contact = run(done(connection.get("contact", 1)))
    activity = run(done(connection.get("activity", 1)))
    sent = len(counting.paths)
    for record in (contact, activity):
        with pytest.raises(UnsupportedOperation, match="update"):
            run(done(connection.update(record, fields={"notes"})))
    assert len(counting.paths) == sent


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_ids_are_checked_and_unknown_ones_not_found(sandbox: Sandbox, asynchronous: bool) -> None:
    """A malformed id is refused before any request; an unknown one is a NotFoundError."""
    connection, counting = open_connection(sandbox, asynchronous, lookups={})
    for bad in ("../admin", "1;DROP", "-1"):
        with pytest.raises(InvalidIdError):
            run(done(connection.get("contact", bad)))
        with pytest.raises(InvalidIdError):
            run(done(connection.delete(Ref("estateprime", "event", bad))))
    assert counting.paths == []
    with pytest.raises(NotFoundError):
        run(done(connection.get("event", 9999)))


def test_options_are_checked() -> None:
    """An unknown option is a TypeError; a foreign Ref is refused."""
    sandbox = make_sandbox()
    with pytest.raises(TypeError, match="brand"):
        crmbridge.connect("estateprime", **sandbox.client_options(), brand="x")
    connection = crmbridge.connect("estateprime", **sandbox.client_options(), concurrency=2)
    with pytest.raises(ValueError, match="EstatePrime"):
        connection.delete(Ref("rechat", "contact", "1"))


def test_sandbox_options_carry_the_timezone() -> None:
    """``client_options()`` holds the sandbox's zone, so the connection reads its times right."""
    sandbox = make_sandbox(seed_records=3, timezone=ZONE)
    connection = crmbridge.connect("estateprime", **sandbox.client_options())
    contact = connection.get("contact", 1)
    local = stored(sandbox, "contacts")[0]["date_created"]
    assert sandbox.client_options()["timezone"] == ZONE
    assert isinstance(contact, Contact)
    assert contact.created_at is not None
    assert contact.created_at.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%d %H:%M:%S") == local


# -- a delete whose answer was lost ---------------------------------------------------------------


class LoseFirstDelete(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The sandbox's transport with its `lost` fault (applied, then the answer dropped) on the first DELETE only."""

    def __init__(self, sandbox: Sandbox) -> None:
        assert sandbox.faults is not None
        self.inner = sandbox.transport()
        self.faults = sandbox.faults
        self.deletes = 0

    def _arm(self, request: httpx.Request) -> None:
        if request.method == "DELETE":
            self.deletes += 1
            self.faults.config = FaultConfig(error_rate=1.0 if self.deletes == 1 else 0.0, kinds=("lost",))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._arm(request)
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._arm(request)
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_delete_whose_answer_was_lost_succeeds_when_the_retry_finds_it_gone(asynchronous: bool) -> None:
    """The sandbox deletes the contact and drops the answer; the retry's 404 means done: delete returns, no error."""
    sandbox = make_sandbox(seed_records=5, seed=8, timezone=ZONE, faults=FaultConfig(error_rate=0.0, kinds=("lost",)))
    transport = LoseFirstDelete(sandbox)
    options = {**sandbox.client_options(), "transport": transport, "lookups": {}}
    assert sandbox.store.get("contacts", "2") is not None

    async def scenario() -> None:
        if asynchronous:
            async with crmbridge.connect_async("estateprime", **options) as connection:
                await connection.delete(Ref("estateprime", "contact", "2"))
        else:
            with crmbridge.connect("estateprime", **options) as connection:
                connection.delete(Ref("estateprime", "contact", "2"))

    run(scenario())
    assert sandbox.faults is not None
    assert sandbox.faults.injected == {"lost": 1}
    assert transport.deletes == 2
    assert sandbox.store.get("contacts", "2") is None


def test_the_raw_client_delete_after_a_lost_answer_returns_the_deleted_id() -> None:
    """EstatePrimeClient.contacts.delete after a lost answer and a 404 retry returns Deleted for that id."""
    sandbox = make_sandbox(seed_records=5, seed=8, timezone=ZONE, faults=FaultConfig(error_rate=0.0, kinds=("lost",)))
    transport = LoseFirstDelete(sandbox)
    with EstatePrimeClient(**{**sandbox.client_options(), "transport": transport}) as client:
        deleted = client.contacts.delete(3)
        assert (deleted.status, deleted.deleted_id) == (200, 3)
        assert sandbox.store.get("contacts", "3") is None
        with pytest.raises(NotFoundError):  # nothing lost this time: a first 404 is not found
            client.contacts.delete(3)
    assert transport.deletes == 3
    assert sandbox.faults is not None
    assert sandbox.faults.injected == {"lost": 1}


def test_list_filters_with_no_local_time_are_value_errors(sandbox: Sandbox) -> None:
    """A filter instant with no local time in the account's zone (9999-12-31 23:59 UTC in Athens) is a ValueError."""
    last = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    connection, counting = open_connection(sandbox, False, lookups={})
    with connection:
        for filters in ({"updated_since": last}, {"created_since": last}, {"created_until": last}):
            with pytest.raises(ValueError, match="no local time") as caught:
                list(connection.list("contact", **filters))
            assert not isinstance(caught.value, OverflowError)
    assert counting.paths == []
