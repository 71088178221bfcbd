"""What every Rechat endpoint builder shares: id and date arguments, query and body building,
the envelope readers and offset paging."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from crmbridge.adapters._support import ItemReader, item_reader, raw_item_reader, structure
from crmbridge.adapters.rechat._time import datetime_to_epoch
from crmbridge.adapters.rechat.wire import (
    Envelope,
    Linked,
    WireAssociation,
    WireAttribute,
    WireContact,
    WireTask,
    make_converter,
    uuid_argument,
)
from crmbridge.errors import InvalidIdError, MappingError
from crmbridge.http import Page, PagedList, RequestSpec

__all__ = [
    "DATE_FILTERS",
    "SYSTEM",
    "IdLike",
    "Json",
    "JsonList",
    "check_page_args",
    "contact_item",
    "contact_path",
    "epoch",
    "expand_pair",
    "json_list_reader",
    "json_reader",
    "offset_list",
    "query_pairs",
    "raw_data",
    "raw_item",
    "read_all",
    "read_contact",
    "read_nothing",
    "read_one",
    "read_page",
    "structured_item",
    "uuid_arg",
    "uuid_args",
    "wire_bodies",
    "wire_body",
]

SYSTEM: Final = "rechat"

T = TypeVar("T")
IdLike = str | uuid.UUID
"""An id argument: a UUID string (hyphenated or 32 hex digits, optionally in braces or as a
``urn:uuid:``) or a ``uuid.UUID``."""
Json = dict[str, Any]
"""A JSON object, as Rechat sends it or as it is sent."""
# A module-level alias: inside classes that define a ``list`` method, ``list[...]`` would name it.
JsonList = list[Json]

DATE_FILTERS: Final = ("due_gte", "due_lte", "created_gte", "created_lte", "updated_gte", "updated_lte")
"""The filters that take a date (epoch seconds or an aware datetime)."""


def _converter() -> Any:
    converter = make_converter()
    # A linked record goes back as its id: that is what every Rechat input takes.
    converter.register_unstructure_hook(Linked, lambda linked: linked.id)
    return converter


_CONVERTER: Final = _converter()


# -- offset paging -----------------------------------------------------------------------------


def offset_list(
    build: Callable[[int, int], RequestSpec], item: ItemReader[T], kind: str, start: int, limit: int
) -> PagedList[T]:
    """A Rechat list endpoint: ``build(start, limit)`` makes one page's request; ``item`` reads an item."""
    return PagedList(build, _offset_page, item, kind, start, limit)


def _offset_page(answer: Any, item: ItemReader[T], kind: str, cursor: int, size: int) -> Page[T]:
    return read_page(answer, item, kind=kind, start=cursor, limit=size)


# -- arguments ---------------------------------------------------------------------------------


def uuid_arg(value: Any, kind: str) -> str:
    """``value`` as a canonical UUID string, or :class:`InvalidIdError` (raised before any request).

    Only the documented spellings pass (:func:`~crmbridge.adapters.rechat.wire.uuid_argument`, the
    adapter's one UUID check): ``uuid.UUID`` alone would also read ``" <31 hex digits>"``,
    ``"+..."``, ``"0x..."`` or full-width digits, as a *different* UUID than the one meant.
    """
    try:
        return uuid_argument(value)
    except (TypeError, ValueError):
        raise InvalidIdError(SYSTEM, kind, "a UUID") from None


def uuid_args(values: Sequence[IdLike], kind: str) -> list[str]:
    if isinstance(values, str):  # a lone id would otherwise be read one character at a time
        raise InvalidIdError(SYSTEM, kind, "a list of UUIDs")
    return [uuid_arg(v, kind) for v in values]


def epoch(value: float | dt.datetime) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes sent to Rechat must be timezone-aware")
        return datetime_to_epoch(value)
    return value


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return epoch(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def query_pairs(*pairs: tuple[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Query pairs without the ``None`` ones; a list value repeats its name (``ids[]=a&ids[]=b``)."""
    out: list[tuple[str, Any]] = []
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, list | tuple):
            out.extend((name, _scalar(v)) for v in value)
        else:
            out.append((name, _scalar(value)))
    return tuple(out)


def expand_pair(associations: Sequence[str]) -> tuple[str, Any]:
    if isinstance(associations, str):
        associations = [associations]
    return ("associations[]", list(associations))


def check_page_args(start: int, limit: int) -> None:
    if start < 0 or limit < 1:
        raise ValueError("start must be >= 0 and limit >= 1")


def _clean(value: Any) -> Any:
    """Unstructured wire JSON without its ``None`` fields (Rechat's inputs type them non-null)."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def wire_body(value: Any) -> Json:
    """A JSON object body from a wire object (unstructured) or a mapping (copied as is)."""
    if isinstance(value, WireTask | WireAssociation | WireAttribute):
        cleaned: Json = _clean(_CONVERTER.unstructure(value))
        return cleaned
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"expected a wire object or a mapping, got {type(value).__name__}")


def wire_bodies(values: Sequence[Any]) -> list[Json]:
    return [wire_body(v) for v in values]


def contact_path(contact_id: IdLike, suffix: str = "") -> str:
    return f"/contacts/{uuid_arg(contact_id, 'contact')}{suffix}"


# -- readers -----------------------------------------------------------------------------------


def _envelope(answer: Any, kind: str) -> Envelope:
    return structure(_CONVERTER, answer, Envelope, system=SYSTEM, kind=kind)


def _array(value: Any, kind: str) -> list[Any]:
    if not isinstance(value, list):
        raise MappingError(SYSTEM, kind, "data", f"expected a JSON array, got {type(value).__name__}")
    return value


def structured_item(cls: type[T], kind: str) -> ItemReader[T]:
    return item_reader(_CONVERTER, cls, system=SYSTEM, kind=kind)


def raw_item(kind: str) -> ItemReader[Json]:
    """An item reader that keeps JSON objects as they are (only their type is checked)."""
    return raw_item_reader(SYSTEM, kind)


contact_item = structured_item(WireContact, "contact")


def read_one(answer: Any, item: ItemReader[T], kind: str) -> T:
    """The ``data`` object of a single-entity envelope."""
    return item(_envelope(answer, kind).data, "data")


def read_all(answer: Any, item: ItemReader[T], kind: str) -> list[T]:
    """Every item of a collection envelope that is not paged."""
    data = _array(_envelope(answer, kind).data, kind)
    return [item(raw, f"data[{index}]") for index, raw in enumerate(data)]


def read_page(answer: Any, item: ItemReader[T], *, kind: str, start: int, limit: int) -> Page[T]:
    """One page of a collection envelope; ``next_cursor`` is the next ``start`` or None."""
    envelope = _envelope(answer, kind)
    data = _array(envelope.data, kind)
    if envelope.info is None:
        raise MappingError(SYSTEM, kind, "info", "a page needs info {count, total}")
    items = [item(raw, f"data[{index}]") for index, raw in enumerate(data)]
    end = start + envelope.info.count
    total = envelope.info.total
    # total == 0 means "not counted" when items came: then only an empty page ends the list.
    more = bool(items) and (end < total if total > 0 else True)
    return Page(items, next_cursor=end if more else None, total=total or None, raw=answer)


def raw_data(answer: Any, kind: str) -> Json:
    """The raw ``data`` object of a single-entity envelope."""
    return read_one(answer, raw_item(kind), kind)


def read_nothing(answer: Any) -> None:
    """204 actions answer nothing; anything else is ignored (the request succeeded)."""


def read_contact(answer: Any) -> WireContact:
    return read_one(answer, contact_item, "contact")


def json_reader(kind: str) -> Callable[[Any], Json]:
    return lambda answer: read_one(answer, raw_item(kind), kind)


def json_list_reader(kind: str) -> Callable[[Any], list[Json]]:
    return lambda answer: read_all(answer, raw_item(kind), kind)
