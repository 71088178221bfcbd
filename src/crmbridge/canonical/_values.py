"""Value objects held by canonical records (phones, addresses, calls, reminders, ...).

Value objects that a CRM may decorate with fields of its own carry ``extras`` like records do,
so that nothing a source sent is lost.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, JsonValue

from crmbridge.canonical._base import CanonicalModel, UtcDateTime

__all__ = [
    "Address",
    "Call",
    "CallStatus",
    "EmailAddress",
    "EmailMessage",
    "Person",
    "Phone",
    "Reminder",
    "RemoteMeeting",
    "Video",
]

Extras = Annotated[dict[str, JsonValue], Field(default_factory=dict)]

CallStatus = Literal["answered", "attempted", "calling", "error", "interrupted", "pending", "unanswered"]
"""Known call statuses (Activix's seven):

- ``answered``: the customer answered; the call is completed.
- ``attempted``: the user tried to reach the customer, who did not answer.
- ``calling``: the user is talking with the customer right now.
- ``error``: the call failed for a technical reason (normally a server problem).
- ``interrupted``: an incoming call where the customer hung up before a user picked up.
- ``pending``: the starting state of a click-to-call call.
- ``unanswered``: a click-to-call call that no user answered.

Any other value a CRM sends is kept as the plain string it sent.
"""


class Phone(CanonicalModel):
    """A phone number as the source wrote it, plus its E.164 form when it could be derived."""

    number: str
    kind: str | None = None
    note: str | None = None
    e164: str | None = None
    extension: str | None = None
    is_primary: bool = False
    extras: Extras


class EmailAddress(CanonicalModel):
    """An email address with its label ("personal", "work", ...)."""

    address: str
    kind: str | None = None
    note: str | None = None
    is_primary: bool = False
    extras: Extras


class Address(CanonicalModel):
    """A postal address; ``full`` is the one-line form when the source gives one."""

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    full: str | None = None
    kind: str | None = None
    extras: Extras


class Person(CanonicalModel):
    """Somebody related to a contact (EstatePrime contact_details, a Rechat partner, ...).

    ``relation`` says how the person is related when the source says it ("partner").
    """

    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    email: str | None = None
    note: str | None = None
    relation: str | None = None
    extras: Extras


class Call(CanonicalModel):
    """What is known of a phone call: its length in seconds, the customer's number, its status."""

    duration_s: Annotated[int, Field(ge=0)] | None = None
    phone: str | None = None
    status: CallStatus | str | None = None


class EmailMessage(CanonicalModel):
    """An email's subject, body and the user's address it was sent from or to."""

    subject: str | None = None
    body: str | None = None
    user_address: str | None = None

    def __repr__(self) -> str:
        # The body is private correspondence: keep it out of reprs (and so out of logs).
        body = "None" if self.body is None else f"<{len(self.body)} chars>"
        return f"EmailMessage(subject={self.subject!r}, body={body}, user_address={self.user_address!r})"

    __str__ = __repr__


class Video(CanonicalModel):
    """A video communication's URL."""

    url: str | None = None


class Reminder(CanonicalModel):
    """A reminder at a fixed instant.

    ``relative`` reminders keep their offset from the task's due date: see
    :meth:`crmbridge.canonical.Task.reschedule`.
    """

    at: UtcDateTime
    relative: bool = False
    extras: Extras


class RemoteMeeting(CanonicalModel):
    """The online meeting of an event: provider ("Google Meet", "Zoom", ...), URL and meeting id."""

    provider: str | None = None
    url: str | None = None
    meeting_id: str | None = None
    extras: Extras
