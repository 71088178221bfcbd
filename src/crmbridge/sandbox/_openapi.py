"""Checking requests and responses against a CRM's OpenAPI 3.1 description (``adapters/<crm>/``).

The descriptions are the contract the sandboxes and the clients are tested against.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["ContractTransport", "ContractViolation", "OpenAPIContract", "openapi_path"]

_BASE = "urn:crmbridge:openapi"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ContractViolation(AssertionError):
    """A request or response does not match the OpenAPI description."""


def openapi_path(system: str) -> Path:
    """Where the OpenAPI description of ``system`` lives in a source checkout."""
    return Path(__file__).resolve().parents[3] / "adapters" / system / "openapi.yaml"


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class OpenAPIContract:
    """One OpenAPI 3.1 document: find the operation of a request and validate bodies against it."""

    def __init__(self, source: Path | dict[str, Any]) -> None:
        document = source if isinstance(source, dict) else yaml.safe_load(source.read_text(encoding="utf-8"))
        if not str(document.get("openapi", "")).startswith("3.1"):
            raise ValueError("expected an OpenAPI 3.1 document")
        self.document: dict[str, Any] = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_BASE, resource)

    @cached_property
    def _templates(self) -> list[tuple[re.Pattern[str], str]]:
        compiled = []
        for template in self.document.get("paths", {}):
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            compiled.append((re.compile(f"^{pattern}$"), template))
        # Literal paths (/contacts/sources) must win over templated ones (/contacts/{id}).
        compiled.sort(key=lambda item: item[1].count("{"))
        return compiled

    def operations(self) -> list[tuple[str, str]]:
        """Every documented ``(METHOD, path template)``."""
        return [
            (method.upper(), template)
            for template, item in self.document.get("paths", {}).items()
            for method in item
            if method in _METHODS
        ]

    def find(self, method: str, path: str) -> str:
        """The path template that documents ``method path``, or :class:`ContractViolation`."""
        for pattern, template in self._templates:
            if pattern.match(path) and method.lower() in self.document["paths"][template]:
                return template
        raise ContractViolation(f"{method} {path} is not a documented operation")

    def _deref(self, node: Any) -> tuple[Any, tuple[str, ...] | None]:
        """Follow a local ``$ref`` (a response or request body kept in components).

        Returns the node and, when it was a reference, the pointer parts of its target.
        """
        target: tuple[str, ...] | None = None
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target = tuple(p.replace("~1", "/").replace("~0", "~") for p in node["$ref"][2:].split("/"))
            node = self.document
            for part in target:
                node = node[part]
        return node, target

    def _validate(self, instance: Any, *pointer: str) -> None:
        schema = {"$ref": f"{_BASE}#/{_pointer(*pointer)}"}
        validator = jsonschema.Draft202012Validator(schema, registry=self._registry)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(root)"
            raise ContractViolation(f"{'/'.join(pointer[:3])}: {where}: {first.message}")

    def validate_request(self, method: str, path: str, body: Any) -> None:
        """Check a request body (``None`` = no body) against the operation's requestBody."""
        template = self.find(method, path)
        operation = self.document["paths"][template][method.lower()]
        request_body, target = self._deref(operation.get("requestBody"))
        base = target or ("paths", template, method.lower(), "requestBody")
        if request_body is None:
            if body is not None:
                raise ContractViolation(f"{method} {template} documents no request body")
            return
        if body is None:
            if request_body.get("required"):
                raise ContractViolation(f"{method} {template} requires a body")
            return
        self._validate(body, *base, "content", "application/json", "schema")

    def _query_parameters(self, method: str, template: str) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
        """The documented query parameters of an operation, with the pointer to each."""
        item = self.document["paths"][template]
        found = []
        for owner, node in (((), item), ((method.lower(),), item[method.lower()])):
            for index, raw in enumerate(node.get("parameters", [])):
                parameter, target = self._deref(raw)
                pointer = target or ("paths", template, *owner, "parameters", str(index))
                if parameter.get("in") == "query":
                    found.append((parameter, pointer))
        return found

    def validate_query(self, method: str, path: str, params: list[tuple[str, str]]) -> None:
        """Check query parameter names (and scalar values) against the operation's parameters.

        ``include[]`` matches a parameter documented as ``include`` or ``include[]``; a
        ``deepObject`` parameter ``filter`` accepts ``filter[...]`` keys.
        """
        template = self.find(method, path)
        documented = self._query_parameters(method, template)
        by_name = {p["name"].removesuffix("[]"): (p, ptr) for p, ptr in documented}
        deep = {p["name"] for p, _ in documented if p.get("style") == "deepObject"}
        given = set()
        for name, value in params:
            base = name.removesuffix("[]")
            if base.split("[", 1)[0] in deep and "[" in base:
                given.add(base.split("[", 1)[0])
                continue
            if base not in by_name:
                raise ContractViolation(f"{method} {template}: query parameter {name!r} is not documented")
            given.add(base)
            parameter, pointer = by_name[base]
            self._validate_query_value(parameter, pointer, value, template)
        for parameter, _ in documented:
            if parameter.get("required") and parameter["name"].removesuffix("[]") not in given:
                raise ContractViolation(f"{method} {template}: query parameter {parameter['name']!r} is required")

    def _validate_query_value(
        self, parameter: dict[str, Any], pointer: tuple[str, ...], value: str, where: str
    ) -> None:
        schema, _ = self._deref(parameter.get("schema", {}))
        kind = schema.get("type")
        item_pointer = (*pointer, "schema")
        if kind == "array":
            schema, _ = self._deref(schema.get("items", {}))
            kind = schema.get("type")
            item_pointer = (*pointer, "schema", "items")
        try:
            typed: Any = {"integer": int, "number": float}.get(kind, str)(value) if kind != "boolean" else value
        except ValueError:
            raise ContractViolation(f"{where}: query parameter {parameter['name']!r} must be a {kind}") from None
        if kind == "boolean":
            if value not in ("true", "false", "1", "0"):
                raise ContractViolation(f"{where}: query parameter {parameter['name']!r} must be a boolean")
            return
        if kind in ("integer", "number", "string"):
            self._validate(typed, *item_pointer)

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Check a response (status and JSON body) against the operation's documented responses."""
        template = self.find(method, path)
        responses = self.document["paths"][template][method.lower()].get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        if key not in responses:
            key = "default"
        if key not in responses:
            raise ContractViolation(f"{method} {template} does not document status {status}")
        response, target = self._deref(responses[key])
        content = response.get("content", {})
        if "application/json" not in content:
            if body not in (None, b"", ""):
                raise ContractViolation(f"{method} {template} {status} documents no body")
            return
        base = target or ("paths", template, method.lower(), "responses", key)
        self._validate(body, *base, "content", "application/json", "schema")


class ContractTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Wraps a transport and checks every request and response against an OpenAPI contract.

    ``base_path`` is the part of the URL path before the documented paths (``/api``, ``/v2``).
    A violation raises :class:`ContractViolation` in the client's call, so a test fails on the
    first request or response the description does not allow. ``seen`` collects the operations
    exercised (``(METHOD, template)``), so a test can assert that every operation was.
    """

    def __init__(self, inner: Any, contract: OpenAPIContract, base_path: str = "") -> None:
        self.inner = inner
        self.contract = contract
        self.base_path = base_path.rstrip("/")
        self.seen: set[tuple[str, str]] = set()

    def _path(self, request: httpx.Request) -> str:
        path = request.url.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :] or "/"
        return path

    def _check_request(self, request: httpx.Request) -> str:
        path = self._path(request)
        self.contract.validate_query(request.method, path, list(request.url.params.multi_items()))
        content = request.read()
        is_json = "json" in request.headers.get("content-type", "")
        # Multipart uploads (a call recording) are not JSON: only their presence is checked.
        if not content.strip():
            self.contract.validate_request(request.method, path, None)
        elif is_json:
            self.contract.validate_request(request.method, path, json.loads(content))
        self.seen.add((request.method, self.contract.find(request.method, path)))
        return path

    def _check_response(self, request: httpx.Request, path: str, response: httpx.Response) -> None:
        content = response.read()
        try:
            body = json.loads(content) if content.strip() else None
        except ValueError:
            return  # a cut-off body (fault injection) is the client's problem, not the contract's
        self.contract.validate_response(request.method, path, response.status_code, body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = self._check_request(request)
        response: httpx.Response = self.inner.handle_request(request)
        self._check_response(request, path, response)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = self._check_request(request)
        response: httpx.Response = await self.inner.handle_async_request(request)
        await response.aread()
        self._check_response(request, path, response)
        return response

    def close(self) -> None:
        self.inner.close()

    async def aclose(self) -> None:
        await self.inner.aclose()
