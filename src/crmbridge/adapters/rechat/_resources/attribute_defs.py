"""Rechat's ``client.contacts.attribute_defs``: the brand's attribute definitions (plain dicts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.adapters.rechat._resources._shared import (
    IdLike,
    Json,
    JsonList,
    json_list_reader,
    json_reader,
    read_nothing,
    uuid_arg,
)
from crmbridge.http import AsyncAPIClient, Endpoint, RequestSpec, SyncAPIClient

__all__ = [
    "AsyncAttributeDefs",
    "AttributeDefs",
    "create_attribute_def",
    "delete_attribute_def",
    "get_attribute_def",
    "list_attribute_defs",
    "update_attribute_def",
]


def list_attribute_defs() -> Endpoint[list[Json]]:
    """``GET /contacts/attribute_defs``: global and custom definitions (plain dicts)."""
    return Endpoint(RequestSpec("GET", "/contacts/attribute_defs"), json_list_reader("attribute_def"))


def create_attribute_def(definition: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /contacts/attribute_defs``: a custom definition (dict in and out)."""
    spec = RequestSpec("POST", "/contacts/attribute_defs", body=dict(definition), idempotent=False)
    return Endpoint(spec, json_reader("attribute_def"))


def _def_path(definition_id: IdLike) -> str:
    return f"/contacts/attribute_defs/{uuid_arg(definition_id, 'attribute_def')}"


def get_attribute_def(definition_id: IdLike) -> Endpoint[Json]:
    """``GET /contacts/attribute_defs/{id}`` (a plain dict)."""
    return Endpoint(RequestSpec("GET", _def_path(definition_id)), json_reader("attribute_def"))


def update_attribute_def(definition_id: IdLike, definition: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /contacts/attribute_defs/{id}``: custom definitions only (a plain dict)."""
    return Endpoint(RequestSpec("PUT", _def_path(definition_id), body=dict(definition)), json_reader("attribute_def"))


def delete_attribute_def(definition_id: IdLike) -> Endpoint[None]:
    """``DELETE /contacts/attribute_defs/{id}``."""
    return Endpoint(RequestSpec("DELETE", _def_path(definition_id)), read_nothing)


class AttributeDefs:
    """``client.contacts.attribute_defs``: attribute definitions (plain dicts)."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._c = client

    def list(self) -> JsonList:
        """``GET /contacts/attribute_defs``."""
        return self._c.call(list_attribute_defs())

    def create(self, definition: Mapping[str, Any]) -> Json:
        """``POST /contacts/attribute_defs``."""
        return self._c.call(create_attribute_def(definition))

    def get(self, definition_id: IdLike) -> Json:
        """``GET /contacts/attribute_defs/{id}``."""
        return self._c.call(get_attribute_def(definition_id))

    def update(self, definition_id: IdLike, definition: Mapping[str, Any]) -> Json:
        """``PUT /contacts/attribute_defs/{id}``."""
        return self._c.call(update_attribute_def(definition_id, definition))

    def delete(self, definition_id: IdLike) -> None:
        """``DELETE /contacts/attribute_defs/{id}``."""
        self._c.call(delete_attribute_def(definition_id))


class AsyncAttributeDefs:
    """``client.contacts.attribute_defs`` of :class:`AsyncRechatClient` (plain dicts)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._c = client

    async def list(self) -> JsonList:
        """``GET /contacts/attribute_defs``."""
        return await self._c.call(list_attribute_defs())

    async def create(self, definition: Mapping[str, Any]) -> Json:
        """``POST /contacts/attribute_defs``."""
        return await self._c.call(create_attribute_def(definition))

    async def get(self, definition_id: IdLike) -> Json:
        """``GET /contacts/attribute_defs/{id}``."""
        return await self._c.call(get_attribute_def(definition_id))

    async def update(self, definition_id: IdLike, definition: Mapping[str, Any]) -> Json:
        """``PUT /contacts/attribute_defs/{id}``."""
        return await self._c.call(update_attribute_def(definition_id, definition))

    async def delete(self, definition_id: IdLike) -> None:
        """``DELETE /contacts/attribute_defs/{id}``."""
        await self._c.call(delete_attribute_def(definition_id))
