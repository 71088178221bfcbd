"""``crmbridge.connect("rechat", ...)`` against the sandbox: canonical records in and out."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import crmbridge
from crmbridge.adapters.rechat.connection import make_backend, merged_task_body
from crmbridge.canonical import Contact, EmailAddress, Ref, Reminder, Task
from crmbridge.errors import InvalidIdError, NotFoundError, UnsupportedOperation
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.rechat import RechatSandbox, make_sandbox

CONTRACT = OpenAPIContract(openapi_path("rechat"))
DUE = dt.datetime(2030, 5, 1, 9, 30, tzinfo=dt.UTC)


def options(sandbox: RechatSandbox, **extra: Any) -> dict[str, Any]:
    """The sandbox's connection options, with a contract-checking transport."""
    transport = ContractTransport(sandbox.transport(), CONTRACT)
    return {**sandbox.client_options(), "transport": transport, **extra}


@pytest.fixture
def sandbox() -> RechatSandbox:
    return make_sandbox(seed_records=40, seed=3)


@pytest.fixture
def conn(sandbox: RechatSandbox) -> Iterator[crmbridge.Connection]:
    with crmbridge.connect("rechat", **options(sandbox, page_size=7)) as connection:
        yield connection


def me(sandbox: RechatSandbox) -> Ref:
    return Ref("rechat", "user", sandbox.user(sandbox.token).id)


def new_task(sandbox: RechatSandbox, contact: Ref | None = None) -> Task:
    return Task(
        title="Call Ada about the offer",
        description="Bring the numbers",
        kind="call",
        status="pending",
        due_at=DUE,
        assignees=[me(sandbox)],
        contacts=[contact] if contact else [],
        reminders=[
            Reminder(at=DUE - dt.timedelta(hours=1), relative=True),
            Reminder(at=DUE - dt.timedelta(days=1), relative=False),
        ],
    )


def new_contact(sandbox: RechatSandbox) -> Contact:
    return Contact(
        first_name="Ada",
        last_name="Lovelace",
        emails=[EmailAddress(address="ada@example.com", is_primary=True)],
        owners=[me(sandbox)],
    )


def reminders(task: Task) -> list[tuple[dt.datetime, bool]]:
    return sorted((r.at, r.relative) for r in task.reminders)


# -- round trips --------------------------------------------------------------------------------


def test_task_with_reminders_round_trips(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """A Task created with reminders and a contact link reads back with the same fields."""
    contact_ref = conn.create(new_contact(sandbox))
    sent = new_task(sandbox, contact_ref)
    ref = conn.create(sent)
    got = conn.get("task", ref)
    assert isinstance(got, Task)
    assert got.ref == ref
    assert (got.title, got.description, got.kind, got.status, got.due_at) == (
        sent.title,
        sent.description,
        sent.kind,
        sent.status,
        sent.due_at,
    )
    assert got.assignees == sent.assignees
    assert got.contacts == [contact_ref]
    assert reminders(got) == reminders(sent)


def test_task_title_update_keeps_reminders(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """Updating only the title keeps every reminder (the PUT resends them with their ids)."""
    ref = conn.create(new_task(sandbox))
    before = conn.get("task", ref)
    assert isinstance(before, Task)
    conn.update(before.model_copy(update={"title": "Call Ada again"}))
    after = conn.get("task", ref)
    assert isinstance(after, Task)
    assert after.title == "Call Ada again"
    assert reminders(after) == reminders(before)
    assert [r.extras["id"] for r in after.reminders] == [r.extras["id"] for r in before.reminders]


def test_task_update_of_some_fields(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """``update(fields=...)`` changes the status and leaves the reminders alone."""
    ref = conn.create(new_task(sandbox))
    before = conn.get("task", ref)
    assert isinstance(before, Task)
    conn.update(before.model_copy(update={"status": "done"}), fields=["status"])
    after = conn.get("task", ref)
    assert isinstance(after, Task)
    assert after.status == "done"
    assert reminders(after) == reminders(before)


class Recorder(httpx.BaseTransport):
    """Passes requests to the contract-checking transport and keeps each one seen."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


def colleague(sandbox: RechatSandbox) -> Ref:
    user = next(u.id for u in sandbox.users if u.brands == (sandbox.brand,) and u.token != sandbox.token)
    return Ref("rechat", "user", user)


def test_full_crud_cycle_keeps_owners_descriptions_reminders_and_links(sandbox: RechatSandbox) -> None:
    """Create, partial updates, link removal and delete of tasks and contacts keep every other field.

    The sandbox follows Rechat's server: unrequested relations are left out, a PUT nulls the
    scalars it is not sent, only ``associations[]=`` expands and only ``ids[]=`` removes.
    """
    recorder = Recorder(ContractTransport(sandbox.transport(), CONTRACT))
    with crmbridge.connect("rechat", **{**sandbox.client_options(), "transport": recorder, "page_size": 5}) as conn:
        owner = colleague(sandbox)
        first = conn.create(new_contact(sandbox).model_copy(update={"owners": [owner]}))
        second = conn.create(new_contact(sandbox).model_copy(update={"first_name": "Grace", "owners": [owner]}))
        contact = conn.get("contact", first)
        assert isinstance(contact, Contact)
        assert contact.owners == [owner]
        assert contact.created_by == me(sandbox)
        conn.update(contact.model_copy(update={"last_name": "Byron"}), fields=["last_name"])
        assert sandbox.store.get("contacts", first.id)["user"] == owner.id

        sent = new_task(sandbox, first).model_copy(
            update={"contacts": [first, second], "ends_at": DUE + dt.timedelta(hours=1), "kind": "In-Person Meeting"}
        )
        ref = conn.create(sent)
        task = conn.get("task", ref)
        assert isinstance(task, Task)
        assert (task.kind, task.created_by, task.contacts) == ("In-Person Meeting", me(sandbox), [first, second])

        conn.update(task.model_copy(update={"title": "Renamed"}), fields=["title"])
        renamed = conn.get("task", ref)
        assert isinstance(renamed, Task)
        assert (renamed.title, renamed.description, renamed.ends_at, renamed.status) == (
            "Renamed",
            sent.description,
            sent.ends_at,
            "pending",
        )
        assert (renamed.assignees, renamed.contacts, reminders(renamed)) == (
            sent.assignees,
            [first, second],
            reminders(sent),
        )

        conn.update(renamed.model_copy(update={"contacts": [second]}), fields=["contacts"])
        unlinked = conn.get("task", ref)
        assert isinstance(unlinked, Task)
        assert (unlinked.contacts, unlinked.title, unlinked.description) == ([second], "Renamed", sent.description)
        assert reminders(unlinked) == reminders(sent)

        conn.update(unlinked.model_copy(update={"status": "done"}), fields=["status"])
        done = conn.get("task", ref)
        assert isinstance(done, Task)
        assert (done.status, done.description, done.contacts) == ("done", sent.description, [second])
        listed = [t for t in conn.list("task") if isinstance(t, Task) and t.ref == ref]
        assert listed[0].contacts == [second]

        conn.delete(ref)
        with pytest.raises(NotFoundError):
            conn.get("task", ref)
        conn.delete(first)
    lists = [r for r in recorder.requests if r.method == "GET" and r.url.path in ("/crm/tasks", "/contacts")]
    assert lists
    assert all(r.url.params.get("order") for r in lists)
    assert not any(r.url.params.get("associations") for r in recorder.requests)
    puts = [r for r in recorder.requests if r.method == "PUT"]
    assert all("crm_task.associations" in r.url.params.get_list("associations[]") for r in puts)


def test_contact_create_update_delete(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """A Contact is created, patched (new last name, same email) and deleted through canonical records."""
    ref = conn.create(new_contact(sandbox))
    got = conn.get("contact", ref)
    assert isinstance(got, Contact)
    assert (got.first_name, got.last_name) == ("Ada", "Lovelace")
    assert [e.address for e in got.emails] == ["ada@example.com"]
    conn.update(got.model_copy(update={"last_name": "Byron"}), fields=["last_name"])
    updated = conn.get("contact", ref)
    assert isinstance(updated, Contact)
    assert (updated.first_name, updated.last_name) == ("Ada", "Byron")
    assert [e.address for e in updated.emails] == ["ada@example.com"]
    conn.delete(ref)
    with pytest.raises(NotFoundError):
        conn.get("contact", ref)


# -- listing ------------------------------------------------------------------------------------


def test_list_pages_through_every_record(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """Listing with a page size of 7 returns every task and contact of the brand, once each."""
    tasks = list(conn.list("task"))
    contacts = list(conn.list("contact"))
    brand_tasks = sandbox.state.scoped("tasks", sandbox.brand) if sandbox.state else []
    brand_contacts = sandbox.state.scoped("contacts", sandbox.brand) if sandbox.state else []
    assert len(tasks) == len(brand_tasks) > 7
    assert sorted(t.ref.id for t in tasks if t.ref) == sorted(d["id"] for d in brand_tasks)
    assert sorted(c.ref.id for c in contacts if c.ref) == sorted(d["id"] for d in brand_contacts)


def test_listed_tasks_are_complete(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """Listed tasks carry their reminders (expanded), like a get does."""
    ref = conn.create(new_task(sandbox))
    listed = next(t for t in conn.list("task") if t.ref == ref)
    assert isinstance(listed, Task)
    assert reminders(listed) == reminders(new_task(sandbox))


def test_updated_since_for_contacts_and_tasks(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """``updated_since`` returns exactly the records updated at or after it, for both kinds."""
    since = dt.datetime.fromtimestamp(time.time() - 1, dt.UTC)
    task_ref = conn.create(new_task(sandbox))
    contact_ref = conn.create(new_contact(sandbox))
    recent_tasks = [t.ref for t in conn.list("task", updated_since=since)]
    recent_contacts = [c.ref for c in conn.list("contact", updated_since=since)]
    assert recent_tasks == [task_ref]
    assert recent_contacts == [contact_ref]
    old = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert len(list(conn.list("task", updated_since=old))) == len(list(conn.list("task")))


def test_crm_filters_pass_through(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """Rechat's own filters go through by name: task status and contact attribute filters."""
    done = list(conn.list("task", status="DONE"))
    assert done
    assert {t.status for t in done if isinstance(t, Task)} == {"done"}
    conn.create(new_contact(sandbox))
    found = list(conn.list("contact", filter=[{"attribute_type": "last_name", "value": "Lovelace"}]))
    assert [c.last_name for c in found if isinstance(c, Contact)] == ["Lovelace"]


@pytest.mark.parametrize(("kind", "filters"), [("task", {"colour": "red"}), ("contact", {"due_gte": 1})])
def test_unknown_filter_is_unsupported(conn: crmbridge.Connection, kind: str, filters: dict[str, Any]) -> None:
    """A filter the endpoint does not take raises UnsupportedOperation naming it."""
    with pytest.raises(UnsupportedOperation) as caught:
        list(conn.list(kind, **filters))
    assert next(iter(filters)) in str(caught.value)


def test_updated_since_with_another_task_order_is_unsupported(conn: crmbridge.Connection) -> None:
    """Tasks list by -updated_at for updated_since, so another order cannot be honoured."""
    with pytest.raises(UnsupportedOperation):
        list(conn.list("task", updated_since=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), order="due_date"))


def test_lookups_are_tags_and_attribute_defs(conn: crmbridge.Connection) -> None:
    """lookups() gives the brand's tags and attribute definitions as Rechat sends them."""
    lookups = conn.lookups()
    assert set(lookups) == {"contacts/tags", "contacts/attribute_defs"}
    assert all(tag["type"] == "crm_tag" for tag in lookups["contacts/tags"])
    assert "first_name" in {d["name"] for d in lookups["contacts/attribute_defs"]}


# -- brands, ids and options --------------------------------------------------------------------


def test_brand_isolation_through_connect(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """Another brand's user sees none of this brand's records and cannot get them."""
    ref = conn.create(new_task(sandbox))
    token = next(t for t, brand in sandbox.extra_tokens.items() if brand and brand != sandbox.brand)
    with crmbridge.connect("rechat", **options(sandbox, token=token, brand=None)) as other:
        with pytest.raises(NotFoundError):
            other.get("task", ref)
        theirs = {t.ref for t in other.list("task")}
    assert theirs
    assert ref not in theirs


def test_bad_ids_refused_before_any_request(sandbox: RechatSandbox) -> None:
    """get/update/delete with an id that is not a UUID raise InvalidIdError without a request."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(500))
    with crmbridge.connect("rechat", token="t", transport=transport) as connection:
        for bad in ("../admin", "1;DROP"):
            with pytest.raises(InvalidIdError):
                connection.get("task", bad)
            with pytest.raises(InvalidIdError):
                connection.delete(Ref("rechat", "contact", bad))
    assert sent == []


def test_options_are_split_between_client_and_adapter(sandbox: RechatSandbox) -> None:
    """Client options reach the client; an option nobody takes is refused by the adapter."""
    backend = make_backend(**options(sandbox, rate_limit=50, page_size=3))
    assert backend.page_size == 3
    assert backend.client.rate_limiter is not None
    assert backend.client.brand == sandbox.brand
    backend.close()
    with pytest.raises(TypeError):
        make_backend(**options(sandbox, timezone="UTC"))


# -- async --------------------------------------------------------------------------------------


def test_async_connection_round_trips(sandbox: RechatSandbox) -> None:
    """connect_async creates, gets, updates, lists, deletes and looks up like the sync connection."""

    async def run() -> dict[str, Any]:
        async with crmbridge.connect_async("rechat", **options(sandbox, page_size=6)) as conn:
            task_ref = await conn.create(new_task(sandbox))
            task = await conn.get("task", task_ref)
            assert isinstance(task, Task)
            await conn.update(task.model_copy(update={"title": "Renamed"}), fields=["title"])
            renamed = await conn.get("task", task_ref)
            await conn.delete(task_ref)
            try:
                await conn.get("task", task_ref)
                task_deleted = False
            except NotFoundError:
                task_deleted = True
            contact_ref = await conn.create(new_contact(sandbox))
            listed = [c.ref async for c in conn.list("contact")]
            await conn.delete(contact_ref)
            since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
            tasks = [t.ref async for t in conn.list("task", updated_since=since)]
            try:
                await conn.get("contact", contact_ref)
                deleted = False
            except NotFoundError:
                deleted = True
            return {
                "renamed": renamed,
                "task": task,
                "listed": listed,
                "contact": contact_ref,
                "tasks": tasks,
                "deleted": deleted,
                "task_deleted": task_deleted,
                "lookups": await conn.lookups(),
            }

    out = asyncio.run(run())
    assert out["renamed"].title == "Renamed"
    assert (out["renamed"].description, out["renamed"].assignees) == (out["task"].description, out["task"].assignees)
    assert reminders(out["renamed"]) == reminders(out["task"])
    assert out["contact"] in out["listed"]
    assert out["task"].ref not in out["tasks"]  # deleted before the listing
    assert out["deleted"] is True
    assert out["task_deleted"] is True
    assert set(out["lookups"]) == {"contacts/tags", "contacts/attribute_defs"}


def test_async_and_sync_list_the_same_records(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """The async connection lists the same contacts, in the same order, as the sync one."""

    async def run() -> list[Ref | None]:
        async with crmbridge.connect_async("rechat", **options(sandbox, page_size=4)) as aconn:
            return [c.ref async for c in aconn.list("contact", order="created_at")]

    assert asyncio.run(run()) == [c.ref for c in conn.list("contact", order="created_at")]


def test_random_uuid_is_not_found(conn: crmbridge.Connection) -> None:
    """A well-formed id that names nothing raises NotFoundError through the connection."""
    with pytest.raises(NotFoundError):
        conn.get("contact", str(uuid.uuid4()))


def test_merged_task_body_keeps_current_scalars_and_reuses_association_ids() -> None:
    """A PUT body built from a partial one: current scalars kept, a same-target new link takes the existing id."""
    contact, other = str(uuid.uuid4()), str(uuid.uuid4())
    current = {
        "title": "Old",
        "description": "keep",
        "due_date": 10.0,
        "end_date": 20.0,
        "status": "PENDING",
        "task_type": "Other",
        "metadata": {"a": 1},
        "all_day": True,
        "associations": [
            {"id": "assoc-1", "association_type": "contact", "contact": {"id": contact, "type": "contact"}},
            {"id": "assoc-2", "association_type": "contact", "contact": {"id": other, "type": "contact"}},
        ],
    }
    body = {"title": "New", "associations": [{"association_type": "contact", "contact": contact}]}
    merged = merged_task_body(current, body)
    assert merged["title"] == "New"
    assert [merged[k] for k in ("description", "end_date", "status", "task_type", "metadata", "all_day")] == [
        "keep",
        20.0,
        "PENDING",
        "Other",
        {"a": 1},
        True,
    ]
    assert merged["associations"] == [{"association_type": "contact", "contact": contact, "id": "assoc-1"}]
    kept = merged_task_body(
        current, {"associations": [{"id": "assoc-1"}, {"association_type": "contact", "contact": contact}]}
    )
    assert kept["associations"] == [{"id": "assoc-1"}, {"association_type": "contact", "contact": contact}]
    assert "reminders" not in merged_task_body(current, {"title": "x"})


def test_email_associations_are_read_and_kept_on_update(sandbox: RechatSandbox, conn: crmbridge.Connection) -> None:
    """A task Rechat linked to an email campaign keeps that link through a canonical update."""
    ref = conn.create(new_task(sandbox))
    stored = sandbox.store.get("tasks", ref.id)
    campaign = str(uuid.uuid4())
    email = {
        "id": str(uuid.uuid4()),
        "created_at": 1.0,
        "updated_at": 1.0,
        "deleted_at": None,
        "created_by": stored["created_by"],
        "brand": stored["brand"],
        "association_type": "email",
        "crm_task": ref.id,
        "contact": None,
        "listing": None,
        "deal": None,
        "email": campaign,
        "index": None,
        "metadata": None,
        "type": "crm_association",
    }
    sandbox.store.put("tasks", ref.id, {**stored, "associations": [email]})
    task = conn.get("task", ref)
    assert isinstance(task, Task)
    assert [a["association_type"] for a in task.extras["associations"]] == ["email"]
    conn.update(task.model_copy(update={"title": "Renamed"}), fields=["title", "contacts"])
    after = sandbox.store.get("tasks", ref.id)
    assert [(a["association_type"], a["email"]) for a in after["associations"]] == [("email", campaign)]
    assert after["title"] == "Renamed"
