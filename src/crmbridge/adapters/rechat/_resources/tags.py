"""Rechat's ``client.contacts.tags``: the brand's tag catalogue (plain dicts)."""

from __future__ import annotations

from urllib.parse import quote

from crmbridge.adapters.rechat._resources._shared import (
    SYSTEM,
    Json,
    JsonList,
    json_list_reader,
    json_reader,
    read_nothing,
)
from crmbridge.errors import InvalidIdError
from crmbridge.http import AsyncAPIClient, Endpoint, RequestSpec, SyncAPIClient

__all__ = [
    "AsyncTags",
    "Tags",
    "create_tag",
    "delete_tag",
    "list_tags",
    "rename_tag",
    "set_tag_touch",
]


def _tag_segment(tag: str) -> str:
    # Tags are free text in the path: "." and ".." would be resolved as path steps, so refuse them.
    if not isinstance(tag, str) or tag.strip() in ("", ".", ".."):
        raise InvalidIdError(SYSTEM, "tag", "a non-empty tag name (not '.' or '..')")
    return quote(tag, safe="")


def list_tags() -> Endpoint[list[Json]]:
    """``GET /contacts/tags``: the brand's tags (plain dicts)."""
    return Endpoint(RequestSpec("GET", "/contacts/tags"), json_list_reader("tag"))


def create_tag(tag: str, *, touch_freq: int | None = None) -> Endpoint[Json]:
    """``POST /contacts/tags``: add a tag to the catalogue (a plain dict)."""
    body: Json = {"tag": tag}
    if touch_freq is not None:
        body["touch_freq"] = touch_freq
    return Endpoint(RequestSpec("POST", "/contacts/tags", body=body, idempotent=False), json_reader("tag"))


def rename_tag(tag: str, new_name: str) -> Endpoint[None]:
    """``PATCH /contacts/tags/{tag}``: rename it everywhere in the brand."""
    spec = RequestSpec("PATCH", f"/contacts/tags/{_tag_segment(tag)}", body={"tag": new_name})
    return Endpoint(spec, read_nothing)


def delete_tag(tag: str) -> Endpoint[None]:
    """``DELETE /contacts/tags/{tag}``: remove it from the catalogue and every contact."""
    return Endpoint(RequestSpec("DELETE", f"/contacts/tags/{_tag_segment(tag)}"), read_nothing)


def set_tag_touch(tag: str, touch_freq: int | None) -> Endpoint[None]:
    """``PATCH /contacts/tags/{tag}/touch``: sets a value, so marked idempotent."""
    path = f"/contacts/tags/{_tag_segment(tag)}/touch"
    return Endpoint(RequestSpec("PATCH", path, body={"touch_freq": touch_freq}, idempotent=True), read_nothing)


class Tags:
    """``client.contacts.tags``: the brand's tag catalogue (plain dicts)."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._c = client

    def list(self) -> JsonList:
        """``GET /contacts/tags``."""
        return self._c.call(list_tags())

    def create(self, tag: str, *, touch_freq: int | None = None) -> Json:
        """``POST /contacts/tags``."""
        return self._c.call(create_tag(tag, touch_freq=touch_freq))

    def rename(self, tag: str, new_name: str) -> None:
        """``PATCH /contacts/tags/{tag}``."""
        self._c.call(rename_tag(tag, new_name))

    def delete(self, tag: str) -> None:
        """``DELETE /contacts/tags/{tag}``."""
        self._c.call(delete_tag(tag))

    def set_touch(self, tag: str, touch_freq: int | None) -> None:
        """``PATCH /contacts/tags/{tag}/touch``."""
        self._c.call(set_tag_touch(tag, touch_freq))


class AsyncTags:
    """``client.contacts.tags`` of :class:`AsyncRechatClient` (plain dicts)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._c = client

    async def list(self) -> JsonList:
        """``GET /contacts/tags``."""
        return await self._c.call(list_tags())

    async def create(self, tag: str, *, touch_freq: int | None = None) -> Json:
        """``POST /contacts/tags``."""
        return await self._c.call(create_tag(tag, touch_freq=touch_freq))

    async def rename(self, tag: str, new_name: str) -> None:
        """``PATCH /contacts/tags/{tag}``."""
        await self._c.call(rename_tag(tag, new_name))

    async def delete(self, tag: str) -> None:
        """``DELETE /contacts/tags/{tag}``."""
        await self._c.call(delete_tag(tag))

    async def set_touch(self, tag: str, touch_freq: int | None) -> None:
        """``PATCH /contacts/tags/{tag}/touch``."""
        await self._c.call(set_tag_touch(tag, touch_freq))
