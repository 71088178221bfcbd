"""The Rechat clients against the in-process sandbox, every exchange checked against the OpenAPI file."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from crmbridge.adapters.rechat.client import (
    AsyncRechatClient,
    RechatClient,
    raw_item,
    read_page,
)
from crmbridge.adapters.rechat.wire import WireContact, WireTask
from crmbridge.errors import (
    AmbiguousWriteError,
    AuthenticationError,
    InvalidIdError,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UnprocessableRequestError,
)
from crmbridge.http import AsyncPager, RetryPolicy
from crmbridge.sandbox import FaultConfig
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.rechat import UNIMPLEMENTED, RechatSandbox, make_sandbox

CONTRACT = OpenAPIContract(openapi_path("rechat"))
DOCUMENTED = set(CONTRACT.operations()) - set(UNIMPLEMENTED)
TASK_EXPANSIONS = ["crm_task.associations", "crm_task.assignees", "crm_task.reminders"]
BAD_IDS = ["../admin", "1;DROP", "", "not-a-uuid"]
UNSAFE_JOB_IDS = {"not-a-uuid": "job/../x"}
"""Job ids are free strings: the not-a-UUID case becomes a path-unsafe one for them."""
ALL_FAULTS = ("500", "503", "429", "drop", "timeout", "truncate")


def contract_transport(sandbox: RechatSandbox) -> ContractTransport:
    """The sandbox's transport, validating every request and response against the contract."""
    return ContractTransport(sandbox.transport(), CONTRACT)


def client_for(sandbox: RechatSandbox, **options: Any) -> tuple[RechatClient, ContractTransport]:
    """A sync client of the sandbox (options override the sandbox's) and its contract transport."""
    transport = contract_transport(sandbox)
    merged = {**sandbox.client_options(), "transport": transport, **options}
    return RechatClient(**merged), transport


def async_client_for(sandbox: RechatSandbox, **options: Any) -> tuple[AsyncRechatClient, ContractTransport]:
    """The async twin of :func:`client_for`."""
    transport = contract_transport(sandbox)
    merged = {**sandbox.client_options(), "transport": transport, **options}
    return AsyncRechatClient(**merged), transport


@pytest.fixture
def sandbox() -> RechatSandbox:
    return make_sandbox(seed_records=40, seed=3)


@pytest.fixture
def client(sandbox: RechatSandbox) -> Iterator[RechatClient]:
    made, _ = client_for(sandbox)
    yield made
    made.close()


def me(sandbox: RechatSandbox) -> str:
    return sandbox.user(sandbox.token).id


def colleague(sandbox: RechatSandbox) -> str:
    return next(u.id for u in sandbox.users if u.brands == (sandbox.brand,) and u.token != sandbox.token)


def other_token(sandbox: RechatSandbox) -> str:
    return next(t for t, brand in sandbox.extra_tokens.items() if brand and brand != sandbox.brand)


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one: one scenario drives both twins."""
    return await value if inspect.isawaitable(value) else value


async def collect(pager: Any) -> list[Any]:
    """Every item of a SyncPager or an AsyncPager."""
    if isinstance(pager, AsyncPager):
        return [item async for item in pager]
    return list(pager)


def contact_input(sandbox: RechatSandbox, first: str, email: str) -> dict[str, Any]:
    return {
        "user": me(sandbox),
        "attributes": [
            {"attribute_type": "first_name", "text": first},
            {"attribute_type": "email", "text": email, "is_primary": True},
            {"attribute_type": "tag", "text": "VIP"},
        ],
    }


# -- every documented operation, through both twins --------------------------------------------


async def tour(c: Any, sandbox: RechatSandbox) -> dict[str, Any]:
    """Call every documented (and served) operation once; what came back, for assertions."""
    out: dict[str, Any] = {}
    # contacts: create, list, filter, get, patch, owner, touch, assignees
    [ada] = await done(
        c.contacts.create([contact_input(sandbox, "Ada", "ada@example.com")], associations=["contact.user"])
    )
    [grace_id, dup_id] = await done(
        c.contacts.create_ids(
            [contact_input(sandbox, "Grace", "grace@example.com"), contact_input(sandbox, "Ada2", "ada@example.com")]
        )
    )
    out["ada"] = ada
    out["listed"] = await collect(c.contacts.list(q=["Ada"], users=[me(sandbox)], limit=2))
    out["filtered"] = await collect(
        c.contacts.filter(filter=[{"attribute_type": "first_name", "value": "Grace"}], limit=5)
    )
    out["got"] = await done(c.contacts.get(ada.id, associations=["contact.attributes"]))
    out["patched"] = await done(
        c.contacts.update(ada.id, {"attributes": [{"attribute_type": "last_name", "text": "Lovelace"}]})
    )
    await done(c.contacts.set_owner(ada.id, colleague(sandbox)))
    out["owned"] = await done(c.contacts.get(ada.id, associations=["contact.user"]))
    out["colleague"] = colleague(sandbox)
    await done(c.contacts.set_touch(ada.id, 7))
    await done(c.contacts.set_assignees(ada.id, [me(sandbox)]))
    # attributes
    [nick] = await done(c.contacts.attributes.add(grace_id, [{"attribute_type": "nickname", "text": "Amazing"}]))
    edited = await done(c.contacts.attributes.update(grace_id, nick.id, {"text": "Grace H.", "label": "Fun"}))
    out["nickname"] = (nick.attribute_type, edited.id == nick.id, edited.text, edited.label)
    out["after_attribute_delete"] = await done(c.contacts.attributes.delete(grace_id, nick.id))
    await done(c.contacts.attributes.bulk_add([grace_id], [{"attribute_type": "job_title", "text": "Admiral"}]))
    titled = await done(c.contacts.get(grace_id, associations=["contact.attributes"]))
    job = next(a for a in titled.attributes if a.attribute_type == "job_title")
    await done(c.contacts.attributes.bulk_delete([job.id]))
    # attribute definitions
    out["defs"] = await done(c.contacts.attribute_defs.list())
    definition = await done(c.contacts.attribute_defs.create({"label": "Favourite colour", "data_type": "text"}))
    await done(c.contacts.attribute_defs.get(definition["id"]))
    await done(c.contacts.attribute_defs.update(definition["id"], {"label": "Colour", "data_type": "text"}))
    await done(c.contacts.attribute_defs.delete(definition["id"]))
    # tags
    await done(c.contacts.tags.create("Golf"))
    await done(c.contacts.tags.rename("Golf", "Tennis"))
    await done(c.contacts.tags.set_touch("Tennis", 10))
    out["tags"] = [t["tag"] for t in await done(c.contacts.tags.list())]
    await done(c.contacts.tags.delete("Tennis"))
    # duplicates and merges
    out["duplicates"] = [d.id for d in await done(c.contacts.duplicates(ada.id))]
    out["clusters"] = await collect(c.contacts.duplicate_clusters(limit=2))
    await done(c.contacts.merge(ada.id, [dup_id]))
    [a, b] = await done(c.contacts.create_ids([contact_input(sandbox, "M1", "m@example.com")] * 2))
    await done(c.contacts.bulk_merge({a: [b]}))
    # bulk update, delete, undelete, import
    await done(c.contacts.bulk_update(ids=[grace_id], patch={"parked": False}))
    before = time.time() - 1
    await done(c.contacts.bulk_delete([a]))
    await done(c.contacts.undelete(deleted_gte=before, ids=[a]))
    job = await done(c.contacts.import_json([contact_input(sandbox, "Imported", "imp@example.com")]))
    out["job"] = await done(c.contacts.get_job(job["id"]))
    # file imports (multipart)
    out["csv_job"] = await done(c.contacts.import_csv(b"first_name,email\nCsv,csv@example.com\n"))
    out["xls_job"] = await done(c.contacts.import_xls(b"\xd0\xcf\x11\xe0"))
    out["xlsx_job"] = await done(c.contacts.import_xlsx(b"PK\x03\x04"))
    out["file"] = await done(c.contacts.upload(b"first_name\nLater\n", filename="later.csv"))
    # tasks
    due = dt.datetime(2030, 5, 1, 9, 30, tzinfo=dt.UTC)
    body = {
        "title": "Call Ada about the offer",
        "due_date": due.timestamp(),
        "task_type": "Call",
        "assignees": [me(sandbox)],
        "reminders": [{"timestamp": due.timestamp() - 3600, "is_relative": True}],
        "associations": [{"association_type": "contact", "contact": ada.id}],
    }
    task = await done(c.tasks.create(body, associations=TASK_EXPANSIONS))
    out["created_task"] = task
    out["task_page"] = await done(c.tasks.list_page(limit=5, order="-created_at"))
    out["searched"] = await collect(
        c.tasks.search(
            q="offer Ada",
            assignee=me(sandbox),
            contact=ada.id,
            due_gte=due - dt.timedelta(days=1),
            due_lte=due + dt.timedelta(days=1),
            status="PENDING",
            task_type="Call",
            order="due_date",
        )
    )
    out["no_deal"] = await collect(c.tasks.search(deal=str(uuid.uuid4()), listing=str(uuid.uuid4())))
    fetched = await done(c.tasks.get(task.id, associations=TASK_EXPANSIONS))
    renamed = WireTask(
        id=fetched.id,
        title="Call Ada again",
        due_date=fetched.due_date,
        task_type=fetched.task_type,
        reminders=fetched.reminders,
    )
    out["updated_task"] = await done(c.tasks.update(task.id, renamed, associations=TASK_EXPANSIONS))
    link = await done(c.tasks.associations.add(task.id, {"association_type": "contact", "contact": grace_id}))
    out["links"] = await done(c.tasks.associations.list(task.id))
    await done(c.tasks.associations.remove(task.id, link.id))
    await done(c.tasks.associations.remove_many(task.id, [out["links"][0].id]))
    out["links_after"] = await done(c.tasks.associations.list(task.id))
    listing = {"association_type": "listing", "listing": str(uuid.uuid4()), "metadata": {"k": 1}}
    out["bulk_links"] = await done(c.tasks.associations.add_many(task.id, [listing]))
    out["done_task"] = await done(c.tasks.set_status(task.id, "DONE", associations=TASK_EXPANSIONS))
    out["clone"] = await done(c.tasks.clone(task.id, {"title": "Copy", "due_date": 1.0, "task_type": "Other"}))
    await done(c.tasks.delete(task.id))
    await done(c.tasks.delete(out["clone"].id))
    out["tasks_left"] = [t.id for t in await collect(c.tasks.list(limit=50)) if t.id in (task.id, out["clone"].id)]
    await done(c.contacts.delete(grace_id))
    return out


def check_tour(out: dict[str, Any], seen: set[tuple[str, str]]) -> None:
    """What the tour must have produced, whichever twin ran it."""
    assert seen == DOCUMENTED
    assert isinstance(out["ada"], WireContact)
    assert out["ada"].first_name == "Ada"
    assert [c.first_name for c in out["listed"]] == ["Ada", "Ada2"]
    assert [c.first_name for c in out["filtered"]] == ["Grace"]
    assert {a.attribute_type for a in out["got"].attributes} >= {"first_name", "email", "tag"}
    assert out["patched"].last_name == "Lovelace"
    assert out["owned"].user_id is None  # Rechat has no user_id: the owner is ``user``, when asked for
    assert out["owned"].user.id == out["colleague"] != out["ada"].user.id
    assert out["nickname"] == ("nickname", True, "Grace H.", "Fun")
    assert out["after_attribute_delete"].nickname is None
    assert any(d["name"] == "first_name" for d in out["defs"])
    assert "Tennis" in out["tags"]
    assert len(out["duplicates"]) == 1
    assert out["clusters"]
    assert out["job"]["state"] == "completed"
    assert out["job"]["created"] == 1
    assert (out["csv_job"]["state"], out["csv_job"]["created"]) == ("completed", 1)
    assert [out["xls_job"]["state"], out["xlsx_job"]["state"]] == ["failed", "failed"]
    assert (out["file"]["type"], out["file"]["name"]) == ("file", "later.csv")
    task = out["created_task"]
    assert [r.is_relative for r in task.reminders] == [True]
    assert out["task_page"].items[0].id == task.id
    assert [t.id for t in out["searched"]] == [task.id]
    assert out["no_deal"] == []
    updated = out["updated_task"]
    assert updated.title == "Call Ada again"
    assert [r.id for r in updated.reminders] == [r.id for r in task.reminders]
    assert len(out["links"]) == 2
    assert out["links_after"] == []
    assert [(a.association_type, a.metadata) for a in out["bulk_links"]] == [("listing", {"k": 1})]
    assert (out["done_task"].status, out["done_task"].reminders) == ("DONE", None)
    assert (out["clone"].title, out["clone"].task_type) == ("Copy", "Other")
    assert out["tasks_left"] == []


def test_sync_client_covers_every_documented_operation(sandbox: RechatSandbox) -> None:
    """The sync client calls every documented operation the sandbox serves, all within the contract."""
    c, transport = client_for(sandbox)
    with c:
        out = asyncio.run(tour(c, sandbox))
    check_tour(out, transport.seen)


def test_async_client_covers_every_documented_operation(sandbox: RechatSandbox) -> None:
    """The async twin calls every documented operation the sandbox serves, all within the contract."""

    async def run() -> tuple[dict[str, Any], set[tuple[str, str]]]:
        c, transport = async_client_for(sandbox)
        async with c:
            return await tour(c, sandbox), transport.seen

    out, seen = asyncio.run(run())
    check_tour(out, seen)


def test_every_documented_operation_is_served() -> None:
    """No documented operation is left out any more: the multipart uploads are served too."""
    assert UNIMPLEMENTED == ()
    assert DOCUMENTED == set(CONTRACT.operations())
    assert {("POST", "/contacts/import.csv"), ("POST", "/contacts/upload")} <= DOCUMENTED


# -- paging -------------------------------------------------------------------------------------


def test_list_pages_through_every_record(client: RechatClient) -> None:
    """A small limit makes several pages; the pager yields every record once."""
    everything = client.tasks.list_page(limit=100)
    pages = list(client.tasks.list(limit=7).pages())
    ids = [t.id for page in pages for t in page.items]
    assert everything.total == len(everything.items) > 14
    assert len(pages) == -(-everything.total // 7)
    assert sorted(ids) == sorted(t.id for t in everything.items)
    assert pages[-1].next_cursor is None
    assert pages[0].next_cursor == 7


def test_contact_pages_follow_start_and_limit(client: RechatClient) -> None:
    """Contacts page with start/limit too, and a later start skips the first records."""
    all_ids = [c.id for c in client.contacts.list(limit=5, order="created_at")]
    later = [c.id for c in client.contacts.list(start=10, limit=5, order="created_at")]
    assert len(all_ids) == len(set(all_ids)) == client.contacts.list_page(limit=1).total
    assert later == all_ids[10:]


def test_async_pager_matches_sync_pager(sandbox: RechatSandbox, client: RechatClient) -> None:
    """``async for`` over the async lister yields the same records as the sync one."""

    async def run() -> list[str]:
        c, _ = async_client_for(sandbox)
        async with c:
            return [t.id async for t in c.contacts.list(limit=6, order="created_at")]

    assert asyncio.run(run()) == [t.id for t in client.contacts.list(limit=6, order="created_at")]


def test_uncounted_total_pages_until_an_empty_page() -> None:
    """With ``info.total`` 0 (not counted) a page with items goes on, an empty page ends the list."""
    full = {"code": "OK", "data": [{"id": 1}, {"id": 2}], "info": {"count": 2, "total": 0}}
    empty = {"code": "OK", "data": [], "info": {"count": 0, "total": 0}}
    counted = {"code": "OK", "data": [{"id": 3}], "info": {"count": 1, "total": 5}}
    assert read_page(full, raw_item("task"), kind="task", start=4, limit=2).next_cursor == 6
    assert read_page(empty, raw_item("task"), kind="task", start=6, limit=2).next_cursor is None
    assert read_page(counted, raw_item("task"), kind="task", start=4, limit=2).next_cursor is None


# -- retries and faults -------------------------------------------------------------------------


def test_reads_survive_faults_with_every_record() -> None:
    """With 30% injected failures of every kind, lists still return every record (sync and async)."""
    calm = make_sandbox(seed_records=40, seed=5)
    faulty = make_sandbox(seed_records=40, seed=5, faults=FaultConfig(error_rate=0.3, kinds=ALL_FAULTS, seed=5))
    expected, _ = client_for(calm)
    c, _ = client_for(faulty)
    with expected, c:
        task_ids = sorted(t.id for t in expected.tasks.list(limit=5))
        contact_ids = sorted(x.id for x in expected.contacts.list(limit=5))
        assert sorted(t.id for t in c.tasks.list(limit=5)) == task_ids
        assert sorted(x.id for x in c.contacts.filter(limit=5)) == contact_ids

    async def run() -> list[str]:
        ac, _ = async_client_for(faulty)
        async with ac:
            return sorted([t.id async for t in ac.tasks.search(limit=4)])

    assert asyncio.run(run()) == task_ids
    assert faulty.faults is not None
    assert set(faulty.faults.injected) == set(ALL_FAULTS)


@pytest.mark.parametrize("kind", ["500", "503", "drop", "timeout", "truncate"])
def test_create_after_ambiguous_failure_raises_and_is_not_resent(kind: str) -> None:
    """A create that fails after it was sent raises AmbiguousWriteError, once, without a retry."""
    faulty = make_sandbox(seed_records=0, seed=1, faults=FaultConfig(error_rate=1.0, kinds=(kind,), seed=1))
    c, _ = client_for(faulty)
    body = {"title": "x", "due_date": 1_900_000_000, "task_type": "Todo"}
    with c, pytest.raises(AmbiguousWriteError) as caught:
        c.tasks.create(body)
    assert faulty.faults is not None
    assert faulty.faults.injected == {kind: 1}
    assert "may or may not have been applied" in str(caught.value)


def test_client_rate_limit_stays_under_the_server_limit() -> None:
    """A client limited to 8 requests/s never trips a server limit of 10/s."""
    limited = make_sandbox(seed_records=10, seed=2, faults=FaultConfig(rate_limit=10))
    c, transport = client_for(limited, rate_limit=8)
    started = time.monotonic()
    with c:
        for _ in range(14):
            c.tasks.list_page(limit=1)
    elapsed = time.monotonic() - started
    assert limited.faults is not None
    assert "rate_limited" not in limited.faults.injected
    assert elapsed >= 13 / 8 * 0.9
    assert transport.seen == {("GET", "/crm/tasks")}


# -- errors -------------------------------------------------------------------------------------


def test_bad_token_is_authentication_error(sandbox: RechatSandbox) -> None:
    """A wrong token answers 401 AuthenticationError, and the token appears nowhere in it."""
    c, _ = client_for(sandbox, token="wrong-secret-token")
    with c, pytest.raises(AuthenticationError) as caught:
        c.tasks.list_page()
    assert caught.value.status_code == 401
    assert "wrong-secret-token" not in str(caught.value)
    assert "wrong-secret-token" not in repr(c)


def test_foreign_brand_is_permission_denied(sandbox: RechatSandbox) -> None:
    """Asking for a brand the user is not in answers 403 PermissionDeniedError."""
    brand_b = sandbox.extra_tokens[other_token(sandbox)]
    c, _ = client_for(sandbox, brand=brand_b)
    with c, pytest.raises(PermissionDeniedError) as caught:
        c.contacts.list_page()
    assert caught.value.status_code == 403
    assert caught.value.body["code"] == "AccessForbidden"


def test_other_brands_records_are_not_found(sandbox: RechatSandbox, client: RechatClient) -> None:
    """Another brand's token sees none of this brand's tasks: 404 NotFoundError."""
    task = client.tasks.list_page(limit=1).items[0]
    other, _ = client_for(sandbox, token=other_token(sandbox), brand=None)
    with other:
        with pytest.raises(NotFoundError) as caught:
            other.tasks.get(task.id)
        theirs = {t.id for t in other.tasks.list(limit=50)}
    assert caught.value.status_code == 404
    assert theirs
    assert task.id not in theirs


def test_unknown_id_is_not_found(client: RechatClient) -> None:
    """A well-formed id that names nothing answers 404 NotFoundError."""
    with pytest.raises(NotFoundError) as caught:
        client.contacts.get(uuid.uuid4())
    assert caught.value.body["code"] == "ResourceNotFound"


def test_malformed_query_is_validation_error(client: RechatClient) -> None:
    """An order Rechat does not know answers 400 UnprocessableRequestError."""
    with pytest.raises(UnprocessableRequestError) as caught:
        client.tasks.list_page(order="title")
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "Validation"


def test_invalid_body_is_validation_error(sandbox: RechatSandbox, client: RechatClient) -> None:
    """A body Rechat refuses (an unknown attribute type) answers 400 UnprocessableRequestError."""
    bad = {"user": me(sandbox), "attributes": [{"attribute_type": "no_such_attribute", "text": "x"}]}
    with pytest.raises(UnprocessableRequestError) as caught:
        client.contacts.create([bad])
    assert "no_such_attribute" in caught.value.body["message"]


def test_answer_that_does_not_fit_the_wire_is_mapping_error() -> None:
    """A task whose title is not a string raises MappingError naming the field."""
    answer = {"code": "OK", "data": {"id": str(uuid.uuid4()), "title": 5, "due_date": 1, "task_type": "Call"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    with RechatClient(token="t", transport=transport) as c, pytest.raises(MappingError) as caught:
        c.tasks.get(answer["data"]["id"])
    assert caught.value.path == "data.title"


# -- ids and secrets ----------------------------------------------------------------------------

ID_CALLS: list[tuple[str, Callable[[RechatClient, str], Any]]] = [
    ("tasks.get", lambda c, bad: c.tasks.get(bad)),
    ("tasks.update", lambda c, bad: c.tasks.update(bad, {"title": "x", "due_date": 1, "task_type": "Todo"})),
    ("tasks.associations.list", lambda c, bad: c.tasks.associations.list(bad)),
    ("tasks.associations.remove", lambda c, bad: c.tasks.associations.remove(str(uuid.uuid4()), bad)),
    ("tasks.associations.remove_many", lambda c, bad: c.tasks.associations.remove_many(str(uuid.uuid4()), [bad])),
    ("tasks.search", lambda c, bad: c.tasks.search_page(contact=bad)),
    ("contacts.get", lambda c, bad: c.contacts.get(bad)),
    ("contacts.update", lambda c, bad: c.contacts.update(bad, {})),
    ("contacts.delete", lambda c, bad: c.contacts.delete(bad)),
    ("contacts.set_owner", lambda c, bad: c.contacts.set_owner(str(uuid.uuid4()), bad)),
    ("contacts.list", lambda c, bad: c.contacts.list_page(ids=[bad])),
    ("contacts.bulk_delete", lambda c, bad: c.contacts.bulk_delete([bad])),
    ("contacts.merge", lambda c, bad: c.contacts.merge(str(uuid.uuid4()), [bad])),
    ("contacts.attributes.delete", lambda c, bad: c.contacts.attributes.delete(str(uuid.uuid4()), bad)),
    ("contacts.attribute_defs.get", lambda c, bad: c.contacts.attribute_defs.get(bad)),
    ("contacts.get_job", lambda c, bad: c.contacts.get_job(UNSAFE_JOB_IDS.get(bad, bad))),
    ("contacts.tags.delete", lambda c, bad: c.contacts.tags.delete(".." if bad == "../admin" else "")),
]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(("name", "call"), ID_CALLS, ids=[name for name, _ in ID_CALLS])
def test_bad_ids_are_refused_before_any_request(
    sandbox: RechatSandbox, name: str, call: Callable[[RechatClient, str], Any], bad: str
) -> None:
    """Ids that are not UUIDs (or unsafe path segments) raise InvalidIdError and send nothing."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    c = RechatClient(token=sandbox.token, transport=httpx.MockTransport(record))
    with c, pytest.raises(InvalidIdError) as caught:
        call(c, bad)
    assert sent == []
    assert caught.value.system == "rechat"


LOOSE_UUIDS = {
    # Spellings uuid.UUID reads (some as another UUID than the one meant) that the client refuses.
    "leading space": " 736ddda0-f1c0-49e6-8aa7-9d3bef095f42",
    "trailing newline": "736ddda0-f1c0-49e6-8aa7-9d3bef095f42\n",
    "plus sign": "+36ddda0-f1c0-49e6-8aa7-9d3bef095f42",
    "0x prefix": "0x6ddda0f1c049e68aa79d3bef095f42",
    "full-width digit": "\uff17" + "36ddda0-f1c0-49e6-8aa7-9d3bef095f42",
    "31 hex digits": "36ddda0f1c049e68aa79d3bef095f42",
    "unbalanced brace": "{736ddda0-f1c0-49e6-8aa7-9d3bef095f42",
}
UUID_CALLS = [(n, c) for n, c in ID_CALLS if n not in {"contacts.get_job", "contacts.tags.delete"}]


@pytest.mark.parametrize("bad", list(LOOSE_UUIDS.values()), ids=list(LOOSE_UUIDS))
@pytest.mark.parametrize(("name", "call"), UUID_CALLS, ids=[name for name, _ in UUID_CALLS])
def test_loose_uuid_spellings_are_refused_before_any_request(
    sandbox: RechatSandbox, name: str, call: Callable[[RechatClient, str], Any], bad: str
) -> None:
    """Ids spelled as uuid.UUID would read but the documents do not (space, +, 0x, full-width) send nothing."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    c = RechatClient(token=sandbox.token, transport=httpx.MockTransport(record))
    with c, pytest.raises(InvalidIdError) as caught:
        call(c, bad)
    assert sent == []
    assert (caught.value.system, str(caught.value).endswith("must be a UUID")) == ("rechat", True)


def test_bad_brand_is_refused_at_construction(sandbox: RechatSandbox) -> None:
    """A brand that is not a UUID never reaches a header."""
    with pytest.raises(InvalidIdError):
        RechatClient(token=sandbox.token, brand="../admin")


def test_token_never_in_reprs_or_errors(sandbox: RechatSandbox) -> None:
    """The token is in no repr and no error message, even for failed and ambiguous requests."""
    faulty = make_sandbox(token="super-secret-value", faults=FaultConfig(error_rate=1.0, kinds=("500",)))
    c, _ = client_for(faulty)
    with c:
        with pytest.raises(AmbiguousWriteError) as ambiguous:
            c.tasks.create({"title": "x", "due_date": 1, "task_type": "Todo"})
        texts = [repr(c), repr(c.tasks), str(ambiguous.value), str(ambiguous.value.__cause__), ambiguous.value.url]
    assert c.brand == faulty.brand
    assert all("super-secret-value" not in text for text in texts)


# -- an expired token where Rechat checks the brand first ---------------------------------------


def test_expired_token_on_brand_first_route_is_an_authentication_error(sandbox: RechatSandbox) -> None:
    """GET /crm/tasks answers an expired token with 500: one token check, then AuthenticationError."""
    seen: list[str] = []
    inner = sandbox.transport()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return inner.handle_request(request)

    options = {**sandbox.client_options(), "token": "expired", "transport": httpx.MockTransport(record)}
    with RechatClient(**options) as c, pytest.raises(AuthenticationError):
        c.tasks.list_page()
    assert seen == ["/crm/tasks", "/crm/tasks/search"]


def test_async_expired_token_on_brand_first_route_is_an_authentication_error(sandbox: RechatSandbox) -> None:
    """The async twin makes the same single check."""
    seen: list[str] = []
    inner = sandbox.transport()

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return await inner.handle_async_request(request)

    async def run() -> None:
        options = {**sandbox.client_options(), "token": "expired", "transport": httpx.MockTransport(record)}
        async with AsyncRechatClient(**options) as c:
            await c.tasks.list_page()

    with pytest.raises(AuthenticationError):
        asyncio.run(run())
    assert seen == ["/crm/tasks", "/crm/tasks/search"]


@pytest.mark.parametrize("check_status", [200, 503])
def test_real_server_error_is_retried_with_one_token_check(check_status: int) -> None:
    """A 500 with a good token stays a retried ServerError checked once; a failing check is retried too."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/crm/tasks/search":
            return httpx.Response(check_status, json={"code": "OK", "data": [], "info": {"count": 0, "total": 0}})
        return httpx.Response(500, json={"message": "Internal Error"})

    retry = RetryPolicy(attempts=3)
    with RechatClient(token="t", transport=httpx.MockTransport(answer), retry=retry) as c, pytest.raises(ServerError):
        c.tasks.list_page()
    checks = seen.count("/crm/tasks/search")
    assert seen.count("/crm/tasks") == 3
    assert checks == (1 if check_status == 200 else 3)


def test_a_500_elsewhere_is_not_a_token_question() -> None:
    """Only the brand-first routes make the check: a 500 from GET /contacts is retried without one."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(500, json={"message": "Internal Error"})

    transport = httpx.MockTransport(answer)
    with RechatClient(token="t", transport=transport, retry=RetryPolicy(attempts=2)) as c, pytest.raises(ServerError):
        c.contacts.list_page()
    assert seen == ["/contacts", "/contacts"]
