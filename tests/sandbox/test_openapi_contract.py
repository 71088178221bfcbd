"""The OpenAPI checker finds operations and validates bodies against a 3.1 document."""

from __future__ import annotations

from typing import Any

import pytest

from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract

DOC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/things/{id}": {
            "get": {
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "4XX": {"content": {"application/json": {"schema": {"type": "object"}}}},
                }
            },
            "delete": {"responses": {"204": {"description": "gone"}}},
        },
        "/things/special": {
            "get": {"responses": {"200": {"content": {"application/json": {"schema": {"type": "array"}}}}}}
        },
        "/things": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                },
                "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}},
            }
        },
    },
    "components": {
        "schemas": {
            "Thing": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
        }
    },
}


def test_literal_paths_win_over_templates() -> None:
    """/things/special is its own operation, not /things/{id}."""
    contract = OpenAPIContract(DOC)
    assert contract.find("GET", "/things/special") == "/things/special"
    assert contract.find("GET", "/things/12") == "/things/{id}"
    assert ("DELETE", "/things/{id}") in contract.operations()


def test_undocumented_operation_is_a_violation() -> None:
    """A method or path the document does not describe is refused."""
    contract = OpenAPIContract(DOC)
    with pytest.raises(ContractViolation, match="not a documented operation"):
        contract.find("PUT", "/things/1")


def test_response_bodies_are_validated_through_refs() -> None:
    """A response is checked against its status's schema, $refs included; 4XX ranges apply."""
    contract = OpenAPIContract(DOC)
    contract.validate_response("GET", "/things/1", 200, {"id": 1})
    with pytest.raises(ContractViolation, match="'id' is a required property"):
        contract.validate_response("GET", "/things/1", 200, {})
    contract.validate_response("GET", "/things/1", 404, {"message": "x"})
    with pytest.raises(ContractViolation, match="does not document status 500"):
        contract.validate_response("GET", "/things/1", 500, {})
    contract.validate_response("DELETE", "/things/1", 204, None)
    with pytest.raises(ContractViolation, match="documents no body"):
        contract.validate_response("DELETE", "/things/1", 204, {"x": 1})


def test_request_bodies_are_validated() -> None:
    """A required body must be there and match; an operation without a body takes none."""
    contract = OpenAPIContract(DOC)
    contract.validate_request("POST", "/things", {"id": 3})
    with pytest.raises(ContractViolation, match="requires a body"):
        contract.validate_request("POST", "/things", None)
    with pytest.raises(ContractViolation, match="is not of type 'integer'"):
        contract.validate_request("POST", "/things", {"id": "3"})
    with pytest.raises(ContractViolation, match="documents no request body"):
        contract.validate_request("GET", "/things/1", {"page": 1})
    contract.validate_request("GET", "/things/1", None)


def test_only_openapi_31_is_accepted() -> None:
    """An OpenAPI 3.0 or Swagger document is refused (3.1 schemas are JSON Schema 2020-12)."""
    with pytest.raises(ValueError, match=r"3\.1"):
        OpenAPIContract({"openapi": "3.0.3", "paths": {}})


def test_responses_and_bodies_kept_in_components_are_followed() -> None:
    """A response or request body given as a $ref to components is resolved before validation."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "paths": {
            "/x": {
                "post": {
                    "requestBody": {"$ref": "#/components/requestBodies/Thing"},
                    "responses": {"200": {"$ref": "#/components/responses/Thing"}},
                }
            }
        },
        "components": {
            "schemas": DOC["components"]["schemas"],
            "requestBodies": {
                "Thing": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                }
            },
            "responses": {
                "Thing": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}
            },
        },
    }
    contract = OpenAPIContract(doc)
    contract.validate_request("POST", "/x", {"id": 1})
    contract.validate_response("POST", "/x", 200, {"id": 2})
    with pytest.raises(ContractViolation, match="required property"):
        contract.validate_response("POST", "/x", 200, {})
    with pytest.raises(ContractViolation, match="requires a body"):
        contract.validate_request("POST", "/x", None)


def test_contract_transport_checks_traffic_and_records_operations() -> None:
    """Requests and responses through ContractTransport are validated and the operations recorded."""
    import httpx

    from crmbridge.sandbox._openapi import ContractTransport

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/things/1"):
            return httpx.Response(200, json={"id": 1})
        return httpx.Response(200, json={"id": "not an int"})

    transport = ContractTransport(httpx.MockTransport(handler), OpenAPIContract(DOC), base_path="/api")
    with httpx.Client(transport=transport, base_url="http://x/api") as client:
        assert client.get("/things/1").json() == {"id": 1}
        with pytest.raises(ContractViolation, match="not of type 'integer'"):
            client.get("/things/2")
        with pytest.raises(ContractViolation, match="not a documented operation"):
            client.put("/things/1", json={})
    assert transport.seen == {("GET", "/things/{id}")}


def test_query_parameters_are_checked_by_name_and_type() -> None:
    """Undocumented query names, mistyped scalar values and deepObject filters are handled per the document."""
    from crmbridge.sandbox._openapi import openapi_path

    rechat = OpenAPIContract(openapi_path("rechat"))
    rechat.validate_query("GET", "/crm/tasks/search", [("order", "-due_date"), ("limit", "5"), ("q", "x")])
    with pytest.raises(ContractViolation, match="'bogus' is not documented"):
        rechat.validate_query("GET", "/crm/tasks/search", [("bogus", "1")])
    with pytest.raises(ContractViolation, match="'limit' must be a"):
        rechat.validate_query("GET", "/crm/tasks/search", [("limit", "ten")])
    activix = OpenAPIContract(openapi_path("activix"))
    activix.validate_query("GET", "/leads", [("filter[updated_at][gte]", "2025-01-01"), ("include[]", "emails")])
    with pytest.raises(ContractViolation, match="not documented"):
        activix.validate_query("GET", "/leads", [("filtre[updated_at]", "2025-01-01")])
