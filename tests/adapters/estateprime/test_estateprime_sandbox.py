"""The EstatePrime sandbox serves every documented operation, and every exchange matches the OpenAPI file."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmbridge.sandbox import DEFAULT_TOKEN, FaultConfig, Sandbox
from crmbridge.sandbox import make_sandbox as make_any_sandbox
from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path
from crmbridge.sandbox.estateprime import BASE_URL, make_sandbox

from ..._counting import StoreCounter

CONTRACT = OpenAPIContract(openapi_path("estateprime"))
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
NOW_TEXT = "2025-06-01 12:00:00"
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_NO_BODY = object()

CONTACT_BODY: dict[str, Any] = {
    "first_name": "John",
    "last_name": "Doe",
    "source_id": 2,
    "is_lead": False,
    "is_company": False,
    "company_name": None,
    "phones": [
        {"type": "mobile", "number": "1234567890", "notes": "Personal phone number"},
        {"type": "work", "number": "0987654321", "notes": "Work phone number"},
    ],
    "emails": [{"type": "personal", "email_address": "john@example.com", "notes": "Primary email"}],
    "notes": "Important client",
    "custom_fields": [{"custom_field_id": 1, "value": "Preferred buyer"}, {"custom_field_id": 3, "value": [2, 3]}],
    "contact_details": [{"first_name": "Adam", "last_name": "Simpson", "mobile": None, "email": None, "notes": "CEO"}],
    "tags": [1, 4],
    "users": [2, 5, 7],
    "date_converted_to_client": None,
}
COMMUNICATION_BODY: dict[str, Any] = {
    "channel": 1,
    "user_id": 3,
    "contact_id": 45,
    "store_id": 2,
    "type": "outgoing",
    "communication_date": "2025-03-12 09:30:00",
    "request_id": None,
    "comments": "Discussed property viewing for next Tuesday.",
    "tags": [4, 9],
    "listings": [120, 135],
}
EVENT_BODY: dict[str, Any] = {
    "full_day": True,
    "date_starting": "2025-01-20",
    "date_ending": "2025-01-21",
    "created_by": 10,
    "status_id": 1,
    "category_id": 3,
    "contacts": [23, 45, 67],
    "users": [2, 5, 7],
    "title": "Team Meeting",
    "description": "Monthly update and strategy planning.",
    "is_public": False,
    "is_online": True,
    "tags": [12, 34],
}
TIMED_EVENT_BODY: dict[str, Any] = {
    **EVENT_BODY,
    "full_day": False,
    "date_starting": "2025-01-20 10:00:00",
    "date_ending": "2025-01-20 11:00:00",
    "remote_meeting": {
        "type": "Google Meet",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
        "meeting_id": "1x0g1q8ppes9681fpjaiq85dh1",
    },
}


class Checked:
    """An httpx client on a sandbox that checks every request and response against the contract."""

    def __init__(self, sandbox: Sandbox, token: str | None = DEFAULT_TOKEN) -> None:
        self.client = httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
        self.token = token
        self.seen: set[tuple[str, str]] = set()
        _OPEN.append(self.client)

    def call(
        self, method: str, path: str, body: Any = _NO_BODY, *, invalid: bool = False, raw: bytes | None = None
    ) -> httpx.Response:
        """Send one request; ``invalid`` asserts the contract refuses the body too."""
        sent = None if body is _NO_BODY else body
        if invalid:
            with pytest.raises(ContractViolation):
                CONTRACT.validate_request(method, path, sent)
        elif raw is None:
            CONTRACT.validate_request(method, path, sent)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if raw is not None:
            response = self.client.request(method, path, content=raw, headers=headers)
        elif body is _NO_BODY:
            response = self.client.request(method, path, headers=headers)
        else:
            response = self.client.request(method, path, json=body, headers=headers)
        CONTRACT.validate_response(method, path, response.status_code, response.json())
        self.seen.add((method, CONTRACT.find(method, path)))
        return response

    def ok(self, method: str, path: str, body: Any = _NO_BODY) -> Any:
        """The JSON of a call that must answer 200."""
        response = self.call(method, path, body)
        assert response.status_code == 200, response.text
        return response.json()

    def everything(self, collection: str, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every record of a list endpoint, page after page."""
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            answer = self.ok("GET", f"/api/{collection}", {**(filters or {}), "page": page})
            records += answer["data"]
            if page >= answer["total_pages"]:
                return records
            page += 1


_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    """Close every client a test opened (each sync transport runs an event loop thread)."""
    yield
    while _OPEN:
        _OPEN.pop().close()


@pytest.fixture
def sandbox() -> Sandbox:
    """An empty sandbox with a fixed clock."""
    return make_sandbox(now=lambda: NOW)


@pytest.fixture
def api(sandbox: Sandbox) -> Checked:
    """A checked client on the empty sandbox."""
    return Checked(sandbox)


@pytest.fixture(scope="module")
def seeded_sandbox() -> Sandbox:
    """A sandbox seeded with 120 contacts, 120 communications and 60 events (seed 7)."""
    return make_sandbox(seed_records=120, seed=7)


@pytest.fixture
def seeded(seeded_sandbox: Sandbox) -> Checked:
    """A checked client on the seeded sandbox (read-only use: the sandbox is shared by the module)."""
    return Checked(seeded_sandbox)


def _error(response: httpx.Response, status: int) -> str:
    """The message of an error answer, after checking its status and body."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    message: str = body["message"]
    return message


# -- every operation ----------------------------------------------------------------------------


def test_every_documented_operation_is_served() -> None:
    """One call to each of the 23 documented operations answers 200 within the contract."""
    api = Checked(make_sandbox(seed_records=5))
    for path in ("/api/contacts", "/api/communication", "/api/calendar"):
        assert api.ok("GET", path, {"page": 1})["total_results"] > 0
        assert api.ok("GET", path)["page"] == 1
    for suffix in ("sources", "tags", "custom-fields"):
        api.ok("GET", f"/api/contacts/{suffix}")
    for suffix in ("channels", "tags", "custom-fields"):
        api.ok("GET", f"/api/communication/{suffix}")
    for suffix in ("categories", "statuses", "tags", "custom-fields"):
        api.ok("GET", f"/api/calendar/{suffix}")
    for path, body in (
        ("/api/contacts", CONTACT_BODY),
        ("/api/communication", COMMUNICATION_BODY),
        ("/api/calendar", EVENT_BODY),
    ):
        created = api.ok("POST", path, body)["created_id"]
        assert api.ok("GET", f"{path}/{created}")["data"]["id"] == created
        if path == "/api/calendar":
            assert api.ok("PATCH", f"{path}/{created}", {"title": "Renamed"})["data"]["title"] == "Renamed"
        assert api.ok("DELETE", f"{path}/{created}") == {"status": 200, "deleted_id": created}
    assert api.seen == set(CONTRACT.operations())
    assert len(api.seen) == 23


def test_lookups_are_the_documented_lists(api: Checked) -> None:
    """Each lookup route answers the list of the vendor documents, channels with their type."""
    assert api.ok("GET", "/api/contacts/sources")["data"][1] == {"id": 2, "name": "Social Media"}
    assert [t["name"] for t in api.ok("GET", "/api/contacts/tags")["data"]] == ["VIP client", "Lost"]
    fields = api.ok("GET", "/api/contacts/custom-fields")["data"]
    assert [f["type"] for f in fields] == ["url", "textarea", "select_multi", "currency", "phone"]
    assert fields[2]["options"] == [{"id": 1, "name": "Phone"}, {"id": 2, "name": "Email"}]
    channels = api.ok("GET", "/api/communication/channels")["data"]
    assert [(c["id"], c["type"]) for c in channels] == [(1, "phone"), (2, "email"), (3, "sms")]
    assert [t["id"] for t in api.ok("GET", "/api/communication/tags")["data"]] == [4, 9]
    outcome = api.ok("GET", "/api/communication/custom-fields")["data"][0]
    assert outcome["type"] == "select"
    assert len(outcome["options"]) == 3
    assert api.ok("GET", "/api/calendar/categories")["data"][0] == {"id": 1, "name": "Property Viewing"}
    assert [s["name"] for s in api.ok("GET", "/api/calendar/statuses")["data"]][-1] == "Cancelled"
    assert len(api.ok("GET", "/api/calendar/tags")["data"]) == 2
    urgent = {"id": 1, "name": "Urgent Meeting", "type": "checkbox"}
    assert api.ok("GET", "/api/calendar/custom-fields")["data"] == [urgent]


# -- pagination ---------------------------------------------------------------------------------


def test_pages_of_fifty_in_id_order(seeded: Checked) -> None:
    """120 contacts make pages of 50, 50 and 20 in ascending id order, with the totals on every page."""
    pages = [seeded.ok("GET", "/api/contacts", {"page": page}) for page in (1, 2, 3)]
    assert [len(p["data"]) for p in pages] == [50, 50, 20]
    assert {(p["total_pages"], p["total_results"], p["results_per_page"]) for p in pages} == {(3, 120, 50)}
    ids = [record["id"] for page in pages for record in page["data"]]
    assert ids == sorted(ids)
    assert len(set(ids)) == 120
    assert [p["page"] for p in pages] == [1, 2, 3]


def test_page_beyond_the_end_is_empty(seeded: Checked) -> None:
    """A page after the last one answers 200 with no data and the real totals."""
    answer = seeded.ok("GET", "/api/contacts", {"page": 4})
    assert answer["data"] == []
    assert (answer["page"], answer["total_pages"], answer["total_results"]) == (4, 3, 120)


@pytest.mark.parametrize("path", ["/api/contacts", "/api/communication", "/api/calendar"])
def test_a_page_past_a_64_bit_offset_is_refused_with_400(seeded: Checked, path: str) -> None:
    """The last page whose offset fits 64 bits answers empty; the next one (and 10**30) a documented 400."""
    last = (2**63 - 1) // 50
    assert seeded.ok("GET", path, {"page": last})["data"] == []
    for page in (last + 1, 10**30):
        response = seeded.call("GET", path, {"page": page}, invalid=True)
        assert response.status_code == 400
        assert response.json()["message"] == f"page: expected a page number of at most {last}"


def test_no_results_means_zero_pages(api: Checked) -> None:
    """An empty list has total_pages 0 and total_results 0."""
    for path in ("/api/contacts", "/api/communication", "/api/calendar"):
        answer = api.ok("GET", path, {"page": 1})
        assert (answer["total_pages"], answer["total_results"], answer["data"]) == (0, 0, [])


def test_filtered_paging_counts_only_matches(seeded: Checked) -> None:
    """A filtered page walks the matches: page 2 starts with the 51st match."""
    everything = seeded.everything("communication")
    cutoff = sorted(r["date_created"] for r in everything)[10]
    filters = {"date_created": {"min": cutoff, "max": None}}
    expected = [r["id"] for r in everything if r["date_created"] >= cutoff]
    page_two = seeded.ok("GET", "/api/communication", {**filters, "page": 2})
    assert page_two["total_results"] == len(expected) == 110
    assert [r["id"] for r in page_two["data"]] == expected[50:100]


# -- filters ------------------------------------------------------------------------------------


def _range_cases(values: list[str]) -> list[dict[str, Any]]:
    low, high = values[len(values) // 4], values[3 * len(values) // 4]
    return [
        {"min": low, "max": None},
        {"min": None, "max": high},
        {"min": low, "max": high},
        {"min": None, "max": None},
        {"min": high, "max": low},
    ]


def _in_range(value: str, bounds: dict[str, Any]) -> bool:
    return (bounds["min"] is None or value >= bounds["min"]) and (bounds["max"] is None or value <= bounds["max"])


@pytest.mark.parametrize(
    ("collection", "key"),
    [
        ("contacts", "date_created"),
        ("communication", "date_created"),
        ("communication", "communication_date"),
        ("calendar", "date_starting"),
    ],
)
def test_date_range_filters_are_inclusive_and_open_on_null(seeded: Checked, collection: str, key: str) -> None:
    """Each documented date range keeps exactly the records between min and max (null = open)."""
    everything = seeded.everything(collection)
    values = sorted(record[key] for record in everything)
    for bounds in _range_cases(values):
        expected = [r["id"] for r in everything if _in_range(r[key], bounds)]
        got = [r["id"] for r in seeded.everything(collection, {key: bounds})]
        assert got == expected, bounds
    exact = values[5]
    assert all(r[key] == exact for r in seeded.everything(collection, {key: {"min": exact, "max": exact}}))


@pytest.mark.parametrize(("key", "value"), [("type", "incoming"), ("channel", 2), ("contact_id", None), ("user_id", 3)])
def test_communication_equality_filters(seeded: Checked, key: str, value: Any) -> None:
    """type, channel, contact_id and user_id each keep exactly the matching communications."""
    everything = seeded.everything("communication")
    if value is None:
        value = everything[0][key]
    expected = [r["id"] for r in everything if r[key] == value]
    assert 0 < len(expected) < len(everything)
    assert [r["id"] for r in seeded.everything("communication", {key: value})] == expected


def test_communication_filters_combine(seeded: Checked) -> None:
    """Several filters together keep the records that pass all of them (the documents' example body)."""
    everything = seeded.everything("communication")
    since = sorted(r["communication_date"] for r in everything)[30]
    filters = {"type": "outgoing", "channel": 1, "communication_date": {"min": since, "max": None}}
    expected = [
        r["id"]
        for r in everything
        if r["type"] == "outgoing" and r["channel"] == 1 and r["communication_date"] >= since
    ]
    assert expected
    assert [r["id"] for r in seeded.everything("communication", filters)] == expected


def test_filter_on_unknown_contact_finds_nothing(seeded: Checked) -> None:
    """A contact_id no communication has gives an empty first page with zero pages."""
    answer = seeded.ok("GET", "/api/communication", {"contact_id": 999_999})
    assert (answer["total_results"], answer["total_pages"], answer["data"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/contacts", {"page": "2"}, "page"),
        ("/api/contacts", {"page": 0}, "page"),
        ("/api/contacts", {"date_created": "2025-01-01 00:00:00"}, "date_created"),
        ("/api/contacts", {"date_created": {"min": "2025-01-01"}}, "date_created.max"),
        ("/api/contacts", {"date_created": {"min": "2025-01-01", "max": None}}, "date_created.min"),
        ("/api/contacts", {"date_created": {"min": None, "max": None, "at": 1}}, "date_created.at"),
        ("/api/contacts", {"date_starting": {"min": None, "max": None}}, "date_starting"),
        ("/api/contacts", [1, 2], "body"),
        ("/api/communication", {"type": "sideways"}, "type"),
        ("/api/communication", {"channel": "1"}, "channel"),
        ("/api/communication", {"contact_id": True}, "contact_id"),
        ("/api/communication", {"user_id": 1.5}, "user_id"),
        ("/api/communication", {"communication_date": {"min": "yesterday", "max": None}}, "communication_date.min"),
        ("/api/calendar", {"date_starting": {"min": None, "max": "2025-01-01T00:00:00"}}, "date_starting.max"),
        ("/api/calendar", {"page": None}, "page"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api: Checked, path: str, body: Any, field: str) -> None:
    """A filter of the wrong type or shape answers 400 with a message that starts with its key."""
    message = _error(api.call("GET", path, body, invalid=True), 400)
    assert message.startswith(f"{field}:")


def test_impossible_filter_date_is_400(api: Checked) -> None:
    """A date that fits the pattern but does not exist (month 13) is refused too."""
    body = {"date_created": {"min": "2025-13-01 00:00:00", "max": None}}
    assert _error(api.call("GET", "/api/contacts", body), 400) == "date_created.min: not a valid date-time"


def test_body_that_is_not_json_is_400(api: Checked) -> None:
    """A GET or POST body that is not JSON answers 400."""
    assert _error(api.call("GET", "/api/contacts", raw=b"{page: 1"), 400) == "body: not valid JSON"
    assert _error(api.call("POST", "/api/calendar", raw=b"\xff"), 400) == "body: not valid JSON"


# -- create, get, delete ------------------------------------------------------------------------


def test_contact_create_get_delete(api: Checked) -> None:
    """A created contact gets the next id and server times, reads back whole, and deletes once."""
    created = api.ok("POST", "/api/contacts", CONTACT_BODY)
    assert created == {"status": 200, "created_id": 1}
    contact = api.ok("GET", "/api/contacts/1")["data"]
    assert contact == {
        "id": 1,
        **CONTACT_BODY,
        "date_created": NOW_TEXT,
        "date_updated": NOW_TEXT,
        "created_by": 10,
    }
    assert list(contact)[:3] == ["id", "first_name", "last_name"]
    assert api.ok("DELETE", "/api/contacts/1") == {"status": 200, "deleted_id": 1}
    assert _error(api.call("GET", "/api/contacts/1"), 404) == "No contact with this id."
    assert _error(api.call("DELETE", "/api/contacts/1"), 404) == "No contact with this id."
    assert api.ok("POST", "/api/contacts", {})["created_id"] == 2


def test_minimal_contact_gets_documented_defaults(api: Checked) -> None:
    """A contact created from {} shows every documented key: null scalars, empty lists, false flags."""
    api.ok("POST", "/api/contacts", {})
    contact = api.ok("GET", "/api/contacts/1")["data"]
    assert contact["first_name"] is None
    assert contact["company_name"] is None
    assert (contact["is_lead"], contact["is_company"]) == (False, False)
    assert contact["phones"] == contact["tags"] == contact["custom_fields"] == []
    assert contact["created_by"] == 10
    assert contact["date_converted_to_client"] is None


def test_create_keeps_unknown_keys_and_ignores_server_owned(api: Checked) -> None:
    """Unknown keys are stored as sent; id and date_created in a body are the server's anyway."""
    body = {"first_name": "Ann", "nickname": "Annie", "id": 77, "date_created": "2020-01-01 00:00:00"}
    created = api.ok("POST", "/api/contacts", body)["created_id"]
    contact = api.ok("GET", f"/api/contacts/{created}")["data"]
    assert (contact["id"], contact["nickname"], contact["date_created"]) == (created, "Annie", NOW_TEXT)


def test_null_lists_and_flags_read_as_empty(api: Checked) -> None:
    """null for a list or a boolean in a create body stores [] and false."""
    body = {**COMMUNICATION_BODY, "tags": None, "listings": None, "custom_fields": None}
    created = api.ok("POST", "/api/communication", body)["created_id"]
    record = api.ok("GET", f"/api/communication/{created}")["data"]
    assert (record["tags"], record["listings"], record["custom_fields"]) == ([], [], [])
    event = api.ok("POST", "/api/calendar", {**EVENT_BODY, "is_public": None, "contacts": None})["created_id"]
    data = api.ok("GET", f"/api/calendar/{event}")["data"]
    assert (data["is_public"], data["contacts"]) == (False, [])


def test_communication_create_and_read_back(api: Checked) -> None:
    """The documents' example communication is stored with a date_created and keeps its own date."""
    created = api.ok("POST", "/api/communication", COMMUNICATION_BODY)["created_id"]
    record = api.ok("GET", f"/api/communication/{created}")["data"]
    assert record == {"id": created, "date_created": NOW_TEXT, **COMMUNICATION_BODY}
    assert list(record)[:3] == ["id", "date_created", "communication_date"]


@pytest.mark.parametrize("field", ["channel", "user_id", "contact_id", "store_id", "type", "communication_date"])
def test_communication_required_fields(api: Checked, field: str) -> None:
    """Leaving out any field the documents mark required answers 422 naming it."""
    body = {k: v for k, v in COMMUNICATION_BODY.items() if k != field}
    assert _error(api.call("POST", "/api/communication", body, invalid=True), 422) == f"{field}: is required"
    assert api.ok("GET", "/api/communication")["total_results"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/contacts", {"is_lead": "yes"}, "is_lead"),
        ("/api/contacts", {"first_name": 5}, "first_name"),
        ("/api/contacts", {"phones": [{"type": "mobile", "number": 123}]}, "phones[0].number"),
        ("/api/contacts", {"emails": [{"type": "work"}]}, "emails[0].email_address"),
        ("/api/contacts", {"tags": ["1"]}, "tags[0]"),
        ("/api/contacts", {"custom_fields": [{"value": "x"}]}, "custom_fields[0].custom_field_id"),
        ("/api/contacts", {"contact_details": {"first_name": "A"}}, "contact_details"),
        ("/api/contacts", {"date_converted_to_client": "15/01/2025"}, "date_converted_to_client"),
        ("/api/contacts", "John Doe", "body"),
        ("/api/communication", {**COMMUNICATION_BODY, "type": "inbound"}, "type"),
        ("/api/communication", {**COMMUNICATION_BODY, "channel": 0}, "channel"),
        ("/api/communication", {**COMMUNICATION_BODY, "communication_date": "2025-03-12"}, "communication_date"),
        ("/api/communication", {**COMMUNICATION_BODY, "listings": "120"}, "listings"),
        ("/api/calendar", {**EVENT_BODY, "date_starting": "20/01/2025"}, "date_starting"),
        ("/api/calendar", {k: v for k, v in EVENT_BODY.items() if k != "date_ending"}, "date_ending"),
        ("/api/calendar", {**EVENT_BODY, "remote_meeting": {"meeting_url": 1}}, "remote_meeting.meeting_url"),
        ("/api/calendar", {**EVENT_BODY, "full_day": "true"}, "full_day"),
    ],
)
def test_bad_create_bodies_are_422_naming_the_field(api: Checked, path: str, body: Any, field: str) -> None:
    """A create body the contract refuses is refused by the sandbox with 422 and the key's name."""
    assert _error(api.call("POST", path, body, invalid=True), 422).startswith(f"{field}:")


def test_create_without_a_body_is_422(api: Checked) -> None:
    """A POST without any body is refused (the contract requires one)."""
    assert _error(api.call("POST", "/api/contacts", invalid=True), 422) == "body: expected a JSON object, got null"


def test_refused_create_does_not_use_up_an_id(api: Checked) -> None:
    """After a refused create, the next good create still gets id 1."""
    api.call("POST", "/api/calendar", {"title": "no dates"}, invalid=True)
    assert api.ok("POST", "/api/calendar", EVENT_BODY)["created_id"] == 1


def test_ids_are_not_reused_after_delete(api: Checked) -> None:
    """A deleted id is never handed out again."""
    first = api.ok("POST", "/api/communication", COMMUNICATION_BODY)["created_id"]
    api.ok("DELETE", f"/api/communication/{first}")
    assert api.ok("POST", "/api/communication", COMMUNICATION_BODY)["created_id"] == first + 1


@pytest.mark.parametrize("collection", ["contacts", "communication", "calendar"])
@pytest.mark.parametrize("ident", ["999999", "abc", "01", "0", "-1"])
def test_unknown_and_non_integer_ids_are_404(api: Checked, collection: str, ident: str) -> None:
    """GET and DELETE of an id that does not exist, or is not an integer, answer 404."""
    bodies = {"contacts": CONTACT_BODY, "communication": COMMUNICATION_BODY, "calendar": EVENT_BODY}
    api.ok("POST", f"/api/{collection}", bodies[collection])
    for method in ("GET", "DELETE"):
        assert _error(api.call(method, f"/api/{collection}/{ident}"), 404).startswith("No ")


# -- events: all-day dates and PATCH ----------------------------------------------------------------


def test_all_day_event_dates_are_stored_at_midnight(api: Checked) -> None:
    """Dates of an all-day create come back as date-times at 00:00:00, like the event object shows."""
    created = api.ok("POST", "/api/calendar", EVENT_BODY)["created_id"]
    event = api.ok("GET", f"/api/calendar/{created}")["data"]
    assert (event["full_day"], event["date_starting"], event["date_ending"]) == (
        True,
        "2025-01-20 00:00:00",
        "2025-01-21 00:00:00",
    )
    assert (event["date_created"], event["created_by"], event["remote_meeting"]) == (NOW_TEXT, 10, None)
    found = api.ok("GET", "/api/calendar", {"date_starting": {"min": "2025-01-20 00:00:00", "max": None}})
    assert [e["id"] for e in found["data"]] == [created]


def test_event_may_not_end_before_it_starts(api: Checked) -> None:
    """An event whose end is before its start is refused with 422."""
    body = {**TIMED_EVENT_BODY, "date_ending": "2025-01-20 09:00:00"}
    assert _error(api.call("POST", "/api/calendar", body), 422) == "date_ending: must not be before date_starting"


def test_event_patch_is_partial_and_tags_null_clears(api: Checked) -> None:
    """The documents' PATCH example changes the status, clears the tags and leaves the rest alone."""
    created = api.ok("POST", "/api/calendar", TIMED_EVENT_BODY)["created_id"]
    before = api.ok("GET", f"/api/calendar/{created}")["data"]
    after = api.ok("PATCH", f"/api/calendar/{created}", {"status_id": 2, "tags": None})["data"]
    assert after == {**before, "status_id": 2, "tags": []}
    assert api.ok("GET", f"/api/calendar/{created}")["data"] == after
    assert list(after) == list(before)


def test_event_patch_moves_and_clears(api: Checked) -> None:
    """PATCH can move an event to all-day dates, drop its meeting and add undocumented keys."""
    created = api.ok("POST", "/api/calendar", TIMED_EVENT_BODY)["created_id"]
    body = {"full_day": True, "date_starting": "2025-02-01", "date_ending": "2025-02-02", "remote_meeting": None}
    after = api.ok("PATCH", f"/api/calendar/{created}", {**body, "is_online": None, "custom_fields": None})["data"]
    assert (after["date_starting"], after["date_ending"], after["full_day"]) == (
        "2025-02-01 00:00:00",
        "2025-02-02 00:00:00",
        True,
    )
    assert (after["remote_meeting"], after["is_online"], after["custom_fields"]) == (None, False, [])
    assert api.ok("PATCH", f"/api/calendar/{created}", {})["data"] == after


def test_event_patch_ignores_server_owned_keys(api: Checked) -> None:
    """id and date_created in a PATCH body change nothing; unknown keys are stored."""
    created = api.ok("POST", "/api/calendar", TIMED_EVENT_BODY)["created_id"]
    body = {"id": 99, "date_created": "2020-01-01 00:00:00", "location": "Office"}
    after = api.ok("PATCH", f"/api/calendar/{created}", body)["data"]
    assert (after["id"], after["date_created"], after["location"]) == (created, NOW_TEXT, "Office")


def test_impossible_event_dates_are_422(api: Checked) -> None:
    """A date that fits the pattern but does not exist (30 February) is refused on create and PATCH."""
    body = {**EVENT_BODY, "date_starting": "2025-02-30"}
    assert _error(api.call("POST", "/api/calendar", body), 422) == "date_starting: not a valid date"
    created = api.ok("POST", "/api/calendar", TIMED_EVENT_BODY)["created_id"]
    moved = api.call("PATCH", f"/api/calendar/{created}", {"date_ending": "2025-01-20 25:00:00"})
    assert _error(moved, 422) == "date_ending: not a valid date-time"


def test_event_patch_errors(api: Checked) -> None:
    """PATCH refuses bad keys (422, event unchanged), an end before the start (422) and unknown ids (404)."""
    created = api.ok("POST", "/api/calendar", TIMED_EVENT_BODY)["created_id"]
    before = api.ok("GET", f"/api/calendar/{created}")["data"]
    message = _error(api.call("PATCH", f"/api/calendar/{created}", {"status_id": "2"}, invalid=True), 422)
    assert message.startswith("status_id:")
    ending = _error(api.call("PATCH", f"/api/calendar/{created}", {"date_ending": "2025-01-19"}), 422)
    assert ending == "date_ending: must not be before date_starting"
    assert _error(api.call("PATCH", f"/api/calendar/{created}", [], invalid=True), 422).startswith("body:")
    assert api.ok("GET", f"/api/calendar/{created}")["data"] == before
    assert _error(api.call("PATCH", "/api/calendar/424242", {"status_id": 2}), 404) == "No event with this id."


# -- auth ---------------------------------------------------------------------------------------


def _sample_path(template: str) -> str:
    return template.replace("{id}", "1")


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_every_operation_needs_the_bearer_token(sandbox: Sandbox, token: str | None) -> None:
    """Without the token, or with another one, every operation answers 401 with the error body."""
    client = Checked(sandbox, token=token)
    for method, template in CONTRACT.operations():
        body = {} if method in ("POST", "PATCH") else _NO_BODY
        # {} lacks the required keys of a communication or event create: the contract refuses it too.
        refused = method == "POST" and "contacts" not in template
        response = client.call(method, _sample_path(template), body, invalid=refused)
        assert _error(response, 401) == "Unauthenticated."
    assert client.seen == set(CONTRACT.operations())


def test_other_schemes_and_custom_tokens(api: Checked) -> None:
    """Basic auth is refused; a sandbox built with its own token accepts only that one."""
    basic = api.client.get("/api/contacts/tags", headers={"Authorization": f"Basic {DEFAULT_TOKEN}"})
    assert basic.status_code == 401
    custom = make_sandbox(token="s3cret")
    assert Checked(custom, token="s3cret").ok("GET", "/api/calendar/tags")["status"] == 200
    assert Checked(custom).call("GET", "/api/calendar/tags").status_code == 401


def test_undocumented_routes_answer_json_errors(api: Checked) -> None:
    """An unknown path is 404 and a wrong method 405, both with the error body."""
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    assert api.client.get("/api/listings", headers=headers).json() == {"status": 404, "message": "Not Found"}
    assert api.client.put("/api/contacts/1", headers=headers).json() == {"status": 405, "message": "Method Not Allowed"}


# -- state, seeding, time zones, faults ------------------------------------------------------------


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    """With db=FILE, records, deletes and id counters are there after a restart, and it is not reseeded."""
    path = tmp_path / "estateprime.db"
    first = make_sandbox(db=path, seed_records=10, seed=3)
    api = Checked(first)
    created = api.ok("POST", "/api/contacts", CONTACT_BODY)["created_id"]
    api.ok("DELETE", "/api/contacts/1")
    patched = api.ok("PATCH", "/api/calendar/2", {"tags": None})["data"]
    before = {c: api.everything(c) for c in ("contacts", "communication", "calendar")}
    first.store.close()

    second = make_sandbox(db=path, seed_records=10, seed=3)
    again = Checked(second)
    assert {c: again.everything(c) for c in ("contacts", "communication", "calendar")} == before
    assert len(before["contacts"]) == 10
    assert again.ok("GET", f"/api/contacts/{created}")["data"]["first_name"] == "John"
    assert again.ok("GET", "/api/calendar/2")["data"] == patched
    assert again.call("GET", "/api/contacts/1").status_code == 404
    assert again.ok("POST", "/api/contacts", {})["created_id"] == created + 1
    second.store.close()


def test_seeding_is_deterministic_by_seed() -> None:
    """The same seed gives identical records; another seed gives other ones."""

    def dump(sandbox: Sandbox) -> str:
        return json.dumps({c: list(sandbox.store.scan(c)) for c in ("contacts", "communication", "calendar")})

    assert dump(make_sandbox(seed_records=40, seed=11)) == dump(make_sandbox(seed_records=40, seed=11))
    assert dump(make_sandbox(seed_records=40, seed=11)) != dump(make_sandbox(seed_records=40, seed=12))
    counts = make_sandbox(seed_records=40, seed=11).store
    assert [counts.count(c) for c in ("contacts", "communication", "calendar")] == [40, 40, 20]


def test_seeded_records_exercise_the_documented_shapes(seeded: Checked) -> None:
    """Seeded records cover companies and people, typed custom fields, online and all-day events."""
    contacts = seeded.everything("contacts")
    companies = [c for c in contacts if c["is_company"]]
    people = [c for c in contacts if not c["is_company"]]
    assert companies
    assert all(c["company_name"] and c["contact_details"] for c in companies)
    assert people
    assert all(c["company_name"] is None and c["contact_details"] == [] for c in people)
    assert any(d["email"] is None for c in companies for d in c["contact_details"])
    values = {f["custom_field_id"]: f["value"] for c in contacts for f in c["custom_fields"]}
    assert values[1].startswith("https://")
    assert isinstance(values[2], str)
    assert set(values[3]) <= {1, 2}
    assert re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})*\.00€", values[4])
    assert values[5].startswith("+1")
    assert {c["date_converted_to_client"] is None for c in contacts} == {True, False}
    assert all(p["number"].startswith("+") for c in contacts for p in c["phones"])
    assert any("@example." in e["email_address"] for c in contacts for e in c["emails"])

    events = seeded.everything("calendar")
    assert {e["remote_meeting"] is None for e in events} == {True, False}
    assert all(e["is_online"] == (e["remote_meeting"] is not None) for e in events)
    all_day = [e for e in events if e["full_day"]]
    assert all_day
    assert all(e["date_starting"].endswith(" 00:00:00") for e in all_day)
    assert all(e["date_starting"] <= e["date_ending"] for e in events)
    assert any(isinstance(f["value"], bool) for e in events for f in e.get("custom_fields", []))

    dates = sorted(c["date_created"] for c in contacts)
    assert dates[0] < "2024-04-01"
    assert dates[-1] > "2025-09-01"
    assert all(DATETIME.fullmatch(d) for d in dates)


def test_seeded_references_point_at_existing_records(seeded: Checked) -> None:
    """Communications and events reference seeded contacts and the served lookup lists only."""
    contact_ids = {c["id"] for c in seeded.everything("contacts")}
    channels = {c["id"] for c in seeded.ok("GET", "/api/communication/channels")["data"]}
    tags = {t["id"] for t in seeded.ok("GET", "/api/communication/tags")["data"]}
    for record in seeded.everything("communication"):
        assert record["contact_id"] in contact_ids
        assert record["channel"] in channels
        assert set(record["tags"]) <= tags
        assert record["communication_date"] <= record["date_created"]
    statuses = {s["id"] for s in seeded.ok("GET", "/api/calendar/statuses")["data"]}
    categories = {c["id"] for c in seeded.ok("GET", "/api/calendar/categories")["data"]}
    for event in seeded.everything("calendar"):
        assert set(event["contacts"]) <= contact_ids
        assert event["status_id"] in statuses
        assert event["category_id"] in categories
    sources = {s["id"] for s in seeded.ok("GET", "/api/contacts/sources")["data"]}
    assert {c["source_id"] for c in seeded.everything("contacts")} <= sources


def test_times_are_written_in_the_sandbox_timezone() -> None:
    """date_created is the wall time of the sandbox's timezone (Athens is UTC+3 in June)."""
    athens = make_sandbox(timezone="Europe/Athens", now=lambda: NOW)
    api = Checked(athens)
    created = api.ok("POST", "/api/contacts", {"first_name": "Eleni"})["created_id"]
    contact = api.ok("GET", f"/api/contacts/{created}")["data"]
    assert (contact["date_created"], contact["date_updated"]) == ("2025-06-01 15:00:00", "2025-06-01 15:00:00")
    with pytest.raises(ValueError, match="unknown timezone"):
        make_sandbox(timezone="Mars/Olympus")


def test_default_clock_writes_the_current_time() -> None:
    """Without an injected clock, date_created is the current UTC time, seconds precision."""
    api = Checked(make_sandbox())
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat(" ")
    created = api.ok("POST", "/api/communication", COMMUNICATION_BODY)["created_id"]
    stamp = api.ok("GET", f"/api/communication/{created}")["data"]["date_created"]
    assert DATETIME.fullmatch(stamp)
    assert stamp >= before


def test_faults_wrap_the_sandbox() -> None:
    """With a fault config the injector sits in front of the app and its errors fit the contract."""
    faulty = make_sandbox(faults=FaultConfig(error_rate=1.0, kinds=("503",)))
    response = Checked(faulty).call("GET", "/api/contacts/sources")
    assert response.status_code == 503
    assert faulty.faults is not None
    assert faulty.faults.injected == {"503": 1}
    limited = make_sandbox(faults=FaultConfig(rate_limit=2))
    statuses = [Checked(limited).call("GET", "/api/calendar/tags").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200]
    assert 429 in statuses[2:]
    assert make_sandbox().faults is None


def test_shared_factory_builds_this_sandbox() -> None:
    """crmbridge.sandbox.make_sandbox("estateprime") builds this sandbox with its base URL."""
    built = make_any_sandbox("estateprime", seed_records=3)
    assert (built.system, built.base_url) == ("estateprime", BASE_URL)
    assert built.client_options()["token"] == DEFAULT_TOKEN
    assert Checked(built).ok("GET", "/api/contacts")["total_results"] == 3


def test_a_page_over_ten_thousand_records_is_cheap(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page over 10,000 stored contacts walks the store once: unfiltered up to its page, filtered once through."""
    # Counts, not seconds (the speed is in bench/sandbox_pages.py): quadratic work, a sort or a
    # per-record re-read would multiply these numbers whatever the machine's load.
    api = Checked(sandbox)
    template = api.ok("GET", f"/api/contacts/{api.ok('POST', '/api/contacts', CONTACT_BODY)['created_id']}")["data"]
    for number in range(2, 10_001):
        ident = sandbox.store.next_int_id("contacts")
        day = f"2025-{1 + number % 12:02d}-{1 + number % 28:02d} 10:00:00"
        sandbox.store.put("contacts", str(ident), {**template, "id": ident, "date_created": day})
    counted = StoreCounter(sandbox.store, monkeypatch)
    first = api.ok("GET", "/api/contacts", {"page": 2})
    assert (counted.scans["contacts"], counted.drawn["contacts"], counted.gets["contacts"]) == (1, 100, 0)
    counted.reset()
    last = api.ok("GET", "/api/contacts", {"page": 200})
    assert (counted.scans["contacts"], counted.drawn["contacts"], counted.gets["contacts"]) == (1, 10_000, 0)
    counted.reset()
    filtered = api.ok("GET", "/api/contacts", {"page": 3, "date_created": {"min": "2025-06-01 00:00:00", "max": None}})
    assert (counted.scans["contacts"], counted.drawn["contacts"], counted.gets["contacts"]) == (1, 10_000, 0)
    assert [r["id"] for r in first["data"]] == list(range(51, 101))
    assert ([r["id"] for r in last["data"]][-1], last["total_pages"]) == (10_000, 200)
    assert filtered["total_results"] > 4000
    assert all(r["date_created"] >= "2025-06-01 00:00:00" for r in filtered["data"])


def test_async_client_sees_the_same_sandbox(seeded_sandbox: Sandbox) -> None:
    """An httpx.AsyncClient on the same transport lists pages concurrently within the contract."""

    async def run() -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {seeded_sandbox.token}"}
        async with httpx.AsyncClient(transport=seeded_sandbox.transport(), base_url=seeded_sandbox.base_url) as client:

            async def page(number: int) -> dict[str, Any]:
                body = {"page": number}
                CONTRACT.validate_request("GET", "/api/calendar", body)
                response = await client.request("GET", "/api/calendar", json=body, headers=headers)
                CONTRACT.validate_response("GET", "/api/calendar", response.status_code, response.json())
                answer: dict[str, Any] = response.json()
                return answer

            return list(await asyncio.gather(page(1), page(2)))

    first, second = asyncio.run(run())
    assert (first["total_results"], first["total_pages"]) == (60, 2)
    assert [len(first["data"]), len(second["data"])] == [50, 10]
    assert first["data"][-1]["id"] < second["data"][0]["id"]
