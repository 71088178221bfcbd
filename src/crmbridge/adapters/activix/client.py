"""The Activix HTTP clients: :class:`ActivixClient` and its async twin :class:`AsyncActivixClient`.

One method per operation of ``adapters/activix/openapi.yaml`` (twenty), grouped in namespaces:

- ``client.leads``: ``create`` (``trigger_alerts``), ``get`` (``include``), ``update`` (partial),
  ``list``/``list_page`` (``page``, ``per_page``, ``include``, ``filter[...]``), ``search``/
  ``search_page``; and the lead's items ``client.leads.emails``, ``.phones``, ``.vehicles``
  (``create``, ``update``) and ``.notes`` (``create``, ``update``);
- ``client.communications``: ``create``, ``update``, ``upload_recording`` (multipart). Activix has
  **no read or list endpoint for communications**: read them through a lead fetched with
  ``include=["communications"]``;
- ``client.call_logs``: ``create``, ``update``;
- ``client.account.get`` (``include``: ``users``, ``custom_fields``, ``sources``, ``automations``)
  and ``client.screenpop``.

How the twins stay thin: every operation has a module-level builder (``get_lead``,
``list_leads``, ...) that checks the arguments (path ids are positive integers, refused with
:class:`InvalidIdError` before any request) and returns an :class:`Endpoint` (a
:class:`RequestSpec` and the reader of its answer) or, for lists, a :class:`PagedList`. The sync
and async classes only send specs and apply readers.

What comes back: leads as :class:`~crmbridge.adapters.activix.wire.Lead` and communications as
:class:`~crmbridge.adapters.activix.wire.Communication`, structured with the Activix converter (an
answer that does not fit raises :class:`MappingError`). ``wire.Lead`` models only the fields the
mapping uses (plus ``emails``, ``phones`` and ``advisor``): for every key of a lead, includes
such as ``communications`` among them, use the raw JSON: ``client.call(raw_endpoint(get_lead(...),
"lead"))``, or ``client.pager(list_leads(...).raw().spec())`` for lists. Objects ``wire.py``
does not model as returned (emails, phones and vehicles with their ids, notes, call logs, the
account) are plain JSON dicts; the action endpoints (screen pop, recording upload) return Activix's ``message``.

Paging is by page number: ``page`` (from 1) and ``per_page`` (1..100, default 25). A list stops
when ``links.next`` is null or ``meta.current_page == meta.last_page`` (``meta.per_page`` may be a
string; the envelope reader accepts both).

Rate limit: Activix allows 200 requests a minute and documents no ``Retry-After``, so the client
spaces its requests at 200/60 per second by default (``rate_limit=None`` disables it) and a 429
is retried with the core's exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, Final, TypedDict, TypeVar, Unpack

import cattrs
import httpx

from crmbridge.adapters._support import ItemReader, item_reader, raw_item_reader, structure
from crmbridge.adapters.activix.wire import (
    Communication,
    Lead,
    PageEnvelope,
    SingleEnvelope,
    format_datetime,
    make_converter,
)
from crmbridge.errors import InvalidIdError, MappingError, UnsupportedOperation
from crmbridge.http import (
    AsyncAPIClient,
    AsyncPager,
    Endpoint,
    Page,
    PagedList,
    RequestSpec,
    RetryPolicy,
    SyncAPIClient,
    SyncPager,
)

__all__ = [
    "ACCOUNT_INCLUDES",
    "DEFAULT_BASE_URL",
    "DEFAULT_PER_PAGE",
    "DEFAULT_RATE_LIMIT",
    "FILTER_FIELDS",
    "LEAD_INCLUDES",
    "MAX_PER_PAGE",
    "ActivixClient",
    "AsyncActivixClient",
    "DateOperators",
    "IdLike",
    "LeadFilters",
    "NumberedList",
    "create_call_log",
    "create_communication",
    "create_lead",
    "create_lead_email",
    "create_lead_phone",
    "create_lead_vehicle",
    "create_note",
    "get_account",
    "get_lead",
    "lead_filter_params",
    "list_leads",
    "positive_id",
    "raw_endpoint",
    "raw_item",
    "read_page",
    "screenpop",
    "search_leads",
    "update_call_log",
    "update_communication",
    "update_lead",
    "update_lead_email",
    "update_lead_phone",
    "update_lead_vehicle",
    "update_note",
    "upload_recording",
]

SYSTEM: Final = "activix"
DEFAULT_BASE_URL: Final = "https://api.crm.activix.ca/v2"
DEFAULT_RATE_LIMIT: Final = 200 / 60
"""Requests per second: Activix's documented limit of 200 requests a minute."""
DEFAULT_PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 100
LEAD_INCLUDES: Final = frozenset(
    {
        "account",
        "advisor",
        "bdc",
        "commercial",
        "service_advisor",
        "service_agent",
        "takeover_director",
        "delivered_by",
        "associated_leads",
        "communications",
        "custom_fields",
        "emails",
        "events",
        "phones",
        "products",
        "tasks",
        "vehicles",
    }
)
"""The documented lead ``include[]`` names (Activix also accepts ``leadEmails``-style spellings)."""
ACCOUNT_INCLUDES: Final = frozenset({"users", "custom_fields", "sources", "automations"})
FILTER_FIELDS: Final = frozenset(
    {"name", "email", "phone", "postal_code", "division", "created_at", "updated_at", "sale_date"}
)
"""The documented ``filter[...]`` fields of ``GET /leads``."""

T = TypeVar("T")
R = TypeVar("R")
IdLike = int | str
"""An id argument: a positive integer, or its decimal digits."""
Json = dict[str, Any]
"""Reads one JSON item (at ``path`` in the answer) into ``T``, or raises :class:`MappingError`."""

# Module-level aliases: inside classes that define a ``list`` method, ``list[...]`` would name it.
JsonList = list[Json]

_DIGITS = re.compile(r"[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_FIELDS: Final = frozenset({"created_at", "updated_at", "sale_date"})
_OPERATORS: Final = ("gt", "gte", "lt", "lte")
_ITEM_READ_ONLY: Final = ("id", "created_at", "updated_at")
_APPENDING_KEYS: Final = ("emails", "phones", "vehicles")
_AUDIO_TYPES: Final = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def _converter() -> cattrs.Converter:
    converter = make_converter()
    # Bodies go out as JSON: datetimes in Activix's UTC form, dates as YYYY-MM-DD.
    converter.register_unstructure_hook(dt.datetime, format_datetime)
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    return converter


_CONVERTER: Final = _converter()


# -- list specs --------------------------------------------------------------------------------


NumberedList = PagedList
"""Activix's lists are :class:`~crmbridge.http.PagedList` s whose cursor is the page number (the
name the Activix lists had before the paging of every CRM became one class)."""


def raw_endpoint(endpoint: Endpoint[Any], kind: str) -> Endpoint[Json]:
    """The same request, answering the raw ``data`` object of the single-object envelope."""
    return Endpoint(endpoint.spec, _json_reader(kind))


# -- arguments ---------------------------------------------------------------------------------


def positive_id(value: Any, kind: str) -> int:
    """``value`` as a positive integer id, or :class:`InvalidIdError` (raised before any request).

    Strings must be plain ASCII digits: ``"../admin"``, ``"1;DROP"``, ``" 1"`` and ``"-1"`` never
    reach a URL path.
    """
    if isinstance(value, bool):
        raise InvalidIdError(SYSTEM, kind, "a positive integer")
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and value > 0:
        return value
    raise InvalidIdError(SYSTEM, kind, "a positive integer")


def _page_args(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")


def _names(values: Sequence[str] | str) -> list[str]:
    # A lone string would otherwise be read one character at a time.
    return [values] if isinstance(values, str) else list(values)


def _includes(include: Sequence[str] | str) -> list[tuple[str, str]]:
    return [("include[]", name) for name in _names(include)]


def _clean(value: Any) -> Any:
    """Unstructured wire JSON without its ``None`` fields (absent means "leave as it is")."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _lead_body(lead: Lead | Mapping[str, Any]) -> Json:
    if isinstance(lead, Mapping):
        return dict(lead)
    if not isinstance(lead, Lead):
        raise TypeError(f"expected a wire Lead or a mapping, got {type(lead).__name__}")
    body: Json = _clean(_CONVERTER.unstructure(lead))
    for key in _ITEM_READ_ONLY:
        body.pop(key, None)
    if lead.advisor is not None and lead.advisor.id is not None:
        # A user object only links an existing user, and its id is what matches it.
        body["advisor"] = {"id": lead.advisor.id}
    return body


def _communication_body(communication: Communication | Mapping[str, Any]) -> Json:
    body: Json
    if isinstance(communication, Mapping):
        body = dict(communication)
    elif isinstance(communication, Communication):
        body = _clean(_CONVERTER.unstructure(communication))
        for key in _ITEM_READ_ONLY:
            body.pop(key, None)
        # A Communication answers with user_id; a body names the user executed_by.
        user_id = body.pop("user_id", None)
        if user_id is not None:
            body.setdefault("executed_by", user_id)
    else:
        raise TypeError(f"expected a wire Communication or a mapping, got {type(communication).__name__}")
    if body.get("lead_id") is not None:  # checked like the lead_id of an email, phone or vehicle body
        body["lead_id"] = positive_id(body["lead_id"], "lead")
    if body.get("executed_by") is not None:  # a user id, checked like the ids of a path
        body["executed_by"] = positive_id(body["executed_by"], "user")
    return body


def _object(body: Mapping[str, Any]) -> Json:
    if not isinstance(body, Mapping):
        raise TypeError(f"expected a mapping, got {type(body).__name__}")
    return dict(body)


# -- filters -----------------------------------------------------------------------------------

DateValue = dt.date | str
"""A day: a :class:`datetime.date` (not a datetime: Activix filters by UTC day) or ``YYYY-MM-DD``."""


class DateOperators(TypedDict, total=False):
    """Operators on a date filter: ``{"gte": date(2024, 1, 1), "lt": "2024-02-01"}``."""

    gt: DateValue
    gte: DateValue
    lt: DateValue
    lte: DateValue


class LeadFilters(TypedDict, total=False):
    """The documented ``filter[...]`` of ``GET /leads``.

    ``name``, ``email`` and ``phone`` take ``%`` as a wildcard (best at the end); ``postal_code``
    is a prefix; ``division`` is one of ``new``, ``used``, ``service``, ``none`` or a list of them
    (OR). A date filter is a day (that whole UTC day) or :class:`DateOperators`.
    """

    name: str
    email: str
    phone: str
    postal_code: str
    division: str | Sequence[str]
    created_at: DateValue | DateOperators
    updated_at: DateValue | DateOperators
    sale_date: DateValue | DateOperators


def _day(value: Any, where: str) -> str:
    if isinstance(value, dt.datetime):
        # Refused rather than truncated: flooring an instant would change what gt/lte mean.
        raise TypeError(f"{where}: Activix filters by day; pass a date, not a datetime")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise ValueError(f"{where}: expected a date or a YYYY-MM-DD string")


def _date_filter(field: str, value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return [(f"filter[{field}]", _day(value, f"filter {field}"))]
    unknown = sorted(set(value) - set(_OPERATORS))
    if unknown or not value:
        raise ValueError(f"filter {field}: operators are {', '.join(_OPERATORS)}")
    return [(f"filter[{field}][{op}]", _day(value[op], f"filter {field} {op}")) for op in _OPERATORS if op in value]


def lead_filter_params(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs of :class:`LeadFilters`: ``filter[updated_at][gte]=2024-01-31``, ``filter[name]=Tr%``.

    httpx percent-encodes the keys and values. A field Activix does not document raises
    :class:`UnsupportedOperation`.
    """
    unknown = sorted(set(filters) - FILTER_FIELDS)
    if unknown:
        raise UnsupportedOperation(SYSTEM, f"filter leads by {', '.join(unknown)}")
    pairs: list[tuple[str, str]] = []
    for field, value in filters.items():
        if value is None:
            continue
        if field in _DATE_FIELDS:
            pairs.extend(_date_filter(field, value))
        elif field == "division":
            pairs.append(("filter[division]", ",".join(_names(value))))
        elif isinstance(value, str):
            pairs.append((f"filter[{field}]", value))
        else:
            raise TypeError(f"filter {field}: expected a string")
    return pairs


# -- readers -----------------------------------------------------------------------------------


def _single(answer: Any, kind: str) -> Any:
    return structure(_CONVERTER, answer, SingleEnvelope, system=SYSTEM, kind=kind).data


def _structured(cls: type[T], kind: str) -> ItemReader[T]:
    return item_reader(_CONVERTER, cls, system=SYSTEM, kind=kind)


def raw_item(kind: str) -> ItemReader[Json]:
    """An item reader that keeps JSON objects as they are (only their type is checked)."""
    return raw_item_reader(SYSTEM, kind)


_lead_item = _structured(Lead, "lead")
_communication_item = _structured(Communication, "communication")


def read_page(answer: Any, item: ItemReader[T], *, kind: str, page: int = 1) -> Page[T]:
    """One page of a list envelope; ``next_cursor`` is the next page number, None on the last page.

    The last page is the one whose ``links.next`` is null or whose ``current_page`` is
    ``last_page``, whichever comes first; an envelope with neither ``links`` nor ``meta`` is a
    single page. ``page`` is the number asked for (used only when ``meta`` is missing).
    """
    envelope = structure(_CONVERTER, answer, PageEnvelope, system=SYSTEM, kind=kind)
    items = [item(raw, f"data[{index}]") for index, raw in enumerate(envelope.data)]
    total = envelope.meta.total if envelope.meta is not None else None
    return Page(items, next_cursor=envelope.next_page(page), total=total, raw=answer)


def _numbered_page(answer: Any, item: ItemReader[T], kind: str, cursor: int, size: int) -> Page[T]:
    # The answer itself says which page follows: the requested size is not needed.
    del size
    return read_page(answer, item, kind=kind, page=cursor)


def _json_reader(kind: str) -> Callable[[Any], Json]:
    return lambda answer: raw_item(kind)(_single(answer, kind), "data")


def _lead_reader(answer: Any) -> Lead:
    return _lead_item(_single(answer, "lead"), "data")


def _communication_reader(answer: Any) -> Communication:
    return _communication_item(_single(answer, "communication"), "data")


def _message_reader(answer: Any) -> str:
    if not isinstance(answer, Mapping) or not isinstance(answer.get("message"), str):
        raise MappingError(SYSTEM, "message", "message", "expected {message: string}")
    return str(answer["message"])


def _account_reader(answer: Any) -> list[Json]:
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if not isinstance(data, list):
        raise MappingError(SYSTEM, "account", "data", "expected a JSON array")
    read = raw_item("account")
    return [read(raw, f"data[{index}]") for index, raw in enumerate(data)]


# -- endpoints: leads --------------------------------------------------------------------------


def _lead_list(
    path: str, head: list[tuple[str, Any]], include: Sequence[str] | str, page: int, per_page: int
) -> PagedList[Lead]:
    _page_args(page, per_page)
    tail = _includes(include)

    def build(number: int, size: int) -> RequestSpec:
        return RequestSpec("GET", path, (*head, ("page", number), ("per_page", size), *tail))

    return PagedList(build, _numbered_page, _lead_item, "lead", page, per_page)


def list_leads(
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    include: Sequence[str] | str = (),
    **filters: Unpack[LeadFilters],
) -> PagedList[Lead]:
    """``GET /leads``: leads matching every filter, newest ``created_at`` first, page by page."""
    return _lead_list("/leads", lead_filter_params(filters), include, page, per_page)


def search_leads(
    query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include: Sequence[str] | str = ()
) -> PagedList[Lead]:
    """``GET /leads/search?query=``: names, second contact, any phone or email, postal code."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("query must be a non-empty string")
    return _lead_list("/leads/search", [("query", query)], include, page, per_page)


def get_lead(lead_id: IdLike, *, include: Sequence[str] | str = ()) -> Endpoint[Lead]:
    """``GET /leads/{id}``, with ``include`` (e.g. ``["emails", "phones", "communications"]``)."""
    path = f"/leads/{positive_id(lead_id, 'lead')}"
    return Endpoint(RequestSpec("GET", path, tuple(_includes(include))), _lead_reader)


def create_lead(lead: Lead | Mapping[str, Any], *, trigger_alerts: bool | None = None) -> Endpoint[Lead]:
    """``POST /leads`` (``type`` required): not idempotent, so never resent after an ambiguous failure."""
    params = () if trigger_alerts is None else (("trigger_alerts", "true" if trigger_alerts else "false"),)
    spec = RequestSpec("POST", "/leads", params, _lead_body(lead), idempotent=False)
    return Endpoint(spec, _lead_reader)


def update_lead(lead_id: IdLike, changes: Lead | Mapping[str, Any]) -> Endpoint[Lead]:
    """``PUT /leads/{id}``: partial (left-out fields stay).

    ``emails``, ``phones`` and ``vehicles`` *append* on update, so a body carrying them is not
    resent after an ambiguous failure (a resend would add them twice).
    """
    path = f"/leads/{positive_id(lead_id, 'lead')}"
    body = _lead_body(changes)
    appends = any(body.get(key) for key in _APPENDING_KEYS)
    return Endpoint(RequestSpec("PUT", path, body=body, idempotent=not appends), _lead_reader)


def screenpop(
    *,
    lead_id: IdLike | None = None,
    lead_did: str | None = None,
    user_id: IdLike | None = None,
    user_did: str | None = None,
) -> Endpoint[str]:
    """``POST /screenpop``: (``lead_id`` or ``lead_did``) and (``user_id`` or ``user_did``); DIDs are E.164."""
    if (lead_id is None and lead_did is None) or (user_id is None and user_did is None):
        raise ValueError("screenpop needs lead_id or lead_did, and user_id or user_did")
    body: Json = {}
    if lead_id is not None:
        body["lead_id"] = positive_id(lead_id, "lead")
    if lead_did is not None:
        body["lead_did"] = lead_did
    if user_id is not None:
        body["user_id"] = positive_id(user_id, "user")
    if user_did is not None:
        body["user_did"] = user_did
    return Endpoint(RequestSpec("POST", "/screenpop", body=body, idempotent=False), _message_reader)


# -- endpoints: emails, phones, vehicles, notes ------------------------------------------------


def _create_item(path: str, kind: str, body: Mapping[str, Any]) -> Endpoint[Json]:
    fields = _object(body)
    if "lead_id" not in fields:
        raise ValueError(f"a {kind} body needs lead_id")
    fields["lead_id"] = positive_id(fields["lead_id"], "lead")
    return Endpoint(RequestSpec("POST", path, body=fields, idempotent=False), _json_reader(kind))


def _update_item(path: str, kind: str, item_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    full = f"{path}/{positive_id(item_id, kind)}"
    return Endpoint(RequestSpec("PUT", full, body=_object(changes)), _json_reader(kind))


def create_lead_email(body: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /lead-emails`` ``{lead_id, address, type}``: at most one email per type (a plain dict)."""
    return _create_item("/lead-emails", "email", body)


def update_lead_email(email_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /lead-emails/{id}`` (``address``, ``type``; partial)."""
    return _update_item("/lead-emails", "email", email_id, changes)


def create_lead_phone(body: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /lead-phones`` ``{lead_id, number, type, extension?}``: one phone per type (a plain dict)."""
    return _create_item("/lead-phones", "phone", body)


def update_lead_phone(phone_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /lead-phones/{id}`` (``number``, ``extension``, ``type``; partial)."""
    return _update_item("/lead-phones", "phone", phone_id, changes)


def create_lead_vehicle(body: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /lead-vehicles`` ``{lead_id, type: wanted|exchange, make, model, year}`` (a plain dict)."""
    return _create_item("/lead-vehicles", "vehicle", body)


def update_lead_vehicle(vehicle_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /lead-vehicles/{id}`` (partial)."""
    return _update_item("/lead-vehicles", "vehicle", vehicle_id, changes)


def create_note(lead_id: IdLike, body: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /leads/{lead_id}/notes``: ``content`` or ``file_url``, optional ``parent_id`` (a plain dict)."""
    path = f"/leads/{positive_id(lead_id, 'lead')}/notes"
    return Endpoint(RequestSpec("POST", path, body=_object(body), idempotent=False), _json_reader("note"))


def update_note(lead_id: IdLike, note_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /leads/{lead_id}/notes/{note_id}`` (partial)."""
    path = f"/leads/{positive_id(lead_id, 'lead')}/notes/{positive_id(note_id, 'note')}"
    return Endpoint(RequestSpec("PUT", path, body=_object(changes)), _json_reader("note"))


def get_account(*, include: Sequence[str] | str = ()) -> Endpoint[list[Json]]:
    """``GET /account``: the key's account(s), a JSON array as in the vendor's example (plain dicts)."""
    return Endpoint(RequestSpec("GET", "/account", tuple(_includes(include))), _account_reader)


# -- endpoints: communications and call logs ---------------------------------------------------


def create_communication(communication: Communication | Mapping[str, Any]) -> Endpoint[Communication]:
    """``POST /communications``: send ``lead_id``, ``method`` and ``type`` (treated as required).

    ``email_subject``, ``email_body``, ``email_user`` and ``url`` are write-only: Activix never
    returns them. There is no endpoint that reads a communication back.
    """
    spec = RequestSpec("POST", "/communications", body=_communication_body(communication), idempotent=False)
    return Endpoint(spec, _communication_reader)


def update_communication(
    communication_id: IdLike, communication: Communication | Mapping[str, Any]
) -> Endpoint[Communication]:
    """``PUT /communications/{id}``: partial; fields not sent are left unchanged.

    The docs' own update example sends only ``{"call_duration": 25, "call_status": "answered"}``.
    ``lead_id``, ``method`` and ``type``, when sent, may not be null.
    """
    body = _communication_body(communication)
    nulls = [key for key in ("lead_id", "method", "type") if key in body and body[key] is None]
    if nulls:
        raise ValueError(f"a communication update cannot set {', '.join(nulls)} to null (Activix requires them)")
    path = f"/communications/{positive_id(communication_id, 'communication')}"
    return Endpoint(RequestSpec("PUT", path, body=body), _communication_reader)


def upload_recording(
    communication_id: IdLike,
    content: bytes | IO[bytes],
    *,
    filename: str = "recording.mp3",
    content_type: str | None = None,
) -> Endpoint[str]:
    """``POST /communications/{id}/recording``: a wav or mp3 as multipart field ``recording``.

    One recording per communication and a new upload replaces it, so the upload may be resent.
    A file object is read whole first, so a retry sends all of it again.
    """
    path = f"/communications/{positive_id(communication_id, 'communication')}/recording"
    data = content if isinstance(content, bytes) else content.read()
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    kind = content_type or _AUDIO_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    files = {"recording": (filename, data, kind)}
    return Endpoint(RequestSpec("POST", path, files=files, idempotent=True), _message_reader)


def create_call_log(body: Mapping[str, Any]) -> Endpoint[Json]:
    """``POST /call-logs``: creates the phone communication (and a lead when none has the number).

    A plain dict: the call log with ``communication_id`` and the nested ``lead``.
    """
    spec = RequestSpec("POST", "/call-logs", body=_object(body), idempotent=False)
    return Endpoint(spec, _json_reader("call_log"))


def update_call_log(call_log_id: IdLike, changes: Mapping[str, Any]) -> Endpoint[Json]:
    """``PUT /call-logs/{id}`` (partial; ``end_at`` and ``duration`` together complete the call)."""
    path = f"/call-logs/{positive_id(call_log_id, 'call_log')}"
    return Endpoint(RequestSpec("PUT", path, body=_object(changes)), _json_reader("call_log"))


# -- the clients -------------------------------------------------------------------------------


class ActivixClient(SyncAPIClient):
    """A blocking Activix client: ``client.leads``, ``client.communications``, ``client.call_logs``,
    ``client.account`` and ``client.screenpop``.

    ``rate_limit`` is in requests per second, 200/60 by default (Activix's 200 a minute); None
    turns the client-side limit off.
    """

    system = SYSTEM

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = DEFAULT_RATE_LIMIT,
        transport: httpx.BaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            transport=transport,
            verify=verify,
        )
        self.leads = Leads(self)
        self.communications = Communications(self)
        self.call_logs = CallLogs(self)
        self.account = AccountResource(self)

    def screenpop(
        self,
        *,
        lead_id: IdLike | None = None,
        lead_did: str | None = None,
        user_id: IdLike | None = None,
        user_did: str | None = None,
    ) -> str:
        """``POST /screenpop``; Activix's message."""
        return self.call(screenpop(lead_id=lead_id, lead_did=lead_did, user_id=user_id, user_did=user_did))


class AsyncActivixClient(AsyncAPIClient):
    """The async twin of :class:`ActivixClient`: same arguments and methods, awaited."""

    system = SYSTEM

    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        rate_limit: float | None = DEFAULT_RATE_LIMIT,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: bool = True,
    ) -> None:
        super().__init__(
            base_url=base_url,
            token=token,
            timeout=timeout,
            retry=retry,
            rate_limit=rate_limit,
            transport=transport,
            verify=verify,
        )
        self.leads = AsyncLeads(self)
        self.communications = AsyncCommunications(self)
        self.call_logs = AsyncCallLogs(self)
        self.account = AsyncAccountResource(self)

    async def screenpop(
        self,
        *,
        lead_id: IdLike | None = None,
        lead_did: str | None = None,
        user_id: IdLike | None = None,
        user_did: str | None = None,
    ) -> str:
        """``POST /screenpop``; Activix's message."""
        return await self.call(screenpop(lead_id=lead_id, lead_did=lead_did, user_id=user_id, user_did=user_did))


# -- sync resources ----------------------------------------------------------------------------


class _Items:
    """``client.leads.emails`` / ``.phones`` / ``.vehicles``: create and update (plain dicts)."""

    def __init__(
        self,
        client: ActivixClient,
        create: Callable[[Mapping[str, Any]], Endpoint[Json]],
        update: Callable[[IdLike, Mapping[str, Any]], Endpoint[Json]],
    ) -> None:
        self._c = client
        self._create = create
        self._update = update

    def create(self, body: Mapping[str, Any]) -> Json:
        """``POST /lead-<items>`` (``lead_id`` required)."""
        return self._c.call(self._create(body))

    def update(self, item_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /lead-<items>/{id}`` (partial)."""
        return self._c.call(self._update(item_id, changes))


class Notes:
    """``client.leads.notes``: a lead's notes (plain dicts)."""

    def __init__(self, client: ActivixClient) -> None:
        self._c = client

    def create(self, lead_id: IdLike, body: Mapping[str, Any]) -> Json:
        """``POST /leads/{lead_id}/notes``."""
        return self._c.call(create_note(lead_id, body))

    def update(self, lead_id: IdLike, note_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /leads/{lead_id}/notes/{note_id}``."""
        return self._c.call(update_note(lead_id, note_id, changes))


class Leads:
    """``client.leads``: leads and (``.emails``, ``.phones``, ``.vehicles``, ``.notes``) their items."""

    def __init__(self, client: ActivixClient) -> None:
        self._c = client
        self.emails = _Items(client, create_lead_email, update_lead_email)
        self.phones = _Items(client, create_lead_phone, update_lead_phone)
        self.vehicles = _Items(client, create_lead_vehicle, update_lead_vehicle)
        self.notes = Notes(client)

    def create(self, lead: Lead | Mapping[str, Any], *, trigger_alerts: bool | None = None) -> Lead:
        """``POST /leads``."""
        return self._c.call(create_lead(lead, trigger_alerts=trigger_alerts))

    def get(self, lead_id: IdLike, *, include: Sequence[str] | str = ()) -> Lead:
        """``GET /leads/{id}``."""
        return self._c.call(get_lead(lead_id, include=include))

    def update(self, lead_id: IdLike, changes: Lead | Mapping[str, Any]) -> Lead:
        """``PUT /leads/{id}`` (partial; emails, phones and vehicles append)."""
        return self._c.call(update_lead(lead_id, changes))

    def list(
        self,
        *,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        include: Sequence[str] | str = (),
        **filters: Unpack[LeadFilters],
    ) -> SyncPager[Lead]:
        """``GET /leads``, auto-paging (``.pages()`` for page-level access)."""
        return self._c.pager(list_leads(page=page, per_page=per_page, include=include, **filters).spec())

    def list_page(
        self,
        *,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        include: Sequence[str] | str = (),
        **filters: Unpack[LeadFilters],
    ) -> Page[Lead]:
        """One page of ``GET /leads``."""
        return self._c.page(list_leads(page=page, per_page=per_page, include=include, **filters).spec())

    def search(
        self, query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include: Sequence[str] | str = ()
    ) -> SyncPager[Lead]:
        """``GET /leads/search``, auto-paging."""
        return self._c.pager(search_leads(query, page=page, per_page=per_page, include=include).spec())

    def search_page(
        self, query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include: Sequence[str] | str = ()
    ) -> Page[Lead]:
        """One page of ``GET /leads/search``."""
        return self._c.page(search_leads(query, page=page, per_page=per_page, include=include).spec())


class Communications:
    """``client.communications``: write-only (Activix has no endpoint that reads communications)."""

    def __init__(self, client: ActivixClient) -> None:
        self._c = client

    def create(self, communication: Communication | Mapping[str, Any]) -> Communication:
        """``POST /communications``."""
        return self._c.call(create_communication(communication))

    def update(self, communication_id: IdLike, communication: Communication | Mapping[str, Any]) -> Communication:
        """``PUT /communications/{id}`` (``lead_id``, ``method`` and ``type`` every time)."""
        return self._c.call(update_communication(communication_id, communication))

    def upload_recording(
        self,
        communication_id: IdLike,
        content: bytes | IO[bytes],
        *,
        filename: str = "recording.mp3",
        content_type: str | None = None,
    ) -> str:
        """``POST /communications/{id}/recording`` (multipart); Activix's message."""
        return self._c.call(upload_recording(communication_id, content, filename=filename, content_type=content_type))


class CallLogs:
    """``client.call_logs`` (plain dicts)."""

    def __init__(self, client: ActivixClient) -> None:
        self._c = client

    def create(self, body: Mapping[str, Any]) -> Json:
        """``POST /call-logs``."""
        return self._c.call(create_call_log(body))

    def update(self, call_log_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /call-logs/{id}``."""
        return self._c.call(update_call_log(call_log_id, changes))


class AccountResource:
    """``client.account``."""

    def __init__(self, client: ActivixClient) -> None:
        self._c = client

    def get(self, *, include: Sequence[str] | str = ()) -> JsonList:
        """``GET /account`` (plain dicts)."""
        return self._c.call(get_account(include=include))


# -- async resources (the same methods, awaited) -----------------------------------------------


class _AsyncItems:
    """``client.leads.emails`` / ``.phones`` / ``.vehicles`` of :class:`AsyncActivixClient`."""

    def __init__(
        self,
        client: AsyncActivixClient,
        create: Callable[[Mapping[str, Any]], Endpoint[Json]],
        update: Callable[[IdLike, Mapping[str, Any]], Endpoint[Json]],
    ) -> None:
        self._c = client
        self._create = create
        self._update = update

    async def create(self, body: Mapping[str, Any]) -> Json:
        """``POST /lead-<items>`` (``lead_id`` required)."""
        return await self._c.call(self._create(body))

    async def update(self, item_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /lead-<items>/{id}`` (partial)."""
        return await self._c.call(self._update(item_id, changes))


class AsyncNotes:
    """``client.leads.notes`` of :class:`AsyncActivixClient`."""

    def __init__(self, client: AsyncActivixClient) -> None:
        self._c = client

    async def create(self, lead_id: IdLike, body: Mapping[str, Any]) -> Json:
        """``POST /leads/{lead_id}/notes``."""
        return await self._c.call(create_note(lead_id, body))

    async def update(self, lead_id: IdLike, note_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /leads/{lead_id}/notes/{note_id}``."""
        return await self._c.call(update_note(lead_id, note_id, changes))


class AsyncLeads:
    """``client.leads`` of :class:`AsyncActivixClient`."""

    def __init__(self, client: AsyncActivixClient) -> None:
        self._c = client
        self.emails = _AsyncItems(client, create_lead_email, update_lead_email)
        self.phones = _AsyncItems(client, create_lead_phone, update_lead_phone)
        self.vehicles = _AsyncItems(client, create_lead_vehicle, update_lead_vehicle)
        self.notes = AsyncNotes(client)

    async def create(self, lead: Lead | Mapping[str, Any], *, trigger_alerts: bool | None = None) -> Lead:
        """``POST /leads``."""
        return await self._c.call(create_lead(lead, trigger_alerts=trigger_alerts))

    async def get(self, lead_id: IdLike, *, include: Sequence[str] | str = ()) -> Lead:
        """``GET /leads/{id}``."""
        return await self._c.call(get_lead(lead_id, include=include))

    async def update(self, lead_id: IdLike, changes: Lead | Mapping[str, Any]) -> Lead:
        """``PUT /leads/{id}``."""
        return await self._c.call(update_lead(lead_id, changes))

    def list(
        self,
        *,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        include: Sequence[str] | str = (),
        **filters: Unpack[LeadFilters],
    ) -> AsyncPager[Lead]:
        """``GET /leads``, auto-paging (``async for``; ``.pages()`` for page-level access)."""
        return self._c.pager(list_leads(page=page, per_page=per_page, include=include, **filters).spec())

    async def list_page(
        self,
        *,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        include: Sequence[str] | str = (),
        **filters: Unpack[LeadFilters],
    ) -> Page[Lead]:
        """One page of ``GET /leads``."""
        return await self._c.page(list_leads(page=page, per_page=per_page, include=include, **filters).spec())

    def search(
        self, query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include: Sequence[str] | str = ()
    ) -> AsyncPager[Lead]:
        """``GET /leads/search``, auto-paging."""
        return self._c.pager(search_leads(query, page=page, per_page=per_page, include=include).spec())

    async def search_page(
        self, query: str, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include: Sequence[str] | str = ()
    ) -> Page[Lead]:
        """One page of ``GET /leads/search``."""
        return await self._c.page(search_leads(query, page=page, per_page=per_page, include=include).spec())


class AsyncCommunications:
    """``client.communications`` of :class:`AsyncActivixClient` (write-only, as in Activix)."""

    def __init__(self, client: AsyncActivixClient) -> None:
        self._c = client

    async def create(self, communication: Communication | Mapping[str, Any]) -> Communication:
        """``POST /communications``."""
        return await self._c.call(create_communication(communication))

    async def update(self, communication_id: IdLike, communication: Communication | Mapping[str, Any]) -> Communication:
        """``PUT /communications/{id}``."""
        return await self._c.call(update_communication(communication_id, communication))

    async def upload_recording(
        self,
        communication_id: IdLike,
        content: bytes | IO[bytes],
        *,
        filename: str = "recording.mp3",
        content_type: str | None = None,
    ) -> str:
        """``POST /communications/{id}/recording`` (multipart); Activix's message."""
        endpoint = upload_recording(communication_id, content, filename=filename, content_type=content_type)
        return await self._c.call(endpoint)


class AsyncCallLogs:
    """``client.call_logs`` of :class:`AsyncActivixClient`."""

    def __init__(self, client: AsyncActivixClient) -> None:
        self._c = client

    async def create(self, body: Mapping[str, Any]) -> Json:
        """``POST /call-logs``."""
        return await self._c.call(create_call_log(body))

    async def update(self, call_log_id: IdLike, changes: Mapping[str, Any]) -> Json:
        """``PUT /call-logs/{id}``."""
        return await self._c.call(update_call_log(call_log_id, changes))


class AsyncAccountResource:
    """``client.account`` of :class:`AsyncActivixClient`."""

    def __init__(self, client: AsyncActivixClient) -> None:
        self._c = client

    async def get(self, *, include: Sequence[str] | str = ()) -> JsonList:
        """``GET /account``."""
        return await self._c.call(get_account(include=include))
