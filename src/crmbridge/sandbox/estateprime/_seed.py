"""Seed data of the EstatePrime sandbox: contacts, communications and events, deterministic by seed.

Records are spread over the two seeded years (:data:`crmbridge.sandbox.SEED_EPOCH`), their
``date_created`` growing with the id as in a real account, and they reference only ids that
exist: seeded contacts, the lookup lists, and the users, offices and listings of
:mod:`._lookups`. They exercise the documented shapes: companies with contact details
and contacts without a company name, custom field values of each defined type, online events with
a remote meeting and offline ones with ``null``, all-day events.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from crmbridge.sandbox import DocumentStore, SeedData
from crmbridge.sandbox.estateprime._lookups import (
    COMMUNICATION_CHANNELS,
    COMMUNICATION_TAGS,
    CONTACT_SOURCES,
    CONTACT_TAGS,
    EVENT_CATEGORIES,
    EVENT_STATUSES,
    EVENT_TAGS,
    LISTING_IDS,
    MEETING_TYPES,
    STORE_IDS,
    USER_IDS,
    ids,
)
from crmbridge.sandbox.estateprime._validate import wire_datetime

__all__ = ["SEED_MARKER", "seed_store"]

SEED_MARKER: Final = ("meta", "seed")
"""``(collection, id)`` of the document that says the store was seeded (so a restart does not reseed)."""

Document = dict[str, Any]


class _Seeder:
    """One kind's seeding: the shared :class:`SeedData`, the account's timezone, the seeded contacts."""

    def __init__(self, store: DocumentStore, data: SeedData, zone: ZoneInfo, contact_ids: list[int]) -> None:
        self.store = store
        self.data = data
        self.random = data.random
        self.zone = zone
        self.contact_ids = contact_ids

    def local(self, instant: datetime) -> datetime:
        """The naive wall time of an aware instant in the account's timezone."""
        return instant.astimezone(self.zone).replace(tzinfo=None)

    def text(self, instant: datetime) -> str:
        """``YYYY-MM-DD HH:MM:SS`` of an aware instant, in the account's timezone."""
        return wire_datetime(self.local(instant))

    def created_times(self, count: int) -> list[datetime]:
        """``count`` creation instants in increasing order (ids grow with creation time)."""
        return sorted(self.data.instant() for _ in range(count))

    def insert(self, collection: str, build: Callable[[int, datetime], Document], times: list[datetime]) -> list[int]:
        """Insert one record per creation time; the ids given."""
        inserted = []
        for created in times:
            ident = self.store.next_int_id(collection)
            self.store.put(collection, str(ident), build(ident, created))
            inserted.append(ident)
        return inserted

    def maybe(self, share: float) -> bool:
        """True for about ``share`` of the calls."""
        return self.random.random() < share


class _Contacts(_Seeder):
    def phone(self) -> Document:
        kind = self.data.choice(["mobile", "home", "work"])
        return {"type": kind, "number": self.data.phone_e164(), "notes": f"{kind.capitalize()} phone"}

    def email(self, first: str, last: str) -> Document:
        kind = self.data.choice(["personal", "work"])
        return {"type": kind, "email_address": self.data.email(first, last), "notes": self.data.choice(["", "Primary"])}

    def detail(self) -> Document:
        first, last = self.data.first_name(), self.data.last_name()
        return {
            "first_name": first,
            "last_name": last,
            "mobile": self.data.phone_e164() if self.maybe(0.7) else None,
            "email": self.data.email(first, last) if self.maybe(0.5) else None,
            "notes": self.data.choice(["CEO", "Accountant", "Marketing assistant", "Owner"]),
        }

    def custom_fields(self, last: str) -> list[Document]:
        # One value per defined field type (url, textarea, select_multi, currency, phone), some left out.
        values: list[Document] = []
        if self.maybe(0.5):
            values.append({"custom_field_id": 1, "value": f"https://www.{last.lower()}-homes.example.com"})
        if self.maybe(0.3):
            values.append({"custom_field_id": 2, "value": f"IBAN GR16 0110 1250 0000 {self.random.randrange(10**12)}"})
        if self.maybe(0.6):
            values.append({"custom_field_id": 3, "value": self.data.sample([1, 2], 2) or [1]})
        if self.maybe(0.5):
            values.append({"custom_field_id": 4, "value": f"{self.random.randrange(50, 2000) * 1000:,}.00€"})
        if self.maybe(0.2):
            values.append({"custom_field_id": 5, "value": self.data.phone_e164()})
        return values

    def build(self, ident: int, created: datetime) -> Document:
        first, last = self.data.first_name(), self.data.last_name()
        is_company = self.maybe(0.15)
        is_lead = self.maybe(0.4)
        updated = self.data.instant_after(created, 120) if self.maybe(0.5) else created
        converted = None if is_lead or self.maybe(0.3) else self.text(self.data.instant_after(created, 60))
        return {
            "id": ident,
            "first_name": first,
            "last_name": last,
            "source_id": self.random.choice(ids(CONTACT_SOURCES)),
            "is_lead": is_lead,
            "is_company": is_company,
            "company_name": self.data.company() if is_company else None,
            "phones": [self.phone() for _ in range(self.random.randint(0, 2))],
            "emails": [self.email(first, last) for _ in range(self.random.randint(0, 2))],
            "notes": self.data.sentence() if self.maybe(0.6) else "",
            "custom_fields": self.custom_fields(last),
            "contact_details": [self.detail() for _ in range(self.random.randint(1, 2))] if is_company else [],
            "tags": self.data.sample(ids(CONTACT_TAGS), 2),
            "date_created": self.text(created),
            "created_by": self.random.choice(USER_IDS),
            "users": self.data.sample(USER_IDS, 3),
            "date_updated": self.text(updated),
            "date_converted_to_client": converted,
        }


class _Communications(_Seeder):
    def build(self, ident: int, created: datetime) -> Document:
        # Logged after the fact: the communication happened up to two days before its record.
        happened = created - timedelta(seconds=self.random.randrange(2 * 24 * 3600))
        record: Document = {
            "id": ident,
            "date_created": self.text(created),
            "communication_date": self.text(happened),
            "user_id": self.random.choice(USER_IDS),
            "store_id": self.random.choice(STORE_IDS),
            "type": self.data.choice(["incoming", "outgoing"]),
            "channel": self.random.choice(ids(COMMUNICATION_CHANNELS)),
            "contact_id": self.random.choice(self.contact_ids),
            "request_id": self.random.randrange(1, 500) if self.maybe(0.2) else None,
            "comments": self.data.sentence() if self.maybe(0.85) else None,
            "tags": self.data.sample(ids(COMMUNICATION_TAGS), 2),
            "listings": self.data.sample(LISTING_IDS, 3),
        }
        # Custom fields are not in the documented object: only some records carry them.
        if self.maybe(0.3):
            follow_up = self.local(created + timedelta(days=self.random.randint(1, 14))).date().isoformat()
            record["custom_fields"] = [
                {"custom_field_id": 1, "value": self.random.randint(1, 3)},
                {"custom_field_id": 2, "value": follow_up},
            ]
        return record


class _Events(_Seeder):
    def bounds(self, start: datetime, full_day: bool) -> tuple[str, str]:
        local = self.local(start)
        if full_day:
            day = datetime(local.year, local.month, local.day)
            return wire_datetime(day), wire_datetime(day + timedelta(days=self.random.randint(1, 2)))
        # Meetings start on a quarter hour during office hours and last 30 minutes to 2 hours.
        begin = local.replace(hour=self.random.randint(8, 18), minute=15 * self.random.randrange(4), second=0)
        end = begin + timedelta(minutes=15 * self.random.randint(2, 8))
        return wire_datetime(begin), wire_datetime(end)

    def meeting(self) -> Document:
        kind = self.data.choice(MEETING_TYPES)
        code = f"{self.random.randrange(16**10):010x}"
        url = {"Google Meet": "https://meet.google.com/", "Zoom": "https://zoom.us/j/"}.get(
            kind, "https://meet.example.com/"
        )
        return {"type": kind, "meeting_url": url + code, "meeting_id": code if kind != "Other" else None}

    def build(self, ident: int, created: datetime) -> Document:
        full_day = self.maybe(0.2)
        starting, ending = self.bounds(self.data.instant_after(created, 45), full_day)
        category = self.random.choice(EVENT_CATEGORIES)
        is_online = not full_day and self.maybe(0.3)
        record: Document = {
            "id": ident,
            "full_day": full_day,
            "date_starting": starting,
            "date_ending": ending,
            "date_created": self.text(created),
            "created_by": self.random.choice(USER_IDS),
            "status_id": self.random.choice(ids(EVENT_STATUSES)),
            "category_id": category["id"],
            "contacts": self.data.sample(self.contact_ids, 3),
            "users": self.data.sample(USER_IDS, 3) or [self.random.choice(USER_IDS)],
            "title": f"{category['name']} ({self.data.last_name()})",
            "description": self.data.sentence() if self.maybe(0.7) else None,
            "is_public": self.maybe(0.3),
            "is_online": is_online,
            "tags": self.data.sample(ids(EVENT_TAGS), 2),
            "remote_meeting": self.meeting() if is_online else None,
        }
        if self.maybe(0.25):
            record["custom_fields"] = [{"custom_field_id": 1, "value": self.maybe(0.5)}]
        return record


def seed_store(store: DocumentStore, *, records: int, seed: int, zone: ZoneInfo) -> None:
    """Add about ``records`` contacts, as many communications and half as many events.

    Does nothing when the store was seeded before (a SQLite file reopened) or ``records`` is 0.
    """
    if records <= 0 or store.get(*SEED_MARKER) is not None:
        return
    # One SeedData drives all three kinds in a fixed order: same seed, same records.
    data = SeedData(seed)
    contacts = _Contacts(store, data, zone, [])
    contact_ids = contacts.insert("contacts", contacts.build, contacts.created_times(records))
    communications = _Communications(store, data, zone, contact_ids)
    communications.insert("communication", communications.build, communications.created_times(records))
    events = _Events(store, data, zone, contact_ids)
    events.insert("calendar", events.build, events.created_times(max(1, records // 2)))
    store.put(*SEED_MARKER, {"seed": seed, "records": records})
