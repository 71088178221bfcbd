"""Examples written by Activix in its public API docs (every revision), read and written back.

The fixtures in ``fixtures/vendor/`` come from ``tdr-autosync/atx-activix-crm-docs``;
``fixtures/vendor/MANIFEST.json`` names each file's path and the newest and oldest commit it is in.
Many doc examples are cut short by the vendor (an email given as ``{"id": ...}`` only): what a
round trip loses is named per file below, so a new loss fails a test instead of passing unseen.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmbridge.adapters.activix import make_adapter
from crmbridge.adapters.activix.client import (
    ActivixClient,
    raw_item,
    read_page,
    update_lead_email,
    update_lead_phone,
)
from crmbridge.canonical import Contact
from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path
from crmbridge.sandbox.activix import make_sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "vendor"
MANIFEST = json.loads((FIXTURES / "MANIFEST.json").read_text())
CONTRACT = OpenAPIContract(openapi_path("activix"))
ADAPTER = make_adapter(default_lead_type="walk_in")


def _files(prefix: str) -> list[str]:
    return sorted(p.name for p in FIXTURES.glob(f"{prefix}*.json"))


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


# Keys of each lead example a create body does not carry: read-only ones (id, timestamps, the
# account), vehicles (a resource of their own, not part of the canonical Contact) and items cut
# short by the docs (read into extras.unread_items, not writable).
_READ_ONLY = {"created_at", "id", "updated_at"}
_CUT_SHORT = {"emails", "phones", "vehicles"}
LEAD_LOSSES: dict[str, set[str]] = {
    "activix_lead_bare_api-1-resources-lead_1b5185f7c75e.json": {"vehicles"},
    "activix_lead_bare_api-1-resources-lead_55605e69f45d.json": set(),
    "activix_lead_bare_api-resources-lead_1a91ea0d2417.json": {"account", "created_at", "updated_at", *_CUT_SHORT},
    "activix_lead_bare_api-resources-lead_258ddb64c5a4.json": {"id"},
    "activix_lead_bare_api-resources-lead_777fd1fdbf75.json": {"vehicles"},
    "activix_lead_bare_api-resources-lead_8228624ae358.json": {"vehicles"},
    "activix_lead_bare_api-resources-lead_e41c13580520.json": {"vehicles"},
    "activix_lead_bare_api-resources-lead_ffc083229029.json": {"vehicles"},
    "activix_lead_bare_api-webhooks-lead_c516d85bc924.json": {*_READ_ONLY, *_CUT_SHORT},
    "activix_lead_bare_pushing-data-lead_a0541d58783f.json": {"account", *_READ_ONLY, *_CUT_SHORT},
    "activix_lead_bare_webhooks-lead_2dc956b1ae7c.json": {*_READ_ONLY, *_CUT_SHORT},
    "activix_lead_envelope_api-resources-lead_9be6951ee6cf.json": _READ_ONLY,
}


def _lead(name: str) -> dict[str, Any]:
    payload = _load(name)
    return dict(payload["data"] if "_envelope_" in name else payload)


def test_every_fixture_has_its_source_noted() -> None:
    """Each vendor file (bodies, objects, lists, error bodies) is in the manifest with repository, path and commits."""
    noted = {entry["file"]: entry for entry in MANIFEST}
    names = [p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("activix_*.json")]
    assert len(names) == len(MANIFEST) == 47
    for name in names:
        entry = noted[name]
        assert entry["repo"] == "tdr-autosync/atx-activix-crm-docs"
        assert len(entry["commit"]) == len(entry["oldest_commit"]) == 40


def test_every_lead_example_is_named() -> None:
    """The loss table covers every lead example, so none is left out of the round trip."""
    assert sorted(LEAD_LOSSES) == _files("activix_lead_")


@pytest.mark.parametrize("name", sorted(LEAD_LOSSES))
def test_lead_example_round_trips_with_named_losses(name: str) -> None:
    """Read, then written as a create body: every key comes back equal except the named losses."""
    payload = _lead(name)
    contact = ADAPTER.to_canonical("contact", payload)
    assert isinstance(contact, Contact)
    body = ADAPTER.from_canonical(contact)
    lost = {key for key in payload if key not in body}
    assert lost == LEAD_LOSSES[name]
    changed = {key for key in payload if key in body and body[key] != payload[key]}
    # Items a create body carries get the type their slot gives them; nothing else changes.
    assert changed <= {"emails", "phones"}
    for key in changed:
        assert [{k: v for k, v in item.items() if k != "type"} for item in body[key]] == payload[key]


@pytest.mark.parametrize("name", [n for n in sorted(LEAD_LOSSES) if "emails" in LEAD_LOSSES[n]])
def test_cut_short_items_fail_alone(name: str) -> None:
    """An email or phone given only as ``{"id": ...}`` is kept in extras.unread_items; the lead reads."""
    payload = _lead(name)
    contact = ADAPTER.to_canonical("contact", payload)
    assert isinstance(contact, Contact)
    unread = contact.extras["unread_items"]
    assert [u["path"] for u in unread] == ["emails[0]", "phones[0]"]
    assert [u["item"] for u in unread] == [payload["emails"][0], payload["phones"][0]]
    assert (contact.emails, contact.phones) == ([], [])
    assert contact.last_name == payload["last_name"]


@pytest.mark.parametrize("name", _files("activix_list_"))
def test_list_examples_read_as_pages(name: str) -> None:
    """Every list example reads; one without links or meta is a single page, the others point to page 2."""
    answer = _load(name)
    page = read_page(answer, raw_item("lead"), kind="lead")
    assert page.items == answer["data"]
    if "meta" in answer:
        assert (page.next_cursor, page.total) == (2, answer["meta"]["total"])
    else:
        assert (page.next_cursor, page.total) == (None, None)
    for item in page.items:
        assert isinstance(ADAPTER.to_canonical("contact", item), Contact)


def test_an_advisor_named_without_id_is_sent_back() -> None:
    """The docs' create bodies name the advisor by first and last name: the body carries it back."""
    payload = _lead("activix_lead_bare_api-resources-lead_777fd1fdbf75.json")
    contact = ADAPTER.to_canonical("contact", payload)
    assert contact.owners == []
    assert (
        ADAPTER.from_canonical(contact)["advisor"] == payload["advisor"] == {"first_name": "John", "last_name": "Doe"}
    )


def test_the_docs_partial_communication_update_is_accepted() -> None:
    """The docs' update body ``{call_duration, call_status}`` fits the contract and the sandbox takes it."""
    [update] = [n for n in _files("activix_communication_") if "lead_id" not in _load(n)]
    [create] = [n for n in _files("activix_communication_") if n != update]
    CONTRACT.validate_request("PUT", "/communications/1", _load(update))
    sandbox = make_sandbox(seed_records=3, seed=2)
    with ActivixClient(**sandbox.client_options(), rate_limit=None) as client:
        lead = client.leads.list_page().items[0]
        created = client.communications.create({**_load(create), "lead_id": lead.id})
        updated = client.communications.update(created.id, _load(update))
    assert (updated.call_duration, updated.call_status, updated.method) == (25, "answered", "phone")


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "errors").glob("*.json")))
def test_error_examples_are_messages(name: str) -> None:
    """Every error body the docs show is ``{message}`` (with ``errors`` by field when a 422)."""
    body = json.loads((FIXTURES / "errors" / name).read_text())
    assert isinstance(body["message"], str)
    assert set(body) <= {"message", "errors"}


@pytest.mark.parametrize("name", _files("activix_email_bare_") + _files("activix_phone_bare_"))
def test_item_examples_against_the_contract(name: str) -> None:
    """Today's create bodies fit; the 2018 ones (no type, a ``mobile`` flag) are refused as the file says."""
    body = _load(name)
    if "id" in body:
        return  # an object as Activix returns it, not a body
    kind = "emails" if "_email_" in name else "phones"
    entry = next(e for e in MANIFEST if e["file"] == name)
    current = entry["commit_date"] >= "2023"
    if "lead_id" in body:
        path = f"/lead-{kind}"
        if current:
            CONTRACT.validate_request("POST", path, body)
        else:
            with pytest.raises(ContractViolation):
                CONTRACT.validate_request("POST", path, body)
    else:
        lead = {"type": "walk_in", kind: [body]}
        if current:
            CONTRACT.validate_request("POST", "/leads", lead)
        else:
            with pytest.raises(ContractViolation):
                CONTRACT.validate_request("POST", "/leads", lead)


@pytest.mark.parametrize("name", _files("activix_email_envelope_") + _files("activix_phone_envelope_"))
def test_item_answers_read_as_the_client_returns_them(name: str) -> None:
    """The docs' email and phone answers (``{data: {...}}``) read as the object, every key kept."""
    answer = _load(name)
    endpoint = update_lead_email(1, {"type": "home"}) if "_email_" in name else update_lead_phone(1, {"type": "home"})
    assert endpoint.read(answer) == answer["data"]
