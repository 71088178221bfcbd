"""``crmbridge.connect("activix", ...)`` against the sandbox: canonical records in and out."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import crmbridge
from crmbridge.adapters.activix.connection import make_backend
from crmbridge.canonical import Activity, Call, Contact, EmailAddress, Phone, Ref
from crmbridge.errors import InvalidIdError, UnsupportedOperation
from crmbridge.sandbox import Sandbox
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.activix import make_sandbox

CONTRACT = OpenAPIContract(openapi_path("activix"))
DAY = "2031-05-01"
"""A day after every seeded record, so stamps written on it are the only ones that recent."""


def options(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    """The sandbox's connection options with a contract-checking transport and no client rate limit."""
    transport = ContractTransport(sandbox.transport(), CONTRACT, base_path="/v2")
    return {
        **sandbox.client_options(),
        "transport": transport,
        "rate_limit": None,
        "default_lead_type": "web_order",
        **extra,
    }


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox(seed_records=20, seed=4)


@pytest.fixture
def conn(sandbox: Sandbox) -> Iterator[crmbridge.Connection]:
    with crmbridge.connect("activix", **options(sandbox, page_size=7)) as connection:
        yield connection


def new_contact() -> Contact:
    return Contact(
        first_name="Ada",
        last_name="Lovelace",
        emails=[EmailAddress(address="ada@example.com", kind="home")],
        phones=[Phone(number="+15145550199", kind="mobile")],
    )


def new_call(lead: Ref) -> Activity:
    return Activity(
        contact=lead,
        channel="phone",
        direction="outgoing",
        notes="Talked about the offer",
        occurred_at=dt.datetime(2025, 3, 1, 15, 0, tzinfo=dt.UTC),
        call=Call(duration_s=300, status="answered", phone="+15145550199"),
    )


def restamp(sandbox: Sandbox, collection: str, ident: str, **stamps: str) -> None:
    """Rewrite a stored record's timestamps (as the sandbox stores them: UTC, ``+00:00``)."""
    document = sandbox.store.get(collection, ident)
    assert document is not None
    sandbox.store.put(collection, ident, {**document, **{k: f"{v}+00:00" for k, v in stamps.items()}})


# -- round trips --------------------------------------------------------------------------------


def test_contact_round_trips_through_connect(sandbox: Sandbox) -> None:
    """connect() with the sandbox's own options creates a lead and reads it back with the same fields."""
    with crmbridge.connect("activix", **sandbox.client_options(), default_lead_type="web_order") as conn:
        ref = conn.create(new_contact())
        got = conn.get("contact", ref)
    assert isinstance(got, Contact)
    assert ref == got.ref == Ref("activix", "lead", ref.id)
    assert (got.first_name, got.last_name) == ("Ada", "Lovelace")
    assert [(e.address, e.kind) for e in got.emails] == [("ada@example.com", "home")]
    assert [(p.e164, p.kind) for p in got.phones] == [("+15145550199", "mobile")]
    assert got.extras["type"] == "web_order"


def test_contact_update_changes_only_the_named_fields(conn: crmbridge.Connection) -> None:
    """A partial update of last_name keeps the emails and phones (Activix appends; nothing is resent)."""
    ref = conn.create(new_contact())
    got = conn.get("contact", ref)
    conn.update(got.model_copy(update={"last_name": "Byron"}), fields=["last_name"])
    after = conn.get("contact", ref)
    assert isinstance(after, Contact)
    assert (after.first_name, after.last_name) == ("Ada", "Byron")
    assert [e.address for e in after.emails] == ["ada@example.com"]
    assert len(after.phones) == 1


def test_call_activity_is_listed_with_its_call_fields_and_updated(conn: crmbridge.Connection) -> None:
    """A phone call logged on a lead is found by listing activities, and an update changes its notes."""
    lead = conn.create(new_contact())
    ref = conn.create(new_call(lead))
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
    listed = [a for a in conn.list("activity", updated_since=since) if isinstance(a, Activity)]
    assert [a.ref for a in listed] == [ref]
    call = listed[0]
    assert ref == Ref("activix", "communication", ref.id)
    assert (call.contact, call.channel, call.direction) == (lead, "phone", "outgoing")
    assert call.call == Call(duration_s=300, status="answered", phone="+15145550199")
    assert call.occurred_at == dt.datetime(2025, 3, 1, 15, 0, tzinfo=dt.UTC)
    conn.update(call.model_copy(update={"notes": "Offer accepted"}), fields=["notes"])
    again = [a for a in conn.list("activity", updated_since=since) if a.ref == ref]
    assert [a.notes for a in again if isinstance(a, Activity)] == ["Offer accepted"]


# -- listing ------------------------------------------------------------------------------------


def test_list_pages_through_every_contact_and_activity(sandbox: Sandbox, conn: crmbridge.Connection) -> None:
    """With a page size of 7, every lead and every communication of the account is listed once."""
    contacts = [c.ref.id for c in conn.list("contact") if c.ref]
    activities = [a.ref.id for a in conn.list("activity") if a.ref]
    assert sorted(contacts, key=int) == sorted((str(d["id"]) for d in sandbox.store.scan("leads")), key=int)
    assert len(contacts) > 7
    assert sorted(activities, key=int) == sorted((str(d["id"]) for d in sandbox.store.scan("communications")), key=int)
    assert len(set(activities)) == len(activities)


def test_listed_contacts_are_complete(conn: crmbridge.Connection) -> None:
    """Listed contacts carry their emails and phones (included), like a get does."""
    ref = conn.create(new_contact())
    listed = next(c for c in conn.list("contact") if c.ref == ref)
    assert isinstance(listed, Contact)
    assert listed == conn.get("contact", ref)


def test_updated_since_drops_older_records_of_the_same_day(sandbox: Sandbox, conn: crmbridge.Connection) -> None:
    """Activix filters by day; records of that day stamped before the instant are dropped client-side."""
    early, late = (c.ref.id for c in list(conn.list("contact"))[:2] if c.ref)
    restamp(sandbox, "leads", early, updated_at=f"{DAY}T10:00:00")
    restamp(sandbox, "leads", late, updated_at=f"{DAY}T14:00:00")
    since = dt.datetime(2031, 5, 1, 12, 0, tzinfo=dt.UTC)
    day_filtered = list(conn.backend.list_payloads("contact", {"updated_at": {"gte": DAY}}))
    assert sorted(str(p["id"]) for p in day_filtered) == sorted([early, late])
    assert [c.ref.id for c in conn.list("contact", updated_since=since) if c.ref] == [late]
    assert [c.ref.id for c in conn.list("contact", created_since=since) if c.ref] == []


def test_activity_updated_since_filters_leads_then_communications(sandbox: Sandbox, conn: crmbridge.Connection) -> None:
    """Activities are filtered on their lead's day, then on their own updated_at; scan_all_leads skips the first."""
    lead = conn.create(new_contact())
    old, new = conn.create(new_call(lead)), conn.create(new_call(lead))
    restamp(sandbox, "leads", lead.id, updated_at=f"{DAY}T14:00:00")
    restamp(sandbox, "communications", old.id, updated_at=f"{DAY}T10:00:00")
    restamp(sandbox, "communications", new.id, updated_at=f"{DAY}T13:00:00")
    since = dt.datetime(2031, 5, 1, 12, 0, tzinfo=dt.UTC)
    assert [a.ref for a in conn.list("activity", updated_since=since)] == [new]
    # The documented limitation: a lead whose own stamp is older hides its newer communications.
    restamp(sandbox, "leads", lead.id, updated_at="2020-01-01T00:00:00")
    assert list(conn.list("activity", updated_since=since)) == []
    assert [a.ref for a in conn.list("activity", updated_since=since, scan_all_leads=True)] == [new]


def test_lead_filters_pass_through(conn: crmbridge.Connection) -> None:
    """Activix's documented lead filters go through by name, for contacts and activities."""
    ref = conn.create(new_contact())
    conn.create(new_call(ref))
    found = [c.ref for c in conn.list("contact", name="Ada Love%", email="ada@%")]
    assert found == [ref]
    assert {a.contact for a in conn.list("activity", phone="+1514555019%") if isinstance(a, Activity)} == {ref}


@pytest.mark.parametrize(
    ("kind", "filters", "error"),
    [
        ("contact", {"colour": "red"}, UnsupportedOperation),
        ("activity", {"method": "phone"}, UnsupportedOperation),
        ("contact", {"scan_all_leads": True}, UnsupportedOperation),
        ("contact", {"updated_since": dt.datetime(2024, 1, 1)}, TypeError),
        ("contact", {"updated_since": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "updated_at": "2024-01-01"}, ValueError),
    ],
)
def test_filters_activix_cannot_apply_are_refused(
    conn: crmbridge.Connection, kind: str, filters: dict[str, Any], error: type[Exception]
) -> None:
    """Undocumented filters, naive datetimes and contradictory date filters are refused before listing."""
    with pytest.raises(error):
        list(conn.list(kind, **filters))


# -- what Activix cannot do --------------------------------------------------------------------


def test_activities_cannot_be_read_alone_and_nothing_is_deleted(conn: crmbridge.Connection) -> None:
    """get(activity) and every delete raise UnsupportedOperation; the records stay."""
    lead = conn.create(new_contact())
    call = conn.create(new_call(lead))
    with pytest.raises(UnsupportedOperation):
        conn.get("activity", call)
    for ref in (lead, call):
        with pytest.raises(UnsupportedOperation):
            conn.delete(ref)
    assert conn.get("contact", lead).ref == lead


def test_lookups_are_the_account_with_users_custom_fields_and_sources(conn: crmbridge.Connection) -> None:
    """lookups() gives GET /account with its users, custom fields and sources, as Activix sends them."""
    lookups = conn.lookups()
    assert set(lookups) == {"account"}
    [account] = lookups["account"]
    assert {"users", "custom_fields", "sources"} <= set(account)
    assert all("email" in user for user in account["users"])


def test_bad_ids_refused_before_any_request() -> None:
    """get/update/delete with an id that is not a positive integer raise InvalidIdError without a request."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(500))
    with crmbridge.connect("activix", token="t", transport=transport) as connection:
        for bad in ("../admin", "1;DROP"):
            with pytest.raises(InvalidIdError):
                connection.get("contact", bad)
            with pytest.raises(InvalidIdError):
                connection.get("activity", bad)
            with pytest.raises(InvalidIdError):
                connection.delete(Ref("activix", "lead", bad))
            with pytest.raises(InvalidIdError):
                connection.update(new_contact(), ref=Ref("activix", "lead", bad))
    assert sent == []


def test_options_are_split_between_client_and_adapter(sandbox: Sandbox) -> None:
    """Client options reach the client (200/60 requests/s by default), adapter ones the adapter."""
    backend = make_backend(**sandbox.client_options(), default_region="CA", page_size=3)
    assert backend.page_size == 3
    assert backend.client.rate_limiter is not None
    assert backend.client.rate_limiter.rate == 200 / 60
    assert backend.adapter.default_region == "CA"  # type: ignore[attr-defined]
    backend.close()
    with pytest.raises(TypeError):
        make_backend(**sandbox.client_options(), timezone="UTC")
    with pytest.raises(ValueError, match="page_size"):
        make_backend(**sandbox.client_options(), page_size=500)


# -- async --------------------------------------------------------------------------------------


def test_async_connection_round_trips(sandbox: Sandbox) -> None:
    """connect_async creates, gets, updates, lists and looks up like the sync connection."""

    async def run() -> dict[str, Any]:
        async with crmbridge.connect_async("activix", **options(sandbox, page_size=6)) as conn:
            lead = await conn.create(new_contact())
            got = await conn.get("contact", lead)
            await conn.update(got.model_copy(update={"first_name": "Augusta"}), fields=["first_name"])
            renamed = await conn.get("contact", lead)
            call = await conn.create(new_call(lead))
            since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=2)
            return {
                "lead": lead,
                "renamed": renamed,
                "call": call,
                "contacts": [c.ref async for c in conn.list("contact", updated_since=since)],
                "activities": [a async for a in conn.list("activity", updated_since=since)],
                "lookups": await conn.lookups(),
            }

    out = asyncio.run(run())
    assert out["renamed"].first_name == "Augusta"
    assert out["contacts"] == [out["lead"]]
    assert [(a.ref, a.call.duration_s) for a in out["activities"]] == [(out["call"], 300)]
    assert set(out["lookups"]) == {"account"}


def test_async_and_sync_list_the_same_records(sandbox: Sandbox, conn: crmbridge.Connection) -> None:
    """The async connection lists the same contacts and activities, in the same order, as the sync one."""

    async def run() -> tuple[list[Ref | None], list[Ref | None]]:
        async with crmbridge.connect_async("activix", **options(sandbox, page_size=4)) as aconn:
            contacts = [c.ref async for c in aconn.list("contact")]
            return contacts, [a.ref async for a in aconn.list("activity")]

    contacts, activities = asyncio.run(run())
    assert contacts == [c.ref for c in conn.list("contact")]
    assert activities == [a.ref for a in conn.list("activity")]
