"""Isolation (issue #9, group 5): Rechat brands never reach each other's records; no client follows a redirect.

The brand checks run crmbridge's own clients and connections against the in-process Rechat
sandbox (brand A is the main user's, brand B the ``-other`` user's) and compare every brand B
document before and after (the sandbox's own brand rules, over raw HTTP, are checked in
``tests/adapters/rechat/test_rechat_sandbox.py``). The redirect checks use ``httpx.MockTransport``:
nothing leaves the process (the HTTP core's base-client case is in ``tests/http/test_http_client.py``).
"""

from __future__ import annotations

import asyncio
import copy
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import crmbridge
from crmbridge import Contact, Ref
from crmbridge.adapters.activix.client import ActivixClient, AsyncActivixClient
from crmbridge.adapters.estateprime.client import AsyncEstatePrimeClient, EstatePrimeClient
from crmbridge.adapters.rechat.client import AsyncRechatClient, RechatClient
from crmbridge.errors import APIStatusError, NotFoundError, PermissionDeniedError, UnprocessableRequestError
from crmbridge.http import AsyncPager, SyncPager
from crmbridge.sandbox.rechat import RechatSandbox, make_sandbox

COLLECTIONS = ("contacts", "tasks", "attribute_defs", "tags", "jobs", "files")
"""Every brand-scoped collection of the Rechat sandbox."""
TASK = {"title": "Call back", "due_date": 1765163654.099, "task_type": "Call"}
UUID = "6f1d3c8e-1b2a-4c3d-8e9f-0a1b2c3d4e5f"


# -- two brands ----------------------------------------------------------------------------------


class Brands:
    """A seeded Rechat sandbox seen as brand A (the main token) and brand B (the ``-other`` token)."""

    def __init__(self) -> None:
        self.sandbox: RechatSandbox = make_sandbox(seed_records=30, seed=5)
        self.brand_a = self.sandbox.brand
        self.token_b = next(t for t, b in self.sandbox.extra_tokens.items() if b and b != self.brand_a)
        self.brand_b = self.sandbox.extra_tokens[self.token_b]
        self.user_a = self.sandbox.user(self.sandbox.token).id
        self.user_b = self.sandbox.user(self.token_b).id
        self.a = self.client(self.sandbox.token)
        self.b = self.client(self.token_b)

    def client(self, token: str, **options: Any) -> RechatClient:
        return RechatClient(token=token, base_url=self.sandbox.base_url, transport=self.sandbox.transport(), **options)

    def ids(self, collection: str, brand: str) -> list[str]:
        """The live documents of ``brand`` in ``collection``, by id, in store order."""
        return [
            d["id"] for d in self.sandbox.store.scan(collection) if d["brand"] == brand and d.get("deleted_at") is None
        ]

    def snapshot(self, brand: str) -> dict[str, list[Any]]:
        """Every document of ``brand``, deleted ones included, as stored."""
        return {
            name: [copy.deepcopy(d) for d in self.sandbox.store.scan(name) if d.get("brand") == brand]
            for name in COLLECTIONS
        }


@pytest.fixture
def brands() -> Iterator[Brands]:
    two = Brands()
    yield two
    two.a.close()
    two.b.close()


def test_brand_a_cannot_read_or_write_brand_b_through_the_client(brands: Brands) -> None:
    """Every client operation of brand A on brand B's records is refused (404/400) or finds nothing; B is unchanged."""
    a = brands.a
    contact_b, other_b = brands.ids("contacts", brands.brand_b)[:2]
    task_b = brands.ids("tasks", brands.brand_b)[0]
    contact_a, task_a = brands.ids("contacts", brands.brand_a)[0], brands.ids("tasks", brands.brand_a)[0]
    attribute_b = brands.b.contacts.get(contact_b, associations=["contact.attributes"]).attributes[0].id
    association_b = brands.b.tasks.associations.list(task_b)[0].id
    definition_b = brands.b.contacts.attribute_defs.create({"name": "b_only", "label": "B", "data_type": "text"})["id"]
    brands.b.contacts.tags.create("BrandBOnly")
    brands.b.contacts.delete(other_b)  # deleted in B: brand A must not be able to restore it
    before = brands.snapshot(brands.brand_b)
    attr = [{"attribute_type": "first_name", "text": "Mallory"}]
    refused: dict[str, tuple[type[APIStatusError], Callable[[], Any]]] = {
        "contacts.get": (NotFoundError, lambda: a.contacts.get(contact_b)),
        "contacts.update": (NotFoundError, lambda: a.contacts.update(contact_b, {"parked": True})),
        "contacts.delete": (NotFoundError, lambda: a.contacts.delete(contact_b)),
        "contacts.set_owner": (NotFoundError, lambda: a.contacts.set_owner(contact_b, brands.user_a)),
        "contacts.set_touch": (NotFoundError, lambda: a.contacts.set_touch(contact_b, 3)),
        "contacts.set_assignees": (NotFoundError, lambda: a.contacts.set_assignees(contact_b, [brands.user_a])),
        "contacts.duplicates": (NotFoundError, lambda: a.contacts.duplicates(contact_b)),
        "contacts.merge[into B]": (NotFoundError, lambda: a.contacts.merge(contact_b, [contact_a])),
        "contacts.merge[B into A]": (NotFoundError, lambda: a.contacts.merge(contact_a, [contact_b])),
        "contacts.bulk_merge": (NotFoundError, lambda: a.contacts.bulk_merge({contact_a: [contact_b]})),
        "contacts.bulk_delete": (NotFoundError, lambda: a.contacts.bulk_delete([contact_b])),
        "contacts.bulk_update[ids]": (
            NotFoundError,
            lambda: a.contacts.bulk_update(ids=[contact_b], patch={"parked": True}),
        ),
        "contacts.bulk_update[contacts]": (
            NotFoundError,
            lambda: a.contacts.bulk_update(contacts=[{"id": contact_b, "parked": True}]),
        ),
        "attributes.add": (NotFoundError, lambda: a.contacts.attributes.add(contact_b, attr)),
        "attributes.update": (NotFoundError, lambda: a.contacts.attributes.update(contact_b, attribute_b, attr[0])),
        "attributes.update[via A]": (
            NotFoundError,
            lambda: a.contacts.attributes.update(contact_a, attribute_b, attr[0]),
        ),
        "attributes.delete": (NotFoundError, lambda: a.contacts.attributes.delete(contact_b, attribute_b)),
        "attributes.delete[via A]": (NotFoundError, lambda: a.contacts.attributes.delete(contact_a, attribute_b)),
        "attributes.bulk_add": (NotFoundError, lambda: a.contacts.attributes.bulk_add([contact_b], attr)),
        "attributes.add[B's definition]": (
            UnprocessableRequestError,
            lambda: a.contacts.attributes.add(contact_a, [{"attribute_def": definition_b, "text": "x"}]),
        ),
        "attribute_defs.get": (NotFoundError, lambda: a.contacts.attribute_defs.get(definition_b)),
        "attribute_defs.update": (
            NotFoundError,
            lambda: a.contacts.attribute_defs.update(definition_b, {"label": "x"}),
        ),
        "attribute_defs.delete": (NotFoundError, lambda: a.contacts.attribute_defs.delete(definition_b)),
        "tags.rename": (NotFoundError, lambda: a.contacts.tags.rename("BrandBOnly", "Mine")),
        "tags.set_touch": (NotFoundError, lambda: a.contacts.tags.set_touch("BrandBOnly", 5)),
        "tags.delete": (NotFoundError, lambda: a.contacts.tags.delete("BrandBOnly")),
        "tasks.get": (NotFoundError, lambda: a.tasks.get(task_b)),
        "tasks.update": (NotFoundError, lambda: a.tasks.update(task_b, TASK)),
        "associations.list": (NotFoundError, lambda: a.tasks.associations.list(task_b)),
        "associations.add[to B's task]": (
            NotFoundError,
            lambda: a.tasks.associations.add(task_b, {"association_type": "contact", "contact": contact_a}),
        ),
        "associations.add[B's contact]": (
            NotFoundError,
            lambda: a.tasks.associations.add(task_a, {"association_type": "contact", "contact": contact_b}),
        ),
        "associations.remove": (NotFoundError, lambda: a.tasks.associations.remove(task_b, association_b)),
        "associations.remove_many": (NotFoundError, lambda: a.tasks.associations.remove_many(task_b, [association_b])),
        "contacts.set_owner[B's user]": (
            UnprocessableRequestError,
            lambda: a.contacts.set_owner(contact_a, brands.user_b),
        ),
        "contacts.create[B's owner]": (
            UnprocessableRequestError,
            lambda: a.contacts.create_ids([{"user": brands.user_b, "attributes": attr}]),
        ),
    }
    outcomes = {}
    for name, (_, call) in refused.items():
        try:
            call()
        except APIStatusError as error:
            outcomes[name] = type(error)
        else:
            outcomes[name] = None
    assert outcomes == {name: expected for name, (expected, _) in refused.items()}
    found = {
        "contacts.list[ids]": [c.id for c in a.contacts.list(ids=[contact_b])],
        "contacts.filter[ids]": [c.id for c in a.contacts.filter(ids=[contact_b])],
        "tasks.search[contact]": [t.id for t in a.tasks.search(contact=contact_b)],
        "contacts.list": sorted(
            {c.id for c in a.contacts.list(limit=200)} & set(brands.ids("contacts", brands.brand_b))
        ),
        "tasks.list": sorted({t.id for t in a.tasks.list(limit=200)} & set(brands.ids("tasks", brands.brand_b))),
        "attribute_defs.list": [d["id"] for d in a.contacts.attribute_defs.list() if d["id"] == definition_b],
        "tags.list": [t["tag"] for t in a.contacts.tags.list() if t["tag"] == "BrandBOnly"],
    }
    assert found == {name: [] for name in found}
    # Answered 204, but a no-op: these ids are not brand A's.
    assert a.contacts.attributes.bulk_delete([attribute_b]) is None
    assert a.contacts.undelete(deleted_gte=0, ids=[other_b]) is None
    assert brands.snapshot(brands.brand_b) == before


@pytest.mark.parametrize("client_class", [RechatClient, AsyncRechatClient], ids=lambda c: c.__name__)
def test_a_brand_header_of_another_brand_is_forbidden(brands: Brands, client_class: type[Any]) -> None:
    """Brand A's token with brand B in X-RECHAT-BRAND gets PermissionDeniedError (403) for reads and writes."""
    client = client_class(
        token=brands.sandbox.token,
        brand=brands.brand_b,
        base_url=brands.sandbox.base_url,
        transport=brands.sandbox.transport(),
    )
    before = brands.snapshot(brands.brand_b)
    contact_b = brands.ids("contacts", brands.brand_b)[0]
    calls: list[Callable[[], Any]] = [
        lambda: client.contacts.list(),
        lambda: client.contacts.get(contact_b),
        lambda: client.contacts.update(contact_b, {"parked": True}),
        lambda: client.contacts.delete(contact_b),
        lambda: client.tasks.create(TASK),
    ]
    for call in calls:
        with pytest.raises(PermissionDeniedError) as caught:
            asyncio.run(drain(call()))
        assert caught.value.status_code == 403
    assert brands.snapshot(brands.brand_b) == before


async def drain(result: Any) -> Any:
    """What a call returned, awaited, with a pager or generator it returned run to its end."""
    if inspect.isawaitable(result):
        result = await result
    if inspect.isasyncgen(result) or isinstance(result, AsyncPager):
        return [item async for item in result]
    if isinstance(result, Iterator | SyncPager):
        return list(result)
    return result


def connection(brands: Brands, token: str, asynchronous: bool) -> Any:
    opener = crmbridge.connect_async if asynchronous else crmbridge.connect
    sandbox = brands.sandbox
    return opener("rechat", token=token, base_url=sandbox.base_url, transport=sandbox.transport())


async def close(conn: Any) -> None:
    await drain(conn.aclose() if hasattr(conn, "aclose") else conn.close())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_brand_a_connection_cannot_reach_brand_b_and_creates_in_a(brands: Brands, asynchronous: bool) -> None:
    """Through connect(), brand A lists none of B's records, gets 404 on B's Refs, and its creates land in A only."""

    async def scenario() -> None:
        a, b = connection(brands, brands.sandbox.token, asynchronous), connection(brands, brands.token_b, asynchronous)
        contact_b = await drain(b.get("contact", brands.ids("contacts", brands.brand_b)[0]))
        task_b = await drain(b.get("task", brands.ids("tasks", brands.brand_b)[0]))
        before = brands.snapshot(brands.brand_b)
        listed = {r.ref for kind in ("contact", "task") for r in await drain(a.list(kind))}
        assert listed
        assert {contact_b.ref, task_b.ref} & listed == set()
        for attempt in (
            lambda: a.get("contact", contact_b.ref),
            lambda: a.get("task", task_b.ref),
            lambda: a.update(contact_b.model_copy(update={"last_name": "Mallory"}), fields=["last_name"]),
            lambda: a.update(task_b.model_copy(update={"title": "Mallory"}), fields=["title"]),
            lambda: a.delete(contact_b.ref),
        ):
            with pytest.raises(NotFoundError):
                await drain(attempt())
        new = Contact(first_name="Ada", last_name="Alpha", owners=[Ref("rechat", "user", brands.user_a)])
        created = await drain(a.create(new))
        assert isinstance(created, Ref)
        assert brands.sandbox.store.get("contacts", created.id)["brand"] == brands.brand_a
        with pytest.raises(NotFoundError):
            await drain(b.get("contact", created))
        assert created not in {r.ref for r in await drain(b.list("contact"))}
        assert brands.snapshot(brands.brand_b) == before
        await close(a)
        await close(b)

    asyncio.run(scenario())


def test_creates_through_the_client_land_in_the_callers_brand(brands: Brands) -> None:
    """A contact and a task created with brand A's token are stored in brand A and invisible to brand B."""
    attr = [{"attribute_type": "first_name", "text": "Alpha"}]
    [contact] = brands.a.contacts.create_ids([{"user": brands.user_a, "attributes": attr}])
    task = brands.a.tasks.create(TASK)
    assert brands.sandbox.store.get("contacts", contact)["brand"] == brands.brand_a
    assert brands.sandbox.store.get("tasks", task.id)["brand"] == brands.brand_a
    for call in (lambda: brands.b.contacts.get(contact), lambda: brands.b.tasks.get(task.id)):
        with pytest.raises(NotFoundError):
            call()


# -- redirects -------------------------------------------------------------------------------------

REDIRECTS = (301, 302, 303, 307, 308)
TOKEN = "tok-SECRET-redirect-9f3a"
CLIENTS: list[type[Any]] = [
    EstatePrimeClient,
    AsyncEstatePrimeClient,
    ActivixClient,
    AsyncActivixClient,
    RechatClient,
    AsyncRechatClient,
]
SYSTEM_OF = {
    EstatePrimeClient: "estateprime",
    AsyncEstatePrimeClient: "estateprime",
    ActivixClient: "activix",
    AsyncActivixClient: "activix",
    RechatClient: "rechat",
    AsyncRechatClient: "rechat",
}
READ_AND_WRITE: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "estateprime": (lambda c: c.contacts.get(1), lambda c: c.contacts.create({"first_name": "x"})),
    "activix": (lambda c: c.leads.get(1), lambda c: c.leads.create({"type": "email"})),
    "rechat": (lambda c: c.contacts.get(UUID), lambda c: c.tasks.create(TASK)),
}
"""One GET and one POST (never resent after an ambiguous failure) per CRM."""


def redirecting(status: int) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A CRM that answers every request with a redirect to another host; the requests it saw."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, headers={"location": "https://evil.example/steal"}, json={})

    return httpx.MockTransport(handler), seen


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("client_class", CLIENTS, ids=lambda c: c.__name__)
def test_no_client_follows_a_redirect(client_class: type[Any], status: int) -> None:
    """A 3xx to another host is a typed error after exactly one request; the token never goes to that host."""
    system = SYSTEM_OF[client_class]
    for call in READ_AND_WRITE[system]:
        transport, seen = redirecting(status)
        options: dict[str, Any] = {"token": TOKEN, "base_url": "https://crm.example", "transport": transport}
        client = client_class(**options, **({"rate_limit": None} if system == "activix" else {}))
        with pytest.raises(APIStatusError, match=r"redirect to https://evil\.example/steal; not followed") as caught:
            asyncio.run(drain(call(client)))
        assert type(caught.value) is APIStatusError
        assert caught.value.status_code == status
        assert [(r.url.host, r.headers["authorization"]) for r in seen] == [("crm.example", f"Bearer {TOKEN}")]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("system", ["estateprime", "activix", "rechat"])
def test_no_connection_follows_a_redirect(system: str, asynchronous: bool) -> None:
    """connect()/connect_async() gets and lookups stop at a redirect: a get sends one request, all to the CRM."""
    transport, seen = redirecting(307)
    opener = crmbridge.connect_async if asynchronous else crmbridge.connect
    options = {"lookups": {}} if system == "estateprime" else {}  # no lookup requests before the get
    conn = opener(system, token=TOKEN, base_url="https://crm.example", transport=transport, **options)
    with pytest.raises(APIStatusError, match="not followed") as caught:
        asyncio.run(drain(conn.get("contact", UUID if system == "rechat" else 1)))
    assert caught.value.status_code == 307
    assert len(seen) == 1
    with pytest.raises(APIStatusError, match="not followed"):
        asyncio.run(drain(conn.lookups()))
    asyncio.run(close(conn))
    assert {r.url.host for r in seen} == {"crm.example"}
