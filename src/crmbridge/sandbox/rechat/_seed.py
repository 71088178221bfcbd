"""Seeding the Rechat sandbox: realistic contacts, listings and tasks, deterministic by seed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmbridge.sandbox import SeedData
from crmbridge.sandbox.rechat._contacts import build_contact
from crmbridge.sandbox.rechat._state import SandboxState
from crmbridge.sandbox.rechat._tasks import new_task_document
from crmbridge.sandbox.rechat._users import RechatSandboxUser, seeded_uuid

__all__ = ["seed_state"]

Document = dict[str, Any]

_TAGS = ["Buyer", "Seller", "Investor", "Past Client", "Sphere", "Hot Lead", "Open House"]
_STATES = ["TX", "CA", "FL", "NY", "AZ", "CO"]
_TASK_TITLES = {
    "Call": ["Call {name} about the offer", "Follow-up call with {name}", "Check in with {name}"],
    "Message": ["Send {name} the comps", "Text {name} the showing times", "Email {name} the disclosures"],
    "Todo": ["Prepare CMA for {name}", "Schedule photos for {name}", "Review contract for {name}"],
}
_DAY_S = 24 * 3600


def _stamp(data: SeedData) -> float:
    # Rechat's timestamps carry microseconds.
    return round(data.instant().timestamp() + data.random.random(), 6)


def _listing(data: SeedData, seed: int, n: int) -> Document:
    created = _stamp(data)
    street, city, state = data.street(), data.city(), data.choice(_STATES)
    return {
        "type": "listing",
        "id": seeded_uuid(seed, "listing", n),
        "property_id": seeded_uuid(seed, "property", n),
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
        "price": data.random.randrange(150, 2500) * 1000,
        "status": data.choice(["Active", "Pending", "Sold", "Expired"]),
        "mls_number": str(data.random.randrange(10**7, 10**8)),
        "mls": "NTREIS",
        "currency": "USD",
        "property": {
            "type": "property",
            "bedroom_count": data.random.randrange(1, 6),
            "bathroom_count": data.random.randrange(1, 4),
            "address": {
                "type": "address",
                "street_address": street,
                "city": city,
                "state_code": state,
                "postal_code": data.postcode(),
                "full_address": f"{street} {city}, {state}",
            },
        },
    }


def _contact_attributes(data: SeedData) -> list[Document]:
    first, last = data.first_name(), data.last_name()
    attributes: list[Document] = [
        {"attribute_type": "first_name", "text": first},
        {"attribute_type": "last_name", "text": last},
        {"attribute_type": "email", "text": data.email(first, last), "label": "Personal", "is_primary": True},
        {"attribute_type": "phone_number", "text": data.phone_e164(), "label": "Mobile", "is_primary": True},
        {"attribute_type": "source_type", "text": "ExplicitlyCreated"},
    ]
    if data.random.random() < 0.3:
        attributes.append({"attribute_type": "email", "text": data.email(first, last), "label": "Work"})
    if data.random.random() < 0.3:
        attributes.append({"attribute_type": "phone_number", "text": data.phone_e164(), "label": "Work"})
    if data.random.random() < 0.7:
        address = {"street_name": data.street(), "city": data.city(), "state": data.choice(_STATES)}
        address["postal_code"] = data.postcode()
        attributes += [{"attribute_type": k, "text": v, "index": 1, "label": "Home"} for k, v in address.items()]
    if data.random.random() < 0.3:
        attributes.append({"attribute_type": "company", "text": data.company()})
    if data.random.random() < 0.3:
        attributes.append({"attribute_type": "birthday", "date": float(data.random.randrange(-(10**9), 10**9))})
    for tag in sorted(data.random.sample(_TAGS, data.random.randrange(3))):
        attributes.append({"attribute_type": "tag", "text": tag})
    return attributes


def _contact(state: SandboxState, data: SeedData, seed: int, n: int, brand: str, users: list[str]) -> Document:
    owner = data.choice(users)
    attributes = _contact_attributes(data)
    created = _stamp(data)
    contact = build_contact(
        state,
        brand,
        owner,
        {"user": owner, "attributes": attributes},
        created,
        ident=seeded_uuid(seed, "contact", n),
        attribute_ids=[seeded_uuid(seed, "attribute", n, k) for k in range(len(attributes))],
    )
    contact["updated_at"] = round(created + data.random.randrange(30 * _DAY_S), 6)
    return contact


def _task(data: SeedData, seed: int, n: int, brand: str, users: list[str], contacts: list[Document]) -> Document:
    task_id, task_type = seeded_uuid(seed, "task", n), data.choice(list(_TASK_TITLES))
    linked = data.random.sample(contacts, min(len(contacts), data.random.randrange(4)))
    name = linked[0]["display_name"] if linked else "the team"
    due = _stamp(data)
    fields = {
        "title": data.choice(_TASK_TITLES[task_type]).format(name=name),
        "description": data.sentence() if data.random.random() < 0.5 else None,
        "due_date": due,
        "end_date": round(due + 3600, 6) if data.random.random() < 0.5 else None,
        "status": data.choice(["PENDING", "DONE"]),
        "task_type": task_type,
        "all_day": False,
        "metadata": None,
    }
    created = round(due - data.random.randrange(1, 60) * _DAY_S, 6)
    task = new_task_document(task_id, brand, data.choice(users), fields, created)
    task["updated_at"] = round(created + data.random.randrange(_DAY_S), 6)
    task["assignees"] = sorted(data.random.sample(users, data.random.randrange(1, min(2, len(users)) + 1)))
    task["reminders"] = _reminders(data, seed, n, task_id, due, created)
    task["associations"] = [_association(seed, n, k, task, "contact", c["id"]) for k, c in enumerate(linked)]
    return task


def _reminders(data: SeedData, seed: int, n: int, task_id: str, due: float, created: float) -> list[Document]:
    reminders = []
    for k in range(data.random.randrange(3)):
        relative = data.random.random() < 0.5
        # Relative reminders sit a fixed span before the due date; fixed ones a few days before.
        before = data.random.choice([900, 3600, _DAY_S]) if relative else data.random.randrange(1, 3) * _DAY_S
        reminders.append(
            {
                "id": seeded_uuid(seed, "reminder", n, k),
                "created_at": created,
                "updated_at": created,
                "deleted_at": None,
                "is_relative": relative,
                "timestamp": round(due - before, 6),
                "task": task_id,
                "type": "reminder",
            }
        )
    return reminders


def _association(seed: int, n: int, k: int, task: Document, kind: str, target: str) -> Document:
    return {
        "id": seeded_uuid(seed, "association", n, k),
        "created_at": task["created_at"],
        "updated_at": task["created_at"],
        "deleted_at": None,
        "created_by": task["created_by"],
        "brand": task["brand"],
        "association_type": kind,
        "crm_task": task["id"],
        "contact": target if kind == "contact" else None,
        "listing": target if kind == "listing" else None,
        "deal": None,
        "index": k + 1,
        "metadata": {"origin": "rechat"},
        "type": "crm_association",
    }


def _members(users: Sequence[RechatSandboxUser], brand: str) -> list[str]:
    return [u.id for u in users if brand in u.brands]


def seed_state(
    state: SandboxState, users: Sequence[RechatSandboxUser], brands: Sequence[str], count: int, seed: int
) -> None:
    """About ``count`` contacts and ``count`` tasks, every tenth in the second brand.

    Tasks link up to three contacts of their brand and sometimes a listing; they have one or
    two assignees and up to two reminders (relative or fixed); due dates span the two seed years.
    Nothing is seeded into a store that already holds contacts (a reopened SQLite file).
    """
    if count <= 0 or state.store.count("contacts") or state.store.count("tasks"):
        return
    data = SeedData(seed)
    listings = [_listing(data, seed, n) for n in range(max(3, min(50, count // 25)))]
    for listing in listings:
        state.store.put("listings", listing["id"], listing)
    by_brand: dict[str, list[Document]] = {brand: [] for brand in brands}
    home = [b for b in brands if _members(users, b)]
    for n in range(count):
        brand = home[-1] if len(home) > 1 and n % 10 == 9 else home[0]
        contact = _contact(state, data, seed, n, brand, _members(users, brand))
        state.store.put("contacts", contact["id"], contact)
        by_brand[brand].append(contact)
    for n in range(count):
        brand = home[-1] if len(home) > 1 and n % 10 == 9 else home[0]
        task = _task(data, seed, n, brand, _members(users, brand), by_brand[brand])
        if data.random.random() < 0.2:
            extra = _association(seed, n, 9, task, "listing", data.random.choice(listings)["id"])
            task["associations"].append(extra)
        state.store.put("tasks", task["id"], task)
