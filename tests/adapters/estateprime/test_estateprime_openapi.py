"""The EstatePrime OpenAPI file is a valid 3.1 description, and the vendor's own examples fit it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path

CONTRACT = OpenAPIContract(openapi_path("estateprime"))
DOCUMENT = CONTRACT.document
_BASE = "urn:test:estateprime"
_REGISTRY: Registry[Any] = Registry().with_resource(
    _BASE, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)

# The vendor documents' examples, as JSON (their "//Rest of the data..." lines and trailing commas removed).
CONTACT = {
    "id": 1489,
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
    "emails": [
        {"type": "personal", "email_address": "[email protected]", "notes": "Primary email"},
        {"type": "work", "email_address": "[email protected]", "notes": "Work email"},
    ],
    "notes": "Important client",
    "custom_fields": [
        {"custom_field_id": 1, "value": "Preferred buyer"},
        {"custom_field_id": 2, "value": "VIP"},
        {"custom_field_id": 3, "value": [2, 3]},
    ],
    "contact_details": [
        {"first_name": "Adam", "last_name": "Simpson", "mobile": "+306987411111", "email": None, "notes": "CEO"},
        {"first_name": "Diane", "last_name": "Blake", "mobile": None, "email": None, "notes": "Marketing assistant"},
    ],
    "tags": [1, 4],
    "date_created": "2025-01-15 18:00:05",
    "created_by": 10,
    "users": [2, 5, 7],
    "date_updated": "2025-01-15 18:00:05",
    "date_converted_to_client": None,
}
COMMUNICATION = {
    "id": 301,
    "date_created": "2025-03-12 10:05:00",
    "communication_date": "2025-03-12 09:30:00",
    "user_id": 3,
    "store_id": 2,
    "type": "outgoing",
    "channel": 1,
    "contact_id": 45,
    "request_id": None,
    "comments": "Discussed property viewing for next Tuesday.",
    "tags": [4, 9],
    "listings": [120, 135],
}
EVENT = {
    "id": 1489,
    "full_day": False,
    "date_starting": "2025-01-20 10:00:00",
    "date_ending": "2025-01-20 11:00:00",
    "date_created": "2025-01-15 18:00:05",
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
    "remote_meeting": {
        "type": "Google Meet",
        "meeting_url": "https://meet.google.com/abc-defg-hij",
        "meeting_id": "1x0g1q8ppes9681fpjaiq85dh1",
    },
}
CONTACT_CREATE = {k: CONTACT[k] for k in ("first_name", "last_name", "source_id", "is_lead", "is_company")} | {
    "company_name": None,
    "phones": CONTACT["phones"],
}
COMMUNICATION_CREATE = {k: v for k, v in COMMUNICATION.items() if k not in ("id", "date_created")}
EVENT_CREATE = {
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
CONTACT_CUSTOM_FIELDS = [
    {"id": 1, "name": "Website", "type": "url"},
    {"id": 2, "name": "Bank Accounts", "type": "textarea"},
    {
        "id": 3,
        "name": "Preferred Contact Methods",
        "type": "select_multi",
        "options": [{"id": 1, "name": "Phone"}, {"id": 2, "name": "Email"}],
    },
    {"id": 4, "name": "Available Budget", "type": "currency"},
    {"id": 5, "name": "Lawyer's Phone", "type": "phone"},
]
COMMUNICATION_CUSTOM_FIELDS = [
    {
        "id": 1,
        "name": "Call Outcome",
        "type": "select",
        "options": [
            {"id": 1, "name": "Interested"},
            {"id": 2, "name": "Not Interested"},
            {"id": 3, "name": "No Answer"},
        ],
    },
    {"id": 2, "name": "Follow-up Date", "type": "date"},
]


def _page(data: list[Any], total_pages: int, total: int) -> dict[str, Any]:
    return {
        "status": 200,
        "page": 1,
        "total_pages": total_pages,
        "results_per_page": 50,
        "total_results": total,
        "data": data,
    }


# (method, path, status, body) of every response example in the documents.
RESPONSES: list[tuple[str, str, int, Any]] = [
    ("GET", "/api/contacts", 200, _page([CONTACT], 9, 428)),
    ("GET", "/api/contacts/1489", 200, {"status": 200, "data": CONTACT}),
    ("POST", "/api/contacts", 200, {"status": 200, "created_id": 789}),
    ("DELETE", "/api/contacts/789", 200, {"status": 200, "deleted_id": 789}),
    (
        "GET",
        "/api/contacts/sources",
        200,
        {
            "status": 200,
            "data": [
                {"id": 1, "name": "Referred by another client"},
                {"id": 2, "name": "Social Media"},
                {"id": 3, "name": "Company Website"},
            ],
        },
    ),
    (
        "GET",
        "/api/contacts/tags",
        200,
        {"status": 200, "data": [{"id": 1, "name": "VIP client"}, {"id": 2, "name": "Lost"}]},
    ),
    ("GET", "/api/contacts/custom-fields", 200, {"status": 200, "data": CONTACT_CUSTOM_FIELDS}),
    ("GET", "/api/communication", 200, _page([COMMUNICATION], 5, 218)),
    ("GET", "/api/communication/301", 200, {"status": 200, "data": COMMUNICATION}),
    ("POST", "/api/communication", 200, {"status": 200, "created_id": 301}),
    ("DELETE", "/api/communication/301", 200, {"status": 200, "deleted_id": 301}),
    (
        "GET",
        "/api/communication/channels",
        200,
        {
            "status": 200,
            "data": [
                {"id": 1, "name": "Phone Call", "type": "phone"},
                {"id": 2, "name": "Email", "type": "email"},
                {"id": 3, "name": "SMS", "type": "sms"},
            ],
        },
    ),
    (
        "GET",
        "/api/communication/tags",
        200,
        {"status": 200, "data": [{"id": 4, "name": "Follow Up"}, {"id": 9, "name": "Hot Lead"}]},
    ),
    ("GET", "/api/communication/custom-fields", 200, {"status": 200, "data": COMMUNICATION_CUSTOM_FIELDS}),
    ("GET", "/api/calendar", 200, _page([EVENT], 9, 428)),
    ("GET", "/api/calendar/1489", 200, {"status": 200, "data": EVENT}),
    ("POST", "/api/calendar", 200, {"status": 200, "created_id": 789}),
    ("PATCH", "/api/calendar/1489", 200, {"status": 200, "data": {**EVENT, "status_id": 2, "tags": []}}),
    ("DELETE", "/api/calendar/789", 200, {"status": 200, "deleted_id": 789}),
    (
        "GET",
        "/api/calendar/categories",
        200,
        {
            "status": 200,
            "data": [
                {"id": 1, "name": "Property Viewing"},
                {"id": 2, "name": "Appointment with Homeowner"},
                {"id": 3, "name": "Team Meeting"},
                {"id": 4, "name": "Other"},
            ],
        },
    ),
    (
        "GET",
        "/api/calendar/statuses",
        200,
        {
            "status": 200,
            "data": [
                {"id": 1, "name": "Upcoming"},
                {"id": 2, "name": "In progress"},
                {"id": 3, "name": "Completed"},
                {"id": 4, "name": "Cancelled"},
            ],
        },
    ),
    (
        "GET",
        "/api/calendar/tags",
        200,
        {"status": 200, "data": [{"id": 1, "name": "VIP client"}, {"id": 2, "name": "Lost"}]},
    ),
    (
        "GET",
        "/api/calendar/custom-fields",
        200,
        {"status": 200, "data": [{"id": 1, "name": "Urgent Meeting", "type": "checkbox"}]},
    ),
]

# (method, path, body) of every request body example in the documents.
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/api/contacts", {"page": 1, "date_created": {"min": "2025-02-24 00:00:00", "max": None}}),
    ("POST", "/api/contacts", CONTACT_CREATE),
    (
        "GET",
        "/api/communication",
        {
            "page": 1,
            "type": "outgoing",
            "contact_id": 45,
            "communication_date": {"min": "2025-01-01 00:00:00", "max": None},
        },
    ),
    ("POST", "/api/communication", COMMUNICATION_CREATE),
    ("GET", "/api/calendar", {"page": 1, "date_starting": {"min": "2025-02-24 00:00:00", "max": None}}),
    ("POST", "/api/calendar", EVENT_CREATE),
    ("PATCH", "/api/calendar/1489", {"status_id": 2, "tags": None}),
]


def _schema_errors(name: str, instance: Any) -> list[str]:
    """The messages of ``instance`` against the component schema ``name``."""
    validator = jsonschema.Draft202012Validator({"$ref": f"{_BASE}#/components/schemas/{name}"}, registry=_REGISTRY)
    return [error.message for error in validator.iter_errors(instance)]


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(pointer: str) -> Any:
    node: Any = DOCUMENT
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_document_is_openapi_31_with_bearer_auth() -> None:
    """The file is OpenAPI 3.1.0 and every operation is covered by the bearer security scheme."""
    assert DOCUMENT["openapi"] == "3.1.0"
    assert DOCUMENT["security"] == [{"bearerAuth": []}]
    scheme = DOCUMENT["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "assumes" in scheme["description"]


def test_every_ref_resolves() -> None:
    """Each local $ref points at an existing node of the document."""
    refs = sorted(set(_refs(DOCUMENT)))
    assert len(refs) > 30
    for ref in refs:
        assert ref.startswith("#/"), ref
        assert isinstance(_resolve(ref), dict), ref


def test_every_component_schema_is_valid_json_schema() -> None:
    """Each component schema passes the JSON Schema 2020-12 meta-schema."""
    for schema in DOCUMENT["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)  # raises SchemaError naming the problem


def test_operations_are_the_documented_ones() -> None:
    """The file describes the 23 documented operations, each with a unique operationId and a 401."""
    operations = CONTRACT.operations()
    assert len(operations) == 23
    assert ("PATCH", "/api/calendar/{id}") in operations
    assert ("PATCH", "/api/contacts/{id}") not in operations
    ids = [DOCUMENT["paths"][path][method.lower()]["operationId"] for method, path in operations]
    assert len(set(ids)) == 23
    for method, path in operations:
        responses = DOCUMENT["paths"][path][method.lower()]["responses"]
        assert {"200", "401", "429", "5XX"} <= set(responses), (method, path)


def test_list_filters_are_a_json_body_on_get() -> None:
    """The three list operations take a requestBody on GET, and the description says so."""
    for path in ("/api/contacts", "/api/communication", "/api/calendar"):
        body = DOCUMENT["paths"][path]["get"]["requestBody"]
        assert body["required"] is False
        assert "JSON body on this GET" in body["description"]
    assert "List filters travel as a JSON body on GET" in DOCUMENT["info"]["description"]


@pytest.mark.parametrize(("method", "path", "status", "body"), RESPONSES, ids=[f"{m} {p}" for m, p, _, _ in RESPONSES])
def test_vendor_response_examples_fit(method: str, path: str, status: int, body: Any) -> None:
    """Every response example of the documents validates against its operation's response schema."""
    CONTRACT.validate_response(method, path, status, body)


@pytest.mark.parametrize(("method", "path", "body"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_vendor_request_examples_fit(method: str, path: str, body: Any) -> None:
    """Every request body example of the documents validates against its operation's requestBody."""
    CONTRACT.validate_request(method, path, body)


def test_vendor_objects_fit_their_component_schemas() -> None:
    """The documents' contact, communication and event objects match the component schemas."""
    assert _schema_errors("Contact", CONTACT) == []
    assert _schema_errors("Communication", COMMUNICATION) == []
    assert _schema_errors("Event", EVENT) == []
    assert _schema_errors("CustomFieldDefinition", CONTACT_CUSTOM_FIELDS[2]) == []


def test_response_objects_allow_new_vendor_keys() -> None:
    """A key the documents do not list is accepted in response objects (vendors add fields)."""
    assert _schema_errors("Contact", {**CONTACT, "rating": 5}) == []
    assert _schema_errors("Event", {**EVENT, "location": "Office"}) == []


def test_schemas_refuse_wrong_shapes() -> None:
    """Wrong date formats, directions and missing keys are refused."""
    assert _schema_errors("Contact", {**CONTACT, "date_created": "2025-01-15T18:00:05"})
    assert _schema_errors("Communication", {**COMMUNICATION, "type": "inbound"})
    assert _schema_errors("Event", {**EVENT, "date_starting": "2025-01-20"})
    assert _schema_errors("EventCreate", {"full_day": True, "date_starting": "2025-01-20"})
    assert _schema_errors("DateRange", {"min": None})
    assert _schema_errors("Channel", {"id": 1, "name": "Fax", "type": "fax"})
    missing = {k: v for k, v in CONTACT.items() if k != "phones"}
    assert any(re.search("'phones' is a required property", m) for m in _schema_errors("Contact", missing))


def test_list_filter_bodies_are_strict() -> None:
    """A list filter the documents do not describe is refused by the contract."""
    with pytest.raises(ContractViolation, match="Additional properties"):
        CONTRACT.validate_request("GET", "/api/contacts", {"page": 1, "date_updated": {"min": None, "max": None}})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_request("GET", "/api/calendar", {"page": 0})


def test_error_bodies_are_documented() -> None:
    """Error answers carry {status, message}; a bare {message} (rate limit, faults) fits too."""
    CONTRACT.validate_response("GET", "/api/contacts/1", 404, {"status": 404, "message": "No contact with this id."})
    CONTRACT.validate_response("POST", "/api/calendar", 422, {"status": 422, "message": "date_ending: is required"})
    CONTRACT.validate_response("GET", "/api/contacts", 429, {"message": "Too Many Requests"})
    CONTRACT.validate_response("DELETE", "/api/calendar/1", 503, {"message": "Internal Error"})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response("GET", "/api/contacts/1", 401, {"status": 401})
    patch_responses = DOCUMENT["paths"]["/api/calendar/{id}"]["patch"]["responses"]
    assert "assumption" in DOCUMENT["components"]["responses"]["Unauthorized"]["description"]
    assert {"400", "404", "422"} <= set(patch_responses)
