"""The Activix sandbox's state: typed access to the document store, with per-lead indexes.

Documents are kept as the sandbox's own JSON (timestamps already in the UTC wire form, so they
compare as strings). Reading them back as API objects is :mod:`._render`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from crmbridge.sandbox import DocumentStore
from crmbridge.sandbox.activix._http import not_found
from crmbridge.sandbox.activix._validate import Kind, format_timestamp

__all__ = [
    "CHILDREN",
    "LEAD_DATETIMES",
    "LEAD_FIELDS",
    "MODELS",
    "USER_ROLES",
    "WRITABLE_ROLES",
    "ActivixState",
    "Document",
]

Document = dict[str, Any]

LEAD_DATETIMES: tuple[str, ...] = (
    "unsubscribe_all_date",
    "unsubscribe_call_date",
    "unsubscribe_email_date",
    "unsubscribe_sms_date",
    "appointment_date",
    "available_date",
    "be_back_date",
    "call_date",
    "csi_date",
    "delivered_date",
    "delivery_date",
    "home_presented_date",
    "paperwork_date",
    "presented_date",
    "promised_date",
    "refinanced_date",
    "road_test_date",
    "sale_date",
    "take_over_date",
    "end_service_date",
    "last_visit_date",
    "next_visit_date",
    "open_work_order_date",
    "planned_pick_up_date",
    "repair_date",
)

_LEAD_SCALARS: dict[str, Kind] = {
    "account_id": "integer",
    "customer_id": "integer",
    "source_id": "integer",
    "source": "string",
    "first_name": "string",
    "last_name": "string",
    "civility": "string",
    "second_contact": "string",
    "second_contact_civility": "string",
    "business": "boolean",
    "business_name": "string",
    "birth_date": "date",
    "gender": "integer",
    "locale": "string",
    "address_line1": "string",
    "address_line2": "string",
    "city": "string",
    "postal_code": "string",
    "province": "string",
    "country": "string",
    "type": "string",
    "status": "string",
    "result": "string",
    "division": "string",
    "segment": "string",
    "campaign": "string",
    "form": "string",
    "keyword": "string",
    "referrer": "string",
    "search_term": "string",
    "navigation_history": "string",
    "comment": "string",
    "qualification": "string",
    "rating": "integer",
    "dealer_tour": "boolean",
    "walk_around": "boolean",
    "average_spending": "number",
    "code": "string",
    "invoiced": "boolean",
    "loyalty": "boolean",
    "odometer_last_visit": "integer",
    "prepaid": "boolean",
    "reached_client": "boolean",
    "repair_order": "string",
    "service_cleaned": "boolean",
    "service_interval_km": "integer",
    "service_monthly_km": "integer",
    "storage": "string",
    "work_order": "string",
}

LEAD_FIELDS: dict[str, Kind] = {**_LEAD_SCALARS, **dict.fromkeys(LEAD_DATETIMES, "datetime")}
"""Every writable Lead column and its kind (a Lead response carries all of them, null when empty)."""

USER_ROLES: tuple[str, ...] = (
    "advisor",
    "bdc",
    "commercial",
    "service_advisor",
    "service_agent",
    "takeover_director",
    "delivered_by",
)
"""The user roles a lead can include."""

WRITABLE_ROLES: tuple[str, ...] = ("advisor", "bdc", "commercial", "service_agent", "service_advisor")
"""The roles a lead body may link (the vendor documents these five)."""

CHILDREN: tuple[str, ...] = ("emails", "phones", "vehicles", "notes", "communications")
"""Collections whose documents belong to a lead through ``lead_id`` (indexed per lead)."""

MODELS = {
    "leads": "Lead",
    "emails": "LeadEmail",
    "phones": "LeadPhone",
    "vehicles": "LeadVehicle",
    "notes": "Note",
    "communications": "Communication",
    "call_logs": "CallLog",
    "users": "User",
    "accounts": "Account",
}
"""The model name each collection's 404 message uses."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ActivixState:
    """Collections of the sandbox over a :class:`DocumentStore`, plus indexes kept in memory.

    The indexes (children per lead, leads newest first) are rebuilt from the store at start, so a
    SQLite-backed sandbox finds them again after a restart; lists never scan child collections.
    """

    def __init__(self, store: DocumentStore, clock: Callable[[], datetime] = _utc_now) -> None:
        self.store = store
        self.clock = clock
        self._children: dict[str, dict[int, list[int]]] = {name: {} for name in CHILDREN}
        self._newest_first: list[Document] | None = None
        for collection in CHILDREN:
            for document in store.scan(collection):
                self._children[collection].setdefault(document["lead_id"], []).append(document["id"])

    def now(self) -> str:
        """The current instant in the wire form."""
        return format_timestamp(self.clock())

    # -- documents --------------------------------------------------------------------------------

    def get(self, collection: str, ident: int) -> Document | None:
        """A copy of the document ``ident`` (callers change copies, then :meth:`save` them)."""
        document = self.store.get(collection, str(ident))
        return dict(document) if document is not None else None

    def require(self, collection: str, ident: int) -> Document:
        """Like :meth:`get`, but a 404 in Activix's words when it does not exist."""
        document = self.get(collection, ident)
        if document is None:
            raise not_found(MODELS[collection])
        return document

    def insert(self, collection: str, document: Document) -> Document:
        """Store a new document under the next integer id; returns it with its ``id``."""
        document = {"id": self.store.next_int_id(collection), **document}
        self.store.put(collection, str(document["id"]), document)
        if collection in self._children:
            self._children[collection].setdefault(document["lead_id"], []).append(document["id"])
        if collection == "leads":
            self._newest_first = None
        return document

    def save(self, collection: str, document: Document) -> None:
        """Replace a document, moving it in the per-lead index when its ``lead_id`` changed."""
        previous = self.store.get(collection, str(document["id"]))
        self.store.put(collection, str(document["id"]), document)
        if collection in self._children and previous is not None and previous["lead_id"] != document["lead_id"]:
            self._children[collection][previous["lead_id"]].remove(document["id"])
            self._children[collection].setdefault(document["lead_id"], []).append(document["id"])

    def children(self, collection: str, lead_id: int) -> list[Document]:
        """The documents of ``collection`` that belong to the lead, oldest first."""
        ids = self._children[collection].get(lead_id, [])
        return [document for ident in ids if (document := self.store.get(collection, str(ident))) is not None]

    def leads_newest_first(self) -> list[Document]:
        """Every lead, newest ``created_at`` first (ties: highest id first); cached until a lead is added."""
        if self._newest_first is None:
            leads = list(self.store.scan("leads"))
            leads.sort(key=lambda lead: (lead["created_at"], lead["id"]), reverse=True)
            self._newest_first = leads
        # Updates replace documents in the store: read the current version of each.
        return [self.store.get("leads", str(lead["id"])) or lead for lead in self._newest_first]

    # -- account and users ------------------------------------------------------------------------

    def account(self) -> Document:
        """The account of the API key (the sandbox has exactly one)."""
        return next(self.store.scan("accounts"))

    def users(self) -> list[Document]:
        """Every user of the account."""
        return list(self.store.scan("users"))

    def find_user(self, reference: dict[str, Any]) -> Document | None:
        """The user matched by ``id``, ``email`` or ``first_name`` + ``last_name`` (case-insensitive)."""
        if reference.get("id") is not None:
            return self.get("users", reference["id"]) if isinstance(reference["id"], int) else None
        if isinstance(reference.get("email"), str):
            return self._first_user(lambda user: (user["email"] or "").lower() == reference["email"].lower())
        first, last = reference.get("first_name"), reference.get("last_name")
        if isinstance(first, str) and isinstance(last, str):
            return self._first_user(
                lambda user: (
                    (user["first_name"] or "").lower() == first.lower()
                    and (user["last_name"] or "").lower() == last.lower()
                )
            )
        return None

    def find_user_by_did(self, did: str) -> Document | None:
        """The user whose direct line (a sandbox-only field, never returned) is ``did``."""
        return self._first_user(lambda user: user.get("did") == did)

    def _first_user(self, matches: Callable[[Document], bool]) -> Document | None:
        return next((dict(user) for user in self.store.scan("users") if matches(user)), None)

    def find_lead_by_phone(self, number: str) -> Document | None:
        """The newest lead with a phone ``number`` (E.164), or None."""
        lead_ids = {phone["lead_id"] for phone in self.store.scan("phones") if phone["number"] == number}
        if not lead_ids:
            return None
        return next((dict(lead) for lead in self.leads_newest_first() if lead["id"] in lead_ids), None)
