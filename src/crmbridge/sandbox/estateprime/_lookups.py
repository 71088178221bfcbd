"""The EstatePrime sandbox's fixed lookup lists, taken from the vendor documents' examples.

Lookups are not state: the documents describe no way to change them, so they are constants the
routes serve and the seeding draws from. Users, offices (stores) and listings have no endpoint
in the documents; the seeding only needs plausible ids for them.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "API_USER_ID",
    "COMMUNICATION_CHANNELS",
    "COMMUNICATION_CUSTOM_FIELDS",
    "COMMUNICATION_TAGS",
    "CONTACT_CUSTOM_FIELDS",
    "CONTACT_SOURCES",
    "CONTACT_TAGS",
    "EVENT_CATEGORIES",
    "EVENT_CUSTOM_FIELDS",
    "EVENT_STATUSES",
    "EVENT_TAGS",
    "LISTING_IDS",
    "LOOKUPS",
    "MEETING_TYPES",
    "STORE_IDS",
    "USER_IDS",
    "ids",
]

Item = dict[str, Any]

CONTACT_SOURCES: Final[list[Item]] = [
    {"id": 1, "name": "Referred by another client"},
    {"id": 2, "name": "Social Media"},
    {"id": 3, "name": "Company Website"},
]
CONTACT_TAGS: Final[list[Item]] = [{"id": 1, "name": "VIP client"}, {"id": 2, "name": "Lost"}]
CONTACT_CUSTOM_FIELDS: Final[list[Item]] = [
    {"id": 1, "name": "Website", "type": "url"},
    {"id": 2, "name": "Bank Accounts", "type": "textarea"},
    {
        "id": 3,
        "name": "Preferred Contact Methods",
        "type": "select_multi",
        "options": [{"id": 1, "name": "Phone"}, {"id": 2, "name": "Email"}],
    },
    {"id": 4, "name": "Available Budget", "type": "currency"},
    {"id": 5, "name": "Lawyer's Phone", "type": "phone"},
]

COMMUNICATION_CHANNELS: Final[list[Item]] = [
    {"id": 1, "name": "Phone Call", "type": "phone"},
    {"id": 2, "name": "Email", "type": "email"},
    {"id": 3, "name": "SMS", "type": "sms"},
]
COMMUNICATION_TAGS: Final[list[Item]] = [{"id": 4, "name": "Follow Up"}, {"id": 9, "name": "Hot Lead"}]
COMMUNICATION_CUSTOM_FIELDS: Final[list[Item]] = [
    {
        "id": 1,
        "name": "Call Outcome",
        "type": "select",
        "options": [
            {"id": 1, "name": "Interested"},
            {"id": 2, "name": "Not Interested"},
            {"id": 3, "name": "No Answer"},
        ],
    },
    {"id": 2, "name": "Follow-up Date", "type": "date"},
]

EVENT_CATEGORIES: Final[list[Item]] = [
    {"id": 1, "name": "Property Viewing"},
    {"id": 2, "name": "Appointment with Homeowner"},
    {"id": 3, "name": "Team Meeting"},
    {"id": 4, "name": "Other"},
]
EVENT_STATUSES: Final[list[Item]] = [
    {"id": 1, "name": "Upcoming"},
    {"id": 2, "name": "In progress"},
    {"id": 3, "name": "Completed"},
    {"id": 4, "name": "Cancelled"},
]
# The calendar document's tag example repeats the contact tags.
EVENT_TAGS: Final[list[Item]] = [{"id": 1, "name": "VIP client"}, {"id": 2, "name": "Lost"}]
EVENT_CUSTOM_FIELDS: Final[list[Item]] = [{"id": 1, "name": "Urgent Meeting", "type": "checkbox"}]

MEETING_TYPES: Final[list[str]] = ["Google Meet", "Zoom", "Other"]

# The user ids the documents' examples mention; user 10 plays the API user (created_by default).
USER_IDS: Final[list[int]] = [2, 3, 5, 7, 10]
API_USER_ID: Final = 10
STORE_IDS: Final[list[int]] = [1, 2, 3]
LISTING_IDS: Final[list[int]] = list(range(101, 161))

LOOKUPS: Final[dict[str, list[Item]]] = {
    "/api/contacts/sources": CONTACT_SOURCES,
    "/api/contacts/tags": CONTACT_TAGS,
    "/api/contacts/custom-fields": CONTACT_CUSTOM_FIELDS,
    "/api/communication/channels": COMMUNICATION_CHANNELS,
    "/api/communication/tags": COMMUNICATION_TAGS,
    "/api/communication/custom-fields": COMMUNICATION_CUSTOM_FIELDS,
    "/api/calendar/categories": EVENT_CATEGORIES,
    "/api/calendar/statuses": EVENT_STATUSES,
    "/api/calendar/tags": EVENT_TAGS,
    "/api/calendar/custom-fields": EVENT_CUSTOM_FIELDS,
}
"""Every lookup route and the list it serves."""


def ids(items: list[Item]) -> list[int]:
    """The ids of a lookup list."""
    return [int(item["id"]) for item in items]
