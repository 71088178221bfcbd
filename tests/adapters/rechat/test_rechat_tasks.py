"""Rechat tasks: every vendor example read field by field, and the create and update bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crmbridge import Ref, Reminder, Task, get_adapter
from crmbridge.adapters.rechat import RechatAdapter
from crmbridge.adapters.rechat.wire import canonical_uuid, uuid_argument
from crmbridge.errors import MappingError, UnresolvedReference, UnsupportedKind

from ._helpers import BRAND, TASK_ID, USER_ID, example, fixture

JOHNNY = "a33dc03d-a489-40e3-8452-3be8fb777182"
KATE = "f2999691-8542-4e3c-9ecb-36d298e36729"
DANIEL = "91c94064-4290-4005-9bfa-24abe4f5341a"
LISTING = "edb5195a-f7ec-11e4-bc76-0a95648eeb58"
DUE = datetime(2025, 12, 8, 3, 14, 14, 99000, tzinfo=UTC)


@pytest.fixture
def adapter() -> RechatAdapter:
    """The adapter as the registry builds it."""
    built = get_adapter("rechat")
    assert isinstance(built, RechatAdapter)
    return built


def read(adapter: RechatAdapter, name: str) -> Task:
    record = adapter.to_canonical("task", example(name))
    assert isinstance(record, Task)
    return record


def test_registry_builds_the_rechat_adapter(adapter: RechatAdapter) -> None:
    """get_adapter("rechat") returns the Rechat adapter translating tasks and contacts."""
    assert adapter.system == "rechat"
    assert adapter.kinds == frozenset({"task", "contact"})


def test_list_item_fields(adapter: RechatAdapter) -> None:
    """The list item's fields land in the canonical Task, metadata/kind/brand in extras."""
    task = read(adapter, "task.list-item")
    assert task.ref == Ref("rechat", "task", TASK_ID)
    assert task.title == "Hello, Task World!"
    assert task.description is None
    assert task.kind == "todo"
    assert task.status == "pending"
    assert task.due_at == DUE
    assert task.ends_at == DUE + timedelta(hours=2)
    assert task.all_day is False
    assert task.created_at == datetime(2025, 12, 8, 3, 14, 14, 156179, tzinfo=UTC)
    assert task.updated_at == task.created_at
    assert task.deleted_at is None
    assert task.assignees == []
    assert task.contacts == task.listings == task.deals == []
    assert task.extras == {"metadata": {"template": "<html></html>"}, "kind": "Task", "brand": BRAND}


def test_by_id_expanded_assignees_and_associations(adapter: RechatAdapter) -> None:
    """Expanded assignees become user Refs; associations become Refs and are kept with their ids."""
    task = read(adapter, "task.by-id-expanded")
    assert task.status == "done"
    assert task.assignees == [Ref("rechat", "user", USER_ID)]
    assert [r.id for r in task.contacts] == [JOHNNY, KATE, DANIEL]
    assert task.listings == [Ref("rechat", "listing", LISTING)]
    assert task.deals == []
    kept = task.extras["associations"]
    assert isinstance(kept, list)
    assert [(a["id"], a["association_type"], a.get("contact") or a.get("listing")) for a in kept] == [  # type: ignore[union-attr,index]
        ("8b1065c2-b546-4710-a80f-27a7a79ebcd1", "contact", JOHNNY),
        ("351747fd-bd4b-4fdf-ba36-0d8f8a72cb9b", "listing", LISTING),
        ("29da8529-fe57-40f8-9ae7-ff71a859901f", "contact", KATE),
        ("3943d6d9-7849-4bc3-b10c-0a34aecbb0fc", "contact", DANIEL),
    ]
    assert kept[0]["index"] == 1  # type: ignore[index,call-overload]
    assert kept[0]["metadata"] == {"origin": "rechat"}  # type: ignore[index,call-overload]
    assert task.extras["emails"] == []


def test_search_result_matches_by_id(adapter: RechatAdapter) -> None:
    """The search result carries the same associations as the expanded task by id."""
    found = read(adapter, "task.search-result")
    by_id = read(adapter, "task.by-id-expanded")
    assert found.contacts == by_id.contacts
    assert found.listings == by_id.listings
    assert found.extras["associations"] == by_id.extras["associations"]
    assert found.assignees == []


def test_envelopes_read_as_batches(adapter: RechatAdapter) -> None:
    """Every task envelope of the document reads without failures, one record per data item."""
    names = ["get-tasks", "get-task-by-id", "search-tasks", "create-task", "create-relative-reminder"]
    names += ["update-task", "reassign-task", "fixed-reminder", "bulk-associations"]
    for name in names:
        result = adapter.read_envelope("task", fixture(f"envelope.{name}"))
        assert result.failures == []
        assert [r.ref for r in result.records] != []
        assert all(isinstance(r, Task) for r in result.records)


def test_create_body_read_and_written_back(adapter: RechatAdapter) -> None:
    """The vendor create body reads to a Task whose create body is the vendor's plus the default status."""
    body = fixture("body.create-task")
    task = read(adapter, "task.create-body")
    assert task.ref is None
    assert task.status == "pending"
    assert task.assignees == [Ref("rechat", "user", "601b91e2-f50c-45d0-bcf4-c1c0a2298a3a")]
    assert task.listings == [Ref("rechat", "listing", LISTING)]
    assert adapter.from_canonical(task) == {**body, "status": "PENDING"}


def test_create_response_fields(adapter: RechatAdapter) -> None:
    """The create response has the created id, the assignee as a Ref and the listing association."""
    task = read(adapter, "task.create-response")
    assert task.ref == Ref("rechat", "task", TASK_ID)
    assert task.assignees == [Ref("rechat", "user", "601b91e2-f50c-45d0-bcf4-c1c0a2298a3a")]
    assert task.listings == [Ref("rechat", "listing", LISTING)]
    assert task.extras["associations"][0]["listing"] == LISTING  # type: ignore[index,call-overload]


def test_relative_reminder_body_round_trips(adapter: RechatAdapter) -> None:
    """The relative reminder create body reads to a relative Reminder and writes back equal."""
    task = read(adapter, "task.relative-reminder-body")
    assert task.reminders == [Reminder(at=DUE - timedelta(hours=2), relative=True, extras={})]
    assert adapter.from_canonical(task) == {**fixture("body.create-relative-reminder"), "status": "PENDING"}


def test_relative_reminder_response_keeps_reminder_id(adapter: RechatAdapter) -> None:
    """The response's reminder keeps its id and read-only fields in the reminder's extras."""
    task = read(adapter, "task.relative-reminder-response")
    reminder = task.reminders[0]
    assert reminder.relative is True
    assert reminder.at == DUE - timedelta(hours=2)
    assert reminder.extras["id"] == "5f584b4e-909d-40a5-befb-fe31833694c0"
    assert reminder.extras["task"] == "68042703-d0ac-4448-ae00-98b3332186bb"


def test_reschedule_moves_relative_reminder_only(adapter: RechatAdapter) -> None:
    """Moving the due date moves the relative reminder and leaves a fixed one in place."""
    task = read(adapter, "task.relative-reminder-response")
    fixed = Reminder(at=DUE - timedelta(minutes=5), relative=False, extras={})
    task = task.model_copy(update={"reminders": [*task.reminders, fixed]})
    moved = task.reschedule(DUE + timedelta(days=1))
    body = adapter.to_update(moved)
    assert body["due_date"] == 1765250054.099
    assert body["reminders"][0]["timestamp"] == 1765242854.099
    assert body["reminders"][1]["timestamp"] == 1765163354.099


def test_update_body_example_and_status(adapter: RechatAdapter) -> None:
    """The "Update a task" body reads as a done task whose create-shaped body equals it."""
    task = read(adapter, "task.update-body")
    assert task.status == "done"
    assert adapter.from_canonical(task) == fixture("body.update-task")


def test_update_body_carries_id_and_every_field(adapter: RechatAdapter) -> None:
    """to_update of the update response has the id, nulls, every reminder and the extras."""
    task = read(adapter, "task.update-response")
    body = adapter.to_update(task)
    assert body == {
        "id": TASK_ID,
        "title": "Hello, Task World!",
        "description": None,
        "due_date": 1765163654.099,
        "end_date": 1765170854.099,
        "status": "DONE",
        "task_type": "Todo",
        "all_day": False,
        "assignees": [],
        "reminders": [],
        "associations": [],
        "metadata": {"template": "<html></html>"},
        "kind": "Task",
        "brand": BRAND,
    }


def test_reassign_body_and_response(adapter: RechatAdapter) -> None:
    """The re-assign body writes assignees as UUID strings; the response's user object becomes a Ref."""
    body_task = read(adapter, "task.reassign-body")
    assert body_task.assignees == [Ref("rechat", "user", USER_ID)]
    update = adapter.to_update(body_task)
    assert update["assignees"] == [USER_ID]
    assert update["id"] == TASK_ID
    response = read(adapter, "task.reassign-response")
    assert response.assignees == body_task.assignees


def test_fixed_reminder_update_round_trips(adapter: RechatAdapter) -> None:
    """The fixed reminder update body writes back with its reminder, and the response keeps the id."""
    task = read(adapter, "task.fixed-reminder-body")
    read_only = {"created_at", "updated_at", "deleted_at", "type"}  # echoed by the vendor, set by Rechat
    expected = {k: v for k, v in fixture("body.fixed-reminder").items() if k not in read_only}
    body = adapter.to_update(task)
    assert body["reminders"] == [{"is_relative": False, "timestamp": 1765160054.099}]
    assert {k: body[k] for k in expected} == expected
    response = read(adapter, "task.fixed-reminder-response")
    assert adapter.to_update(response)["reminders"] == [
        {"is_relative": False, "timestamp": 1765160054.099, "id": "56926eb8-c0f8-4db9-8cab-dd262d5a6c54"}
    ]


def test_title_change_keeps_every_reminder(adapter: RechatAdapter) -> None:
    """Changing only the title still sends every reminder with its id (Rechat deletes omitted ones)."""
    task = read(adapter, "task.relative-reminder-response")
    renamed = task.model_copy(update={"title": "Renamed"})
    body = adapter.to_update(renamed, fields=["title"])
    assert body == {
        "id": "68042703-d0ac-4448-ae00-98b3332186bb",
        "title": "Renamed",
        "due_date": 1765163654.099,
        "task_type": "Todo",
        "reminders": [{"is_relative": True, "timestamp": 1765156454.099, "id": "5f584b4e-909d-40a5-befb-fe31833694c0"}],
    }


def test_bulk_associations_body_round_trips(adapter: RechatAdapter) -> None:
    """The bulk body's kept associations come back whole and the new ones as {type, contact, metadata}."""
    task = read(adapter, "task.bulk-associations-body")
    assert [r.id for r in task.contacts] == [JOHNNY, KATE, DANIEL]
    body = adapter.to_update(task)
    assert body["associations"] == fixture("body.bulk-associations")["associations"]


def test_bulk_associations_response(adapter: RechatAdapter) -> None:
    """The bulk response's expanded contacts become Refs and the embedded contacts are readable."""
    payload = example("task.bulk-associations-response")
    task = adapter.to_canonical("task", payload)
    assert isinstance(task, Task)
    assert [r.id for r in task.contacts] == [JOHNNY, KATE, DANIEL]
    contacts = adapter.embedded_contacts(payload)
    assert [c.display_name for c in contacts] == ["Johnny", "Kate Bell", "Daniel Higgins"]
    assert contacts[0].ref == Ref("rechat", "contact", JOHNNY)


def test_adding_and_removing_links(adapter: RechatAdapter) -> None:
    """A removed contact's association is not written, an added one is written as a new association."""
    task = read(adapter, "task.by-id-expanded")
    added = Ref("rechat", "deal", "11111111-2222-4333-8444-555555555555")
    changed = task.model_copy(update={"contacts": task.contacts[:1], "deals": [added]})
    associations = adapter.to_update(changed)["associations"]
    assert [a.get("id") for a in associations] == [
        "8b1065c2-b546-4710-a80f-27a7a79ebcd1",
        "351747fd-bd4b-4fdf-ba36-0d8f8a72cb9b",
        None,
    ]
    assert associations[2] == {"association_type": "deal", "deal": added.id}


def test_create_from_read_task_strips_association_ids(adapter: RechatAdapter) -> None:
    """A create body from a read task sends associations without their ids or read-only fields."""
    task = read(adapter, "task.by-id-expanded")
    body = adapter.from_canonical(task)
    assert body["associations"][0] == {
        "association_type": "contact",
        "contact": JOHNNY,
        "index": 1,
        "metadata": {"origin": "rechat"},
    }
    assert "id" not in body
    assert "created_at" not in body


def test_links_without_expanded_associations(adapter: RechatAdapter) -> None:
    """With only the id arrays, existing links are not re-added, new ones are, removals are refused."""
    payload = {k: v for k, v in example("task.search-result").items() if k != "associations"}
    task = adapter.to_canonical("task", payload)
    assert isinstance(task, Task)
    assert task.extras["linked_ids"] == {"contacts": [JOHNNY, KATE, DANIEL], "deals": [], "listings": [LISTING]}
    assert adapter.to_update(task)["associations"] == []
    new = Ref("rechat", "contact", "11111111-2222-4333-8444-555555555555")
    added = task.model_copy(update={"contacts": [*task.contacts, new]})
    assert adapter.to_update(added)["associations"] == [{"association_type": "contact", "contact": new.id}]
    removed = task.model_copy(update={"contacts": task.contacts[1:]})
    with pytest.raises(MappingError) as caught:
        adapter.to_update(removed)
    assert caught.value.path == "contacts"


def test_association_list_envelope(adapter: RechatAdapter) -> None:
    """Each association of the associations list points at its contact or listing Ref."""
    data = fixture("envelope.associations-list")["data"]
    assert [adapter.association_ref(a) for a in data] == [
        Ref("rechat", "listing", LISTING),
        Ref("rechat", "contact", JOHNNY),
        Ref("rechat", "contact", KATE),
        Ref("rechat", "contact", DANIEL),
    ]
    contacts = [adapter.to_canonical("contact", a["contact"]) for a in data if a["contact"]]
    assert [c.ref.id for c in contacts if c.ref] == [JOHNNY, KATE, DANIEL]


def test_add_association_body_and_response(adapter: RechatAdapter) -> None:
    """association_body builds the vendor's add-association body; the response points at Johnny."""
    body = adapter.association_body(Ref("rechat", "contact", JOHNNY), index=1, metadata={"note": "Hey, this is a note"})
    assert body == fixture("body.add-association")
    response = fixture("envelope.add-association")["data"]
    assert adapter.association_ref(response) == Ref("rechat", "contact", JOHNNY)


def test_open_enums_kept_unchanged(adapter: RechatAdapter) -> None:
    """An unknown task_type and status are kept as sent and written back unchanged."""
    payload = {**example("task.list-item"), "task_type": "Showing", "status": "ARCHIVED"}
    task = adapter.to_canonical("task", payload)
    assert isinstance(task, Task)
    assert (task.kind, task.status) == ("Showing", "ARCHIVED")
    body = adapter.to_update(task)
    assert (body["task_type"], body["status"]) == ("Showing", "ARCHIVED")


@pytest.mark.parametrize(("kind", "wire"), [("call", "Call"), ("message", "Message"), ("todo", "Todo")])
def test_known_task_types(adapter: RechatAdapter, kind: str, wire: str) -> None:
    """Call/Message/Todo read as call/message/todo and write back in Rechat's spelling."""
    task = adapter.to_canonical("task", {**example("task.list-item"), "task_type": wire})
    assert isinstance(task, Task)
    assert task.kind == kind
    assert adapter.from_canonical(task)["task_type"] == wire


def test_uuids_normalised_to_lowercase(adapter: RechatAdapter) -> None:
    """An upper-case UUID is read as the lowercase canonical form."""
    task = adapter.to_canonical("task", {**example("task.list-item"), "id": TASK_ID.upper()})
    assert task.ref == Ref("rechat", "task", TASK_ID)


def test_foreign_refs_need_a_resolver(adapter: RechatAdapter) -> None:
    """A Ref of another system is resolved on write, and without a resolver the field is named."""
    foreign = Ref("estateprime", "user", "12")
    task = Task(title="t", kind="todo", due_at=DUE, assignees=[foreign])
    with pytest.raises(UnresolvedReference) as caught:
        adapter.from_canonical(task)
    assert caught.value.path == "assignees[0]"

    def resolve(ref: Ref, system: str) -> Ref | None:
        return Ref(system, "user", USER_ID) if ref == foreign else None

    assert adapter.from_canonical(task, resolve=resolve)["assignees"] == [USER_ID]


def test_write_errors_name_the_field(adapter: RechatAdapter) -> None:
    """Missing required fields and malformed ids are MappingErrors naming the canonical path."""
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "todo", "due_at": DUE}, "title"),
        ({"title": "t", "kind": "todo"}, "due_at"),
        ({"title": "t", "due_at": DUE}, "kind"),
        ({"title": "t", "kind": "todo", "due_at": DUE, "contacts": [Ref("rechat", "contact", "nope")]}, "contacts[0]"),
        ({"title": "t", "kind": "todo", "due_at": DUE, "contacts": [Ref("rechat", "user", USER_ID)]}, "contacts[0]"),
    ]
    for fields, path in cases:
        with pytest.raises(MappingError) as caught:
            adapter.from_canonical(Task(**fields))
        assert caught.value.path == path
    with pytest.raises(MappingError) as missing_ref:
        adapter.to_update(Task(title="t", kind="todo", due_at=DUE))
    assert missing_ref.value.path == "ref"
    with pytest.raises(MappingError) as bad_field:
        adapter.to_update(read(adapter, "task.list-item"), fields=["created_at"])
    assert bad_field.value.path == "created_at"


def test_unknown_kind_is_refused(adapter: RechatAdapter) -> None:
    """A kind Rechat does not translate raises UnsupportedKind."""
    with pytest.raises(UnsupportedKind):
        adapter.to_canonical("event", {})


def test_extras_written_only_for_own_records(adapter: RechatAdapter) -> None:
    """Extras of a task read from another system are not written and are listed as unsupported."""
    task = read(adapter, "task.by-id-expanded")
    foreign = task.model_copy(update={"ref": Ref("estateprime", "task", "7")})
    assert adapter.unsupported(task) == []
    assert adapter.unsupported(foreign) == [
        "extras.emails",
        "extras.metadata",
        "extras.kind",
        "extras.brand",
        "extras.associations",
        "created_at",
        "updated_at",
    ]
    body = adapter.from_canonical(foreign, resolve=lambda ref, system: None)
    assert "metadata" not in body
    assert body["associations"][0] == {"association_type": "contact", "contact": JOHNNY}


def test_update_fields_limit(adapter: RechatAdapter) -> None:
    """fields limits the update body; contacts brings the associations, extras the extra keys."""
    task = read(adapter, "task.by-id-expanded")
    body = adapter.to_update(task, fields=["contacts", "extras"])
    assert set(body) == {"id", "title", "due_date", "task_type", "reminders", "associations"} | set(task.extras) - {
        "linked_ids"
    }


# -- UUID spellings -------------------------------------------------------------------------

CANONICAL = "736ddda0-f1c0-49e6-8aa7-9d3bef095f42"
NON_STANDARD_UUIDS = {
    "leading space": " " + CANONICAL,
    "trailing newline": CANONICAL + "\n",
    "plus sign": "+" + CANONICAL[1:],
    "0x prefix": "0x" + CANONICAL.replace("-", "")[2:],
    "braces": "{" + CANONICAL + "}",
    "urn": "urn:uuid:" + CANONICAL,
    "32 hex digits": CANONICAL.replace("-", ""),
    "31 hex digits": CANONICAL.replace("-", "")[1:],
    "full-width digits": CANONICAL.replace("7", "\uff17"),
    "hyphens misplaced": CANONICAL.replace("-", "")[:9] + "-" + CANONICAL.replace("-", "")[9:12] + "-x",
    "empty": "",
}


def test_canonical_uuid_reads_only_the_standard_spelling() -> None:
    """canonical_uuid reads 8-4-4-4-12 hex in either case (as lowercase) and refuses every other spelling."""
    assert canonical_uuid(CANONICAL) == CANONICAL
    assert canonical_uuid(CANONICAL.upper()) == CANONICAL
    for label, spelling in NON_STANDARD_UUIDS.items():
        with pytest.raises(ValueError, match="expected a UUID") as caught:
            canonical_uuid(spelling)
        assert spelling not in str(caught.value) or not spelling, label
    with pytest.raises(TypeError):
        canonical_uuid(uuid.UUID(CANONICAL))


def test_uuid_arguments_take_the_documented_spellings_only() -> None:
    """Ids passed to the client may also be 32 hex digits, braced, a URN or a uuid.UUID; nothing looser."""
    documented = ["braces", "urn", "32 hex digits"]
    for label in documented:
        assert uuid_argument(NON_STANDARD_UUIDS[label]) == CANONICAL, label
    assert uuid_argument(uuid.UUID(CANONICAL)) == CANONICAL
    assert uuid_argument("{" + CANONICAL.replace("-", "").upper() + "}") == CANONICAL
    for label, spelling in NON_STANDARD_UUIDS.items():
        if label not in documented:
            with pytest.raises(ValueError):
                uuid_argument(spelling)
    for unbalanced in ("{" + CANONICAL, CANONICAL + "}", "urn:uuid:{" + CANONICAL):
        with pytest.raises(ValueError):
            uuid_argument(unbalanced)


@pytest.mark.parametrize("label", sorted(NON_STANDARD_UUIDS))
def test_payload_ids_in_other_spellings_are_mapping_errors(adapter: RechatAdapter, label: str) -> None:
    """A task read with an id (or an assignee's) not in the standard spelling is a MappingError naming it."""
    payload = example("task.by-id-expanded")
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("task", {**payload, "id": NON_STANDARD_UUIDS[label]})
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("rechat", "task", "id")
    with pytest.raises(MappingError) as caught:
        adapter.to_canonical("task", {**payload, "assignees": [NON_STANDARD_UUIDS[label]]})
    assert caught.value.path == "assignees[0]"


@pytest.mark.parametrize("label", sorted(set(NON_STANDARD_UUIDS) - {"empty"}))  # a Ref's id is never empty
def test_refs_with_other_spellings_are_refused_before_the_body(adapter: RechatAdapter, label: str) -> None:
    """Assignee, contact and task Refs whose ids are not standard UUIDs are MappingErrors naming the field."""
    task = read(adapter, "task.by-id-expanded")
    bad = NON_STANDARD_UUIDS[label]
    cases = [
        (task.model_copy(update={"assignees": [Ref("rechat", "user", bad)]}), "assignees[0]"),
        (
            task.model_copy(update={"contacts": [*task.contacts, Ref("rechat", "contact", bad)]}),
            f"contacts[{len(task.contacts)}]",
        ),
        (task.model_copy(update={"listings": [Ref("rechat", "listing", bad)]}), "listings[0]"),
    ]
    for record, path in cases:
        for write in (adapter.from_canonical, adapter.to_update):
            with pytest.raises(MappingError) as caught:
                write(record)
            assert (caught.value.system, caught.value.kind, caught.value.path) == ("rechat", "task", path)
    with pytest.raises(MappingError) as caught:
        adapter.to_update(task.model_copy(update={"ref": Ref("rechat", "task", bad)}))
    assert caught.value.path == "ref"
    with pytest.raises(MappingError):
        adapter.association_body(Ref("rechat", "contact", bad))
