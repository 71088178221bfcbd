"""The Rechat OpenAPI description: a valid 3.1 document that the vendor's examples satisfy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path

EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "sandbox_vendor_examples.json").read_text("utf-8"))
TASK = "736ddda0-f1c0-49e6-8aa7-9d3bef095f42"
CONTRACT = OpenAPIContract(openapi_path("rechat"))


def _concrete(template: str) -> str:
    return template.replace("{id}", TASK)


@pytest.mark.parametrize("example", EXAMPLES["examples"], ids=lambda e: e["name"])
def test_vendor_examples_validate(example: dict[str, Any]) -> None:
    """Every JSON example of the Tasks documentation matches its operation's schema."""
    path = _concrete(example["path"])
    if example["kind"] == "request":
        CONTRACT.validate_request(example["method"], path, example["body"])
    else:
        CONTRACT.validate_response(example["method"], path, 200, example["body"])


def test_description_is_openapi_31_with_both_resources() -> None:
    """The file is OpenAPI 3.1.0 and documents the tasks and contacts operations the brief names."""
    assert CONTRACT.document["openapi"] == "3.1.0"
    operations = set(CONTRACT.operations())
    assert ("DELETE", "/crm/tasks/{id}/associations/{association}") in operations
    assert ("PATCH", "/contacts/tags/{tag}") in operations
    assert ("POST", "/contacts/import.json") in operations
    assert ("DELETE", "/crm/tasks/{id}") in operations
    assert len(operations) == 50


def test_security_is_bearer_plus_brand_header() -> None:
    """Requests authenticate with a bearer token and name their brand in X-RECHAT-BRAND."""
    schemes = CONTRACT.document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["brand"]["name"] == "X-RECHAT-BRAND"


def test_errors_have_rechat_shapes() -> None:
    """4xx bodies need http/code/message; 5xx bodies are the generic Internal Error."""
    CONTRACT.validate_response("GET", "/contacts", 400, {"http": 400, "code": "Validation", "message": "bad"})
    CONTRACT.validate_response("GET", "/contacts", 503, {"message": "Internal Error"})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response("GET", "/contacts", 404, {"message": "missing"})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_response("GET", "/contacts", 500, {"message": "boom"})


def test_association_input_needs_the_field_its_type_names() -> None:
    """A contact association without a contact id is refused by the schema."""
    path = f"/crm/tasks/{TASK}/associations"
    CONTRACT.validate_request("POST", path, {"association_type": "deal", "deal": TASK})
    with pytest.raises(ContractViolation):
        CONTRACT.validate_request("POST", path, {"association_type": "contact", "listing": TASK})


def test_contact_input_needs_attributes() -> None:
    """POST /contacts needs each contact's attributes array."""
    CONTRACT.validate_request("POST", "/contacts", {"contacts": [{"attributes": []}]})
    with pytest.raises(ContractViolation, match="attributes"):
        CONTRACT.validate_request("POST", "/contacts", {"contacts": [{"user": TASK}]})
