"""The Activix OpenAPI 3.1 description itself: operations, open enums, write-only fields, envelopes."""

from __future__ import annotations

from typing import Any

import pytest

from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path

CONTRACT = OpenAPIContract(openapi_path("activix"))
SCHEMAS: dict[str, Any] = CONTRACT.document["components"]["schemas"]

EXPECTED_OPERATIONS = {
    ("POST", "/leads"),
    ("GET", "/leads"),
    ("GET", "/leads/search"),
    ("GET", "/leads/{id}"),
    ("PUT", "/leads/{id}"),
    ("POST", "/screenpop"),
    ("POST", "/lead-emails"),
    ("PUT", "/lead-emails/{id}"),
    ("POST", "/lead-phones"),
    ("PUT", "/lead-phones/{id}"),
    ("POST", "/lead-vehicles"),
    ("PUT", "/lead-vehicles/{id}"),
    ("POST", "/leads/{lead_id}/notes"),
    ("PUT", "/leads/{lead_id}/notes/{note_id}"),
    ("GET", "/account"),
    ("POST", "/communications"),
    ("PUT", "/communications/{id}"),
    ("POST", "/communications/{id}/recording"),
    ("POST", "/call-logs"),
    ("PUT", "/call-logs/{id}"),
}

COMMUNICATION = {
    "id": 1,
    "lead_id": 2,
    "user_id": None,
    "created_at": "2022-01-22T06:05:12+00:00",
    "updated_at": "2022-01-22T06:05:12Z",
    "executed_at": None,
    "method": "phone",
    "type": "outgoing",
    "description": None,
}


def _communication(**changes: Any) -> dict[str, Any]:
    return {"data": {**COMMUNICATION, **changes}}


def test_the_document_is_openapi_31_served_under_v2_with_bearer_auth() -> None:
    """Every server URL ends in /v2 and the whole API needs the bearer token."""
    assert CONTRACT.document["openapi"] == "3.1.0"
    assert {server["url"].rsplit("/", 1)[1] for server in CONTRACT.document["servers"]} == {"v2"}
    assert CONTRACT.document["security"] == [{"bearer": []}]
    assert CONTRACT.document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_it_documents_exactly_the_vendor_operations() -> None:
    """The twenty documented operations are there, and nothing reads or deletes communications."""
    assert set(CONTRACT.operations()) == EXPECTED_OPERATIONS
    assert "get" not in CONTRACT.document["paths"]["/communications/{id}"]


def test_open_enums_are_plain_strings() -> None:
    """Fields whose values "might be added to" carry no closed enum, so new values validate."""
    lead = SCHEMAS["LeadFields"]["properties"]
    for name in ("type", "status", "result", "division", "segment", "civility"):
        assert "enum" not in lead[name], name
    for schema, name in (("Communication", "method"), ("Communication", "call_status"), ("Phone", "type")):
        assert "enum" not in SCHEMAS[schema]["properties"][name]
    CONTRACT.validate_response(
        "POST", "/communications", 201, _communication(method="whatsapp", call_status="voicemail")
    )


def test_phone_type_is_a_string_despite_the_docs() -> None:
    """The vendor table types Phone.type as boolean; the description corrects it and says so."""
    phone_type = SCHEMAS["Phone"]["properties"]["type"]
    assert phone_type["type"] == "string"
    assert "boolean" in phone_type["description"]


def test_write_only_fields_never_carry_a_value_in_responses() -> None:
    """The four write-only fields are writable, but a response holding a value breaks the contract."""
    for name in ("email_subject", "email_body", "email_user", "url"):
        assert SCHEMAS["CommunicationFields"]["properties"][name]["writeOnly"] is True
        with pytest.raises(ContractViolation):
            CONTRACT.validate_response("POST", "/communications", 201, _communication(**{name: "secret"}))
    body = {"lead_id": 1, "method": "email", "type": "outgoing", "email_subject": "Quote", "email_body": "Hello"}
    CONTRACT.validate_request("POST", "/communications", body)


def test_communication_create_requires_lead_method_and_type_and_update_is_partial() -> None:
    """POST needs lead_id, method and type; PUT takes the docs' partial example as it is."""
    with pytest.raises(ContractViolation):
        CONTRACT.validate_request("POST", "/communications", {"lead_id": 1, "method": "sms"})
    CONTRACT.validate_request("PUT", "/communications/3", {"call_duration": 25, "call_status": "answered"})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_request("PUT", "/communications/3", {"call_duration": 25, "surprise": 1})


def test_timestamps_are_utc_with_z_or_offset_zero() -> None:
    """Responses may say Z or +00:00 but not another offset; inputs may carry any offset."""
    CONTRACT.validate_response("POST", "/communications", 201, _communication(executed_at="2022-01-22T06:00:00Z"))
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response(
            "POST", "/communications", 201, _communication(executed_at="2022-01-22T01:00:00-05:00")
        )
    body = {"lead_id": 1, "method": "sms", "type": "incoming", "executed_at": "2022-01-22T01:00:00-05:00"}
    CONTRACT.validate_request("PUT", "/communications/1", body)


def test_list_meta_per_page_may_be_an_integer_or_a_string() -> None:
    """Both vendor examples of meta.per_page validate; a word does not."""
    links = {"first": "https://a/v2/leads?page=1", "last": "https://a/v2/leads?page=1", "prev": None, "next": None}
    meta = {"current_page": 1, "from": None, "to": None, "last_page": 1, "path": "https://a/v2/leads", "total": 0}
    for per_page in (25, "25"):
        CONTRACT.validate_response(
            "GET", "/leads", 200, {"data": [], "links": links, "meta": {**meta, "per_page": per_page}}
        )
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response(
            "GET", "/leads", 200, {"data": [], "links": links, "meta": {**meta, "per_page": "many"}}
        )


def test_errors_have_a_message_and_422s_a_field_map() -> None:
    """A 422 without its errors map, or a 404 without a message, breaks the contract."""
    CONTRACT.validate_response(
        "POST", "/leads", 422, {"message": "The given data was invalid.", "errors": {"type": ["x"]}}
    )
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response("POST", "/leads", 422, {"message": "The given data was invalid."})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response("GET", "/leads/1", 404, {"error": "gone"})
    CONTRACT.validate_response("GET", "/leads/1", 503, {"message": "Service Unavailable"})


def test_responses_allow_new_properties_and_lead_creates_need_a_type() -> None:
    """Unknown response keys are tolerated (the vendor adds properties); a lead create without type is not."""
    CONTRACT.validate_response("POST", "/communications", 201, _communication(brand_new_field=True))
    with pytest.raises(ContractViolation):
        CONTRACT.validate_request("POST", "/leads", {"first_name": "Sam"})
    CONTRACT.validate_request("POST", "/leads", {"type": "walk_in", "advisor": {"email": "a@b.example"}})
    CONTRACT.validate_request("PUT", "/leads/1", {"phones": [{"number": "+15145550100", "type": "mobile"}]})
