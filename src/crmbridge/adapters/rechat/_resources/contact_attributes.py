"""Rechat's ``client.contacts.attributes``: a contact's attributes (Rechat stores contacts as attribute rows)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crmbridge.adapters.rechat._resources._shared import (
    IdLike,
    contact_path,
    read_all,
    read_contact,
    read_nothing,
    read_one,
    structured_item,
    uuid_arg,
    uuid_args,
    wire_bodies,
    wire_body,
)
from crmbridge.adapters.rechat.wire import WireAttribute, WireContact
from crmbridge.http import AsyncAPIClient, Endpoint, RequestSpec, SyncAPIClient

__all__ = [
    "AsyncContactAttributes",
    "ContactAttributes",
    "add_contact_attributes",
    "bulk_add_attributes",
    "bulk_delete_attributes",
    "delete_contact_attribute",
    "update_contact_attribute",
]


# A module-level alias: inside a class that defines a ``list`` method, ``list[...]`` would name it.
AttributeList = list[WireAttribute]

_attribute_item = structured_item(WireAttribute, "contact")


def _read_maybe_contact(answer: Any) -> WireContact | None:
    return None if answer is None else read_contact(answer)


def _read_attribute(answer: Any) -> WireAttribute:
    return read_one(answer, _attribute_item, "contact")


def _read_attributes(answer: Any) -> list[WireAttribute]:
    return read_all(answer, _attribute_item, "contact")


def add_contact_attributes(
    contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]
) -> Endpoint[list[WireAttribute]]:
    """``POST /contacts/{id}/attributes``: Rechat answers the list of the attributes it added."""
    body = {"attributes": wire_bodies(attributes)}
    spec = RequestSpec("POST", contact_path(contact_id, "/attributes"), body=body, idempotent=False)
    return Endpoint(spec, _read_attributes)


def update_contact_attribute(
    contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
) -> Endpoint[WireAttribute]:
    """``PUT /contacts/{id}/attributes/{attribute_id}``: Rechat answers the attribute."""
    path = contact_path(contact_id, f"/attributes/{uuid_arg(attribute_id, 'attribute')}")
    return Endpoint(RequestSpec("PUT", path, body=wire_body(changes)), _read_attribute)


def delete_contact_attribute(contact_id: IdLike, attribute_id: IdLike) -> Endpoint[WireContact | None]:
    """``DELETE /contacts/{id}/attributes/{attribute_id}``: the contact (200) or None (204)."""
    path = contact_path(contact_id, f"/attributes/{uuid_arg(attribute_id, 'attribute')}")
    return Endpoint(RequestSpec("DELETE", path), _read_maybe_contact)


def bulk_add_attributes(
    contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]
) -> Endpoint[None]:
    """``POST /contacts/attributes``: the same attributes added to every contact of ``contact_ids``."""
    body = {"ids": uuid_args(contact_ids, "contact"), "attributes": wire_bodies(attributes)}
    return Endpoint(RequestSpec("POST", "/contacts/attributes", body=body, idempotent=False), read_nothing)


def bulk_delete_attributes(attribute_ids: Sequence[IdLike]) -> Endpoint[None]:
    """``DELETE /contacts/attributes``: remove attributes by id."""
    body = {"ids": uuid_args(attribute_ids, "attribute")}
    return Endpoint(RequestSpec("DELETE", "/contacts/attributes", body=body), read_nothing)


class ContactAttributes:
    """``client.contacts.attributes``: a contact's EAV attributes."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._c = client

    def add(self, contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> AttributeList:
        """``POST /contacts/{id}/attributes``."""
        return self._c.call(add_contact_attributes(contact_id, attributes))

    def update(
        self, contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
    ) -> WireAttribute:
        """``PUT /contacts/{id}/attributes/{attribute_id}``."""
        return self._c.call(update_contact_attribute(contact_id, attribute_id, changes))

    def delete(self, contact_id: IdLike, attribute_id: IdLike) -> WireContact | None:
        """``DELETE /contacts/{id}/attributes/{attribute_id}``."""
        return self._c.call(delete_contact_attribute(contact_id, attribute_id))

    def bulk_add(self, contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> None:
        """``POST /contacts/attributes``."""
        self._c.call(bulk_add_attributes(contact_ids, attributes))

    def bulk_delete(self, attribute_ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts/attributes``."""
        self._c.call(bulk_delete_attributes(attribute_ids))


class AsyncContactAttributes:
    """``client.contacts.attributes`` of :class:`AsyncRechatClient`."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._c = client

    async def add(self, contact_id: IdLike, attributes: Sequence[WireAttribute | Mapping[str, Any]]) -> AttributeList:
        """``POST /contacts/{id}/attributes``."""
        return await self._c.call(add_contact_attributes(contact_id, attributes))

    async def update(
        self, contact_id: IdLike, attribute_id: IdLike, changes: WireAttribute | Mapping[str, Any]
    ) -> WireAttribute:
        """``PUT /contacts/{id}/attributes/{attribute_id}``."""
        return await self._c.call(update_contact_attribute(contact_id, attribute_id, changes))

    async def delete(self, contact_id: IdLike, attribute_id: IdLike) -> WireContact | None:
        """``DELETE /contacts/{id}/attributes/{attribute_id}``."""
        return await self._c.call(delete_contact_attribute(contact_id, attribute_id))

    async def bulk_add(
        self, contact_ids: Sequence[IdLike], attributes: Sequence[WireAttribute | Mapping[str, Any]]
    ) -> None:
        """``POST /contacts/attributes``."""
        await self._c.call(bulk_add_attributes(contact_ids, attributes))

    async def bulk_delete(self, attribute_ids: Sequence[IdLike]) -> None:
        """``DELETE /contacts/attributes``."""
        await self._c.call(bulk_delete_attributes(attribute_ids))
