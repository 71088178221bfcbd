"""Email bodies never leak (logs, errors, reprs); list and single envelopes are unwrapped."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from crmbridge.adapters.activix import ActivixAdapter
from crmbridge.adapters.activix.wire import Communication
from crmbridge.canonical import Activity, Call, Contact, EmailMessage, Ref
from crmbridge.errors import MappingError

ADAPTER = ActivixAdapter(default_region="CA")
FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "SECRET-BODY-Dear Élise, my home code is 4321"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def email_activity(**update: Any) -> Activity:
    base = Activity(
        channel="email",
        direction="outgoing",
        contact=Ref("activix", "lead", "12"),
        email=EmailMessage(subject="Quote", body=SECRET, user_address="j.roy@dealer.example"),
    )
    return base.model_copy(update=update)


def test_writing_an_email_logs_nothing_of_its_body(caplog: pytest.LogCaptureFixture) -> None:
    """Reading and writing an email communication at DEBUG level logs no part of the body."""
    caplog.set_level(logging.DEBUG)
    body = ADAPTER.from_canonical(email_activity())
    ADAPTER.to_canonical("activity", {"id": 1, "method": "email", "type": "outgoing", "email_body": SECRET})
    assert body["email_body"] == SECRET
    assert caplog.records, "the adapter logs at debug level"
    assert all(SECRET not in record.getMessage() for record in caplog.records)
    assert SECRET not in caplog.text


def test_errors_about_an_email_never_quote_its_body(caplog: pytest.LogCaptureFixture) -> None:
    """A MappingError raised while writing an email carries no part of the body in str or repr."""
    caplog.set_level(logging.DEBUG)
    for record in (email_activity(channel="sms"), email_activity(contact=None), email_activity(call=Call(phone="x"))):
        with pytest.raises(MappingError) as caught:
            ADAPTER.from_canonical(record)
        assert SECRET not in str(caught.value)
        assert SECRET not in repr(caught.value)
        assert "4321" not in caught.value.message
    assert SECRET not in caplog.text


def test_a_body_in_a_read_payload_goes_nowhere() -> None:
    """An email_body a payload carries is neither in the Activity, its extras, nor its repr."""
    record = ADAPTER.to_canonical("activity", {"id": 1, "method": "email", "type": "incoming", "email_body": SECRET})
    assert isinstance(record, Activity)
    assert record.email is None
    assert record.extras == {}
    assert SECRET not in repr(record)
    assert SECRET not in record.model_dump_json()


def test_reprs_of_canonical_and_wire_objects_hide_the_body() -> None:
    """repr/str of the Activity and of the wire Communication show the body's length, not its text."""
    assert SECRET not in repr(email_activity())
    assert SECRET not in str(email_activity())
    wire = Communication(method="email", email_body=SECRET)
    assert SECRET not in repr(wire)
    assert f"<{len(SECRET)} chars>" in repr(wire)


def test_a_bad_payload_next_to_a_body_does_not_leak_it() -> None:
    """A wrong type elsewhere in a payload carrying a body gives an error without the body."""
    payload = {"id": 1, "method": "email", "type": "incoming", "email_body": SECRET, "email_subject": 5}
    with pytest.raises(MappingError) as caught:
        ADAPTER.to_canonical("activity", payload)
    assert caught.value.path == "email_subject"
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("name", ["list_leads_per_page_int.json", "list_leads_per_page_string.json"])
def test_list_envelopes_accept_per_page_as_int_or_string(name: str) -> None:
    """meta.per_page is read as the integer 25 whether the page sent 25 or "25"."""
    page = ADAPTER.unwrap_page("contact", fixture(name))
    assert page.meta.per_page == 25
    assert page.meta.current_page == 1


def test_a_list_page_is_read_with_links_meta_and_records() -> None:
    """The first page of three has next set, its meta read, and its leads translate as a batch."""
    page = ADAPTER.unwrap_page("contact", fixture("list_leads_per_page_int.json"))
    assert page.has_next is True
    assert page.links.prev is None
    assert page.links.next == "https://api.crm.activix.ca/v2/leads?page=2"
    assert (page.meta.from_, page.meta.to, page.meta.last_page, page.meta.total) == (1, 2, 3, 52)
    assert page.meta.path == "https://api.crm.activix.ca/v2/leads"
    batch = ADAPTER.to_canonical_batch("contact", page.data)
    assert batch.failures == []
    assert [r.ref for r in batch.records] == [Ref("activix", "lead", "412877"), Ref("activix", "lead", "412900")]


def test_the_last_page_has_no_next() -> None:
    """A page whose links.next is null (and current_page == last_page) says there is no next page."""
    page = ADAPTER.unwrap_page("contact", fixture("list_leads_per_page_string.json"))
    assert page.has_next is False
    contact = ADAPTER.to_canonical("contact", page.data[0])
    assert isinstance(contact, Contact)
    assert contact.company_name == "Garage Lapointe inc."
    assert contact.is_company is True


def test_single_envelopes_are_unwrapped() -> None:
    """{"data": {...}} gives the object for a lead and for a communication."""
    lead = ADAPTER.unwrap_single("contact", fixture("single_lead.json"))
    assert lead["id"] == 412877
    communication = ADAPTER.to_canonical(
        "activity", ADAPTER.unwrap_single("activity", fixture("single_communication.json"))
    )
    assert communication.ref == Ref("activix", "communication", "90010")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"data": []}, "data"),
        ([], ""),
        ({"message": "Unauthenticated."}, "data"),
    ],
)
def test_a_broken_single_envelope_is_a_mapping_error(body: Any, path: str) -> None:
    """A single envelope without an object in data is a MappingError naming data."""
    with pytest.raises(MappingError) as caught:
        ADAPTER.unwrap_single("contact", body)
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"meta": {"current_page": 1, "last_page": 1, "per_page": "twenty", "total": 1}}, "meta.per_page"),
        ({"meta": {"current_page": 1, "last_page": 1, "per_page": True, "total": 1}}, "meta.per_page"),
        ({"data": "leads"}, "data"),
        ({"data": [1]}, "data[0]"),
        ({"links": "next"}, "links"),
    ],
)
def test_a_broken_list_envelope_is_a_mapping_error(change: dict[str, Any], path: str) -> None:
    """Bad per_page, a non-array data, a non-object item, links or meta each name their path."""
    body = {**fixture("list_leads_per_page_string.json"), **change}
    with pytest.raises(MappingError) as caught:
        ADAPTER.unwrap_page("contact", body)
    assert caught.value.path == path
