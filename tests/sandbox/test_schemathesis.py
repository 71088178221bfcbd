"""Schemathesis against each sandbox and its OpenAPI file: no server errors, no answer that breaks the file.

Every operation of ``adapters/<crm>/openapi.yaml`` gets a bounded, derandomized set of generated
requests, schema-valid and schema-violating, sent in-process to the sandbox's ASGI app (no
network). Each answer must not be a 5xx and must fit the file: a documented status code, the
documented content type and the documented body schema.

One 5xx is the vendor's own documented behaviour and is checked as such: Rechat runs its brand
check before its token check on ``GET /crm/tasks``, so a refused token there answers 500
``{"message": "Internal Error"}`` (see the operation's description in the file).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from crmbridge.sandbox import Sandbox
from crmbridge.sandbox._openapi import openapi_path

SYSTEMS = ("estateprime", "rechat", "activix")
EXAMPLES = 5
"""Generated requests per operation and mode: bounded so the whole run stays well under two minutes."""
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
BRAND_CHECKED_FIRST = {("rechat", "GET /crm/tasks")}


def _sandbox(system: str) -> Sandbox:
    module = importlib.import_module(f"crmbridge.sandbox.{system}")
    sandbox: Sandbox = module.make_sandbox(seed_records=5, seed=1)
    return sandbox


def _schema(system: str) -> Any:
    return schemathesis.openapi.from_path(str(openapi_path(system)))


@schemathesis.serializer("audio/mpeg", "audio/wav", "audio/x-wav", "audio/mp3")
def _audio(_: Any, value: Any) -> bytes:
    """A generated audio part as bytes (Activix's recording upload): the sandbox checks its type, not its sound."""
    return value if isinstance(value, bytes) else str(value).encode()


OPERATIONS = [(system, result.ok().label) for system in SYSTEMS for result in _schema(system).get_all_operations()]


def _vendor_brand_first_500(system: str, label: str, response: Any, token: str) -> bool:
    """True for Rechat's documented 500 to a refused token on a brand-first route."""
    if (system, label) not in BRAND_CHECKED_FIRST:
        return False
    sent = response.request.headers.get("Authorization")
    return bool(
        sent != f"Bearer {token}" and response.status_code == 500 and response.json() == {"message": "Internal Error"}
    )


class Run:
    """One operation's generated requests against one sandbox, with what failed (check, status, body)."""

    def __init__(self, system: str, label: str) -> None:
        self.system, self.label = system, label
        self.sandbox = _sandbox(system)
        schema = _schema(system)
        schema.app = self.sandbox.app
        method, _, path = label.partition(" ")
        self.operation = schema[path][method]
        self.token = self.sandbox.client_options()["token"]
        self.failures: dict[tuple[str, str], str] = {}
        self.sent = 0

    def send(self, mode: GenerationMode) -> None:
        """``EXAMPLES`` requests of ``mode``, each answer checked."""

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        @given(case=self.operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            self.check(mode, case)

        run()

    def check(self, mode: GenerationMode, case: Any) -> None:
        """Send ``case`` and record each check it fails."""
        self.sent += 1
        response = case.call(base_url=self.sandbox.base_url, headers={"Authorization": f"Bearer {self.token}"})
        if _vendor_brand_first_500(self.system, self.label, response, self.token):
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (mode.value, type(failure).__name__)
                self.failures.setdefault(key, f"{response.status_code} {response.text[:300]}")


@pytest.mark.parametrize(("system", "label"), OPERATIONS, ids=[f"{s}:{label}" for s, label in OPERATIONS])
def test_operation_answers_within_its_file(system: str, label: str) -> None:
    """Generated valid and invalid requests: no 5xx, every answer's status, type and body as documented."""
    run = Run(system, label)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        run.send(mode)
    assert run.sent > 0
    assert run.failures == {}
