"""Contact inputs written by Rechat itself, read and written back by the adapter.

The fixtures in ``fixtures/vendor/`` come from the test data of Rechat's open-source server
(``dreamcareer7/real-estate-server``); ``fixtures/vendor/MANIFEST.json`` names each file's source
path and commit. What a round trip loses or normalises is named per file below, so a new loss
fails a test instead of passing unseen.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import crmbridge
from crmbridge.adapters.rechat import make_adapter
from crmbridge.canonical import Contact
from crmbridge.sandbox.rechat import RechatSandbox, make_sandbox

FIXTURES = Path(__file__).parent / "fixtures" / "vendor"
MANIFEST = json.loads((FIXTURES / "MANIFEST.json").read_text())
OWNER = "00000000-0000-4000-8000-000000000001"
WIRE_FILES = sorted(p.name for p in FIXTURES.glob("rechat_contact_input_*.json"))

# What writing back loses, per file: attributes Rechat would refuse (empty text) are not sent.
LOST: dict[str, list[dict[str, Any]]] = {
    "rechat_contact_input_manycontacts_8.json": [{"attribute_type": "postal_code", "index": 0, "text": ""}],
    "rechat_contact_input_manycontacts_9.json": [{"attribute_type": "postal_code", "index": 0, "text": ""}],
}


def _key(attribute: dict[str, Any]) -> str:
    """An attribute compared as Rechat stores it: an unset ``is_primary`` is false, dates are numbers."""
    normal = dict(attribute)
    if normal.get("attribute_type") in ("email", "phone_number"):
        normal.setdefault("is_primary", False)
    if isinstance(normal.get("date"), int):
        normal["date"] = float(normal["date"])
    return json.dumps(normal, sort_keys=True)


def _round_trip(payload: dict[str, Any]) -> tuple[Contact, dict[str, Any]]:
    adapter = make_adapter(default_owner=OWNER)
    contact = adapter.to_canonical("contact", {"type": "contact", **payload})
    assert isinstance(contact, Contact)
    return contact, adapter.from_canonical(contact)


def test_every_fixture_has_its_source_noted() -> None:
    """Each vendor file is listed in the manifest with the repository, path and commit it came from."""
    noted = {entry["file"]: entry for entry in MANIFEST}
    assert WIRE_FILES
    for name in WIRE_FILES:
        entry = noted[name]
        assert entry["repo"] == "dreamcareer7/real-estate-server"
        assert entry["path"].startswith("tests/")
        assert len(entry["commit"].split()[0]) == 40


@pytest.mark.parametrize("name", WIRE_FILES)
def test_vendor_contact_input_round_trips_with_named_losses(name: str) -> None:
    """Read then written back, every attribute returns except the ones named in LOST."""
    payload = json.loads((FIXTURES / name).read_text())
    _, body = _round_trip(payload)
    sent = Counter(_key(a) for a in payload["attributes"])
    back = Counter(_key(a) for a in body["attributes"])
    lost = Counter(_key(a) for a in LOST.get(name, []))
    assert sent - back == lost
    assert back - sent == Counter()
    assert body["user"] == OWNER
    assert {k: v for k, v in payload.items() if k != "attributes"} == {
        k: v for k, v in body.items() if k not in ("attributes", "user")
    }


def test_address_parts_keep_index_zero_and_their_primary_flag() -> None:
    """The iOS sample's address (index 0, every part primary) is written back as index 0, primary."""
    payload = json.loads((FIXTURES / "rechat_contact_input_manycontacts_0.json").read_text())
    contact, body = _round_trip(payload)
    [address] = contact.addresses
    assert (address.city, address.region, address.postal_code) == ("Hillsborough", "CA", "94010")
    parts = [a for a in body["attributes"] if a["attribute_type"] in ("state", "city", "street_name", "postal_code")]
    assert [(a["index"], a["is_primary"]) for a in parts] == [(0, True)] * 4


def test_birthday_time_of_day_and_single_attribute_labels_survive() -> None:
    """A birthday held at a time of day and labels on one-value attributes go back as they came."""
    payload = json.loads((FIXTURES / "rechat_contact_input_manycontacts_0.json").read_text())
    at_noon = 253497600 + 12 * 3600
    payload["attributes"] = [
        {**a, "date": at_noon, "label": "Real"} if a["attribute_type"] == "birthday" else a
        for a in payload["attributes"]
    ] + [{"attribute_type": "nickname", "text": "Katie", "label": "Old"}]
    contact, body = _round_trip(payload)
    assert str(contact.birthday) == "1978-01-13"
    birthday = next(a for a in body["attributes"] if a["attribute_type"] == "birthday")
    assert (birthday["date"], birthday["label"]) == (at_noon, "Real")
    nickname = next(a for a in body["attributes"] if a["attribute_type"] == "nickname")
    assert nickname["label"] == "Old"
    moved = contact.model_copy(update={"birthday": contact.birthday.replace(day=14) if contact.birthday else None})
    again = make_adapter(default_owner=OWNER).from_canonical(moved)
    # A changed birthday is written as that day (midnight UTC), not the old instant.
    assert next(a for a in again["attributes"] if a["attribute_type"] == "birthday")["date"] == 253497600.0 + 86400


@pytest.fixture
def sandbox() -> RechatSandbox:
    return make_sandbox(seed_records=0, seed=5)


@pytest.mark.parametrize(
    "name", ["rechat_contact_input_manycontacts_0.json", "rechat_contact_input_merge_same_email_0.json"]
)
def test_vendor_contact_through_the_sandbox_and_back(sandbox: RechatSandbox, name: str) -> None:
    """Created from the vendor input, read through a connection and copied: the copy has the same attributes."""
    user = sandbox.user(sandbox.token).id
    payload = {"type": "contact", "user": user, **json.loads((FIXTURES / name).read_text())}
    with crmbridge.connect("rechat", **sandbox.client_options()) as conn:
        first = conn.create(make_adapter().to_canonical("contact", payload))
        read = conn.get("contact", first)
        copy = conn.get("contact", conn.create(read))
    assert isinstance(read, Contact)
    assert isinstance(copy, Contact)
    stored = [sandbox.store.get("contacts", ref.id) for ref in (first, copy.ref) if ref is not None]
    kept = ("attribute_type", "text", "date", "label", "index", "is_primary")
    originals, copies = (
        Counter(json.dumps({k: a.get(k) for k in kept}, sort_keys=True) for a in doc["attributes"]) for doc in stored
    )
    assert originals == copies
    assert read.owners == copy.owners
