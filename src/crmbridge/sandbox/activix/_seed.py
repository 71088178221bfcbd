"""Deterministic seed data for the Activix sandbox: an account, users, leads and their items.

Canadian-looking leads (``en_CA`` names and addresses, province codes, postal codes such as
``H3B 1K9``), E.164 phones, dates over the two seeded years, and communications covering every
documented method and ``call_status``. The same ``seed`` always gives the same data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmbridge.sandbox import SeedData
from crmbridge.sandbox.activix._children import item_document
from crmbridge.sandbox.activix._comms import PRIVATE_FIELDS
from crmbridge.sandbox.activix._state import LEAD_FIELDS, ActivixState, Document
from crmbridge.sandbox.activix._validate import format_timestamp

__all__ = ["CALL_STATUSES", "METHODS", "seed_state"]

METHODS: tuple[str, ...] = ("phone", "email", "sms", "video")
CALL_STATUSES: tuple[str, ...] = ("answered", "attempted", "calling", "error", "interrupted", "pending", "unanswered")
_LEAD_TYPES = ("email", "phone", "walk_in", "loyalty", "renewal", "sms", "event", "pre_booking", "web_order")
_SOURCES = ("Website", "AutoTrader", "Kijiji", "Walk-in", "Referral", "Facebook")
_MAKES = {"Toyota": ("Corolla", "RAV4", "Camry"), "Honda": ("Civic", "CR-V"), "Ford": ("F-150", "Escape")}
# Every method and call status appears at least once, whatever the number of leads.
_PLANNED: tuple[tuple[str, str | None], ...] = (
    *(("phone", status) for status in CALL_STATUSES),
    ("email", None),
    ("sms", None),
    ("video", None),
)


def seed_state(state: ActivixState, records: int, seed: int) -> None:
    """Create the account and its users if the store has none, then about ``records`` leads if it has none.

    A SQLite store that already holds data is left alone, so restarting never duplicates it.
    """
    data = SeedData(seed, locale="en_CA")
    if state.store.count("accounts") == 0:
        _account(state, data, records)
    if records > 0 and state.store.count("leads") == 0:
        _Leads(state, data).create(records)


def _stamp(moment: datetime) -> str:
    return format_timestamp(moment)


ACCOUNT_CUSTOM_FIELDS: tuple[dict[str, Any], ...] = (
    {"id": 1, "name": "Preferred contact", "type": "string"},
    {"id": 2, "name": "Budget", "type": "currency"},
    {"id": 3, "name": "Pre-approved", "type": "boolean"},
    {"id": 4, "name": "Next follow-up", "type": "datetime"},
    {"id": 5, "name": "Interests", "type": "array"},
    {"id": 6, "name": "Website", "type": "string"},
    {"id": 7, "name": "Bank accounts", "type": "string"},
)
"""The seeded account's custom fields: one of each documented type (values are always strings)."""


def _account(state: ActivixState, data: SeedData, records: int) -> None:
    created = _stamp(data.instant())
    custom_fields = [{**field, "value": None} for field in ACCOUNT_CUSTOM_FIELDS]
    account = {"name": f"{data.company()} Auto", "created_at": created, "updated_at": created}
    state.insert("accounts", {**account, "custom_fields": custom_fields})
    for _ in range(min(25, 3 + records // 100)):
        first, last = data.first_name(), data.last_name()
        stamp = _stamp(data.instant())
        user = {"email": data.email(first, last), "first_name": first, "last_name": last, "did": data.phone_e164()}
        state.insert("users", {**user, "created_at": stamp, "updated_at": stamp})


class _Leads:
    """Makes leads one after the other, keeping track of the planned communications."""

    def __init__(self, state: ActivixState, data: SeedData) -> None:
        self.state = state
        self.data = data
        self.user_ids = [user["id"] for user in state.users()]
        self.communications = 0

    def create(self, records: int) -> None:
        lead_ids = [self._lead(index) for index in range(records)]
        # With few leads the random counts may not reach every planned method and status.
        while self.communications < len(_PLANNED):
            self._communication(self.state.require("leads", self.data.random.choice(lead_ids)))

    def _lead(self, index: int) -> int:
        data = self.data
        created = data.instant()
        first, last = data.first_name(), data.last_name()
        lead: Document = {**dict.fromkeys(LEAD_FIELDS), **self._columns(first, last, index)}
        lead.update(created_method=data.choice(["manual", "api", "activix", "scraper"]))
        lead.update(created_at=_stamp(created), updated_at=_stamp(data.instant_after(created, 90)))
        lead["roles"] = self._roles()
        lead["custom_fields"] = self._custom_fields(index)
        lead = self.state.insert("leads", lead)
        self._items(lead, first, last)
        for _ in range(data.random.randint(1, 3)):
            self._communication(lead)
        if data.random.random() < 0.3:
            self._note(lead)
        return int(lead["id"])

    def _columns(self, first: str, last: str, index: int) -> dict[str, Any]:
        data, faker = self.data, self.data.faker
        business = data.random.random() < 0.1
        return {
            "account_id": self.state.account()["id"],
            # Every fifth lead shares a customer with the one before: they are associated leads.
            "customer_id": 1000 + index - (1 if index % 5 == 4 else 0),
            "source": data.choice(list(_SOURCES)),
            "first_name": first,
            "last_name": last,
            "civility": data.choice(["mr", "ms", "miss", "dr", "me"]),
            "second_contact": f"{data.first_name()} {last}" if data.random.random() < 0.2 else None,
            "business": business,
            "business_name": data.company() if business else None,
            "locale": data.choice(["en", "fr"]),
            "address_line1": data.street(),
            "city": data.city(),
            "postal_code": faker.postcode(),
            "province": faker.province_abbr(),
            "country": "CA",
            "type": data.choice(list(_LEAD_TYPES)),
            "status": data.choice(["duplicate", "invalid", "lost"]) if data.random.random() < 0.15 else None,
            "result": data.choice(["pending", "attempted", "reached"]),
            "division": data.choice(["new", "used", "service"]) if data.random.random() < 0.9 else None,
            "rating": data.random.randint(1, 5) if data.random.random() < 0.5 else None,
            "sale_date": _stamp(data.instant()) if data.random.random() < 0.25 else None,
        }

    def _roles(self) -> dict[str, int | None]:
        roles: dict[str, int | None] = {"advisor": self.data.random.choice(self.user_ids)}
        if self.data.random.random() < 0.4:
            roles["bdc"] = self.data.random.choice(self.user_ids)
        return roles

    def _custom_fields(self, index: int) -> list[dict[str, Any]]:
        if index % 4:
            return []
        value = self.data.choice(["phone", "email", "sms"])
        return [{"id": 1, "name": "Preferred contact", "type": "string", "value": value}]

    def _items(self, lead: Document, first: str, last: str) -> None:
        data, now = self.data, lead["created_at"]
        for kind in data.random.sample(["home", "work"], data.random.randint(0, 2)):
            fields = {"address": data.email(first, last), "type": kind}
            self.state.insert("emails", item_document("emails", lead["id"], fields, now))
        for kind in data.random.sample(["home", "work", "mobile"], data.random.randint(0, 3)):
            phone: dict[str, Any] = {"number": data.phone_e164(), "extension": None, "type": kind}
            self.state.insert("phones", item_document("phones", lead["id"], phone, now))
        if data.random.random() < 0.5:
            make = data.choice(sorted(_MAKES))
            vehicle: dict[str, Any] = {"type": "wanted", "make": make, "model": data.choice(list(_MAKES[make]))}
            vehicle["year"] = data.random.randint(2015, 2026)
            self.state.insert("vehicles", item_document("vehicles", lead["id"], vehicle, now))

    def _communication(self, lead: Document) -> None:
        data = self.data
        if self.communications < len(_PLANNED):
            method, status = _PLANNED[self.communications]
        else:
            method = data.choice(list(METHODS))
            status = data.choice(list(CALL_STATUSES)) if method == "phone" else None
        self.communications += 1
        created = datetime.fromisoformat(lead["created_at"])
        executed = data.instant_after(created, 60)
        document: Document = {
            "lead_id": lead["id"],
            "user_id": data.random.choice(self.user_ids) if data.random.random() < 0.8 else None,
            "created_at": _stamp(executed),
            "updated_at": _stamp(executed),
            "executed_at": _stamp(executed),
            "method": method,
            "type": "incoming" if status == "interrupted" else data.choice(["incoming", "outgoing"]),
            "description": data.sentence(),
            "call_duration": data.random.randint(20, 900) if status == "answered" else None,
            "call_phone": data.phone_e164() if method == "phone" else None,
            "call_status": status,
            "private": self._private(method, lead),
        }
        self.state.insert("communications", document)

    def _private(self, method: str, lead: Document) -> dict[str, str | None]:
        private: dict[str, str | None] = dict.fromkeys(PRIVATE_FIELDS)
        if method == "email":
            private.update(email_subject=self.data.sentence(), email_body=self.data.sentence())
            private["email_user"] = f"sales{lead['id'] % 7}@dealer.example"
        elif method == "video":
            private["url"] = f"https://video.example/{lead['id']}/{self.data.random.randrange(10**6)}"
        return private

    def _note(self, lead: Document) -> None:
        stamp = lead["updated_at"]
        note = {"lead_id": lead["id"], "parent_id": None, "user_id": self.data.random.choice(self.user_ids)}
        note.update(content=self.data.sentence(), file_url=None, created_at=stamp, updated_at=stamp)
        self.state.insert("notes", note)
