"""The canonical records: Contact, Activity, Task and Event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, JsonValue

from crmbridge.canonical._base import CanonicalModel, UtcDateTime
from crmbridge.canonical._custom_fields import CustomFieldValue
from crmbridge.canonical._refs import Lookup, Ref
from crmbridge.canonical._values import (
    Address,
    Call,
    EmailAddress,
    EmailMessage,
    Person,
    Phone,
    Reminder,
    RemoteMeeting,
    Video,
)

__all__ = [
    "RECORD_TYPES",
    "Activity",
    "Channel",
    "Contact",
    "Direction",
    "Event",
    "Record",
    "Task",
    "TaskKind",
    "TaskStatus",
]

Direction = Literal["incoming", "outgoing"]
Channel = Literal["phone", "email", "sms", "video"]
TaskKind = Literal["call", "message", "todo"]
TaskStatus = Literal["pending", "done"]


class Record(CanonicalModel):
    """What every canonical record has.

    ``ref`` is the record's identity in the system it was read from (None until written
    somewhere). ``extras`` holds the source fields with no canonical home, keyed by their source
    name; they belong to the system of ``ref`` and are only written back to that system.
    """

    KIND: ClassVar[str]

    ref: Ref | None = None
    extras: Annotated[dict[str, JsonValue], Field(default_factory=dict)]


class Contact(Record):
    """A person or company the brokerage deals with (an Activix lead is a Contact)."""

    KIND: ClassVar[str] = "contact"

    title: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    nickname: str | None = None
    display_name: str | None = None
    company_name: str | None = None
    is_company: bool | None = None
    is_lead: bool | None = None
    job_title: str | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[EmailAddress] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    notes: str | None = None
    birthday: date | None = None
    websites: list[str] = Field(default_factory=list)
    tags: list[Lookup] = Field(default_factory=list)
    source: Lookup | None = None
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)
    related_people: list[Person] = Field(default_factory=list)
    owners: list[Ref] = Field(default_factory=list)
    created_by: Ref | None = None
    updated_by: Ref | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    converted_at: UtcDateTime | None = None
    deleted_at: UtcDateTime | None = None


class Activity(Record):
    """A logged communication with a contact: a call, an email, a text, a video meeting.

    ``channel`` and ``direction`` are open enums: a value the canonical model does not know is
    kept exactly as the source sent it.
    """

    KIND: ClassVar[str] = "activity"

    direction: Direction | str | None = None
    channel: Channel | str | None = None
    channel_lookup: Lookup | None = None
    occurred_at: UtcDateTime | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    user: Ref | None = None
    contact: Ref | None = None
    office: Ref | None = None
    request: Ref | None = None
    listings: list[Ref] = Field(default_factory=list)
    tags: list[Lookup] = Field(default_factory=list)
    notes: str | None = None
    call: Call | None = None
    email: EmailMessage | None = None
    video: Video | None = None
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)


class Task(Record):
    """Something a user has to do by a due date, with reminders and linked records."""

    KIND: ClassVar[str] = "task"

    title: str | None = None
    description: str | None = None
    kind: TaskKind | str | None = None
    status: TaskStatus | str = "pending"
    due_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None
    all_day: bool | None = None
    assignees: list[Ref] = Field(default_factory=list)
    created_by: Ref | None = None
    updated_by: Ref | None = None
    contacts: list[Ref] = Field(default_factory=list)
    listings: list[Ref] = Field(default_factory=list)
    deals: list[Ref] = Field(default_factory=list)
    reminders: list[Reminder] = Field(default_factory=list)
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    deleted_at: UtcDateTime | None = None

    def reschedule(self, due_at: datetime) -> Task:
        """A copy due at ``due_at``: relative reminders move with the due date, fixed ones stay."""
        new = Task.model_validate({**self.model_dump(), "due_at": due_at})
        if self.due_at is None or new.due_at is None:
            return new
        shift = new.due_at - self.due_at
        reminders = [r.model_copy(update={"at": r.at + shift}) if r.relative else r for r in self.reminders]
        return new.model_copy(update={"reminders": reminders})


class Event(Record):
    """A calendar event. Timed events use ``starts_at``/``ends_at``; all-day events use dates."""

    KIND: ClassVar[str] = "event"

    title: str | None = None
    description: str | None = None
    all_day: bool | None = None
    starts_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: Lookup | None = None
    category: Lookup | None = None
    contacts: list[Ref] = Field(default_factory=list)
    users: list[Ref] = Field(default_factory=list)
    is_public: bool | None = None
    is_online: bool | None = None
    tags: list[Lookup] = Field(default_factory=list)
    remote_meeting: RemoteMeeting | None = None
    created_by: Ref | None = None
    created_at: UtcDateTime | None = None
    updated_at: UtcDateTime | None = None
    custom_fields: list[CustomFieldValue] = Field(default_factory=list)


RECORD_TYPES: dict[str, type[Record]] = {cls.KIND: cls for cls in (Contact, Activity, Task, Event)}
"""Canonical kind name -> record class."""
