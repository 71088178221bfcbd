"""The canonical records: time rules, open enums, custom field values, reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from crmbridge.canonical import (
    CUSTOM_FIELD_TYPES,
    RECORD_TYPES,
    Activity,
    Call,
    Contact,
    CustomFieldValue,
    EmailMessage,
    Event,
    Lookup,
    Money,
    Ref,
    Reminder,
    Task,
)

FIELD = Ref("estateprime", "custom_field", "1")


def test_naive_datetime_is_rejected() -> None:
    """A naive datetime given to a canonical model is a validation error."""
    with pytest.raises(ValidationError, match="timezone"):
        Contact(created_at=datetime(2025, 1, 15, 18, 0, 5))


def test_aware_datetime_is_normalised_to_utc() -> None:
    """An aware datetime in another zone becomes the same instant in UTC."""
    athens = timezone(timedelta(hours=2))
    contact = Contact(created_at=datetime(2025, 1, 15, 18, 0, 5, tzinfo=athens))
    assert contact.created_at == datetime(2025, 1, 15, 16, 0, 5, tzinfo=UTC)
    assert contact.created_at is not None
    assert contact.created_at.utcoffset() == timedelta(0)
    assert contact.created_at.tzinfo is UTC


def test_records_are_frozen_and_forbid_unknown_fields() -> None:
    """Records cannot be mutated and refuse fields the model does not define."""
    contact = Contact(first_name="John")
    with pytest.raises(ValidationError):
        contact.first_name = "Jane"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        Contact.model_validate({"first_nam": "John"})


def test_open_enums_keep_unknown_values() -> None:
    """Unknown channel, direction, call status and task kind values are kept exactly."""
    activity = Activity(channel="fax", direction="internal", call=Call(status="voicemail"))
    assert (activity.channel, activity.direction) == ("fax", "internal")
    assert activity.call is not None
    assert activity.call.status == "voicemail"
    assert Task(kind="Showing").kind == "Showing"


def test_task_status_defaults_to_pending() -> None:
    """A new Task is pending unless told otherwise."""
    assert Task(title="Call back").status == "pending"


def test_record_types_cover_the_four_kinds() -> None:
    """RECORD_TYPES maps each canonical kind to its class and the class knows its kind."""
    assert RECORD_TYPES == {"contact": Contact, "activity": Activity, "task": Task, "event": Event}
    assert all(cls.KIND == kind for kind, cls in RECORD_TYPES.items())


def test_reschedule_moves_relative_reminders_only() -> None:
    """Moving the due date moves relative reminders by the same amount and leaves fixed ones."""
    due = datetime(2025, 12, 8, 3, 14, 14, tzinfo=UTC)
    relative = Reminder(at=due - timedelta(hours=2), relative=True, extras={"id": "r1"})
    fixed = Reminder(at=due - timedelta(hours=1), relative=False)
    task = Task(title="t", due_at=due, reminders=[relative, fixed])
    moved = task.reschedule(due + timedelta(days=1))
    assert moved.due_at == due + timedelta(days=1)
    assert moved.reminders[0].at == due + timedelta(days=1) - timedelta(hours=2)
    assert moved.reminders[0].extras == {"id": "r1"}
    assert moved.reminders[1].at == fixed.at
    assert task.due_at == due, "the original task is unchanged"


def test_reschedule_without_previous_due_date_keeps_reminders() -> None:
    """A task that had no due date gets one, and its reminders stay where they were."""
    at = datetime(2025, 1, 1, tzinfo=UTC)
    task = Task(reminders=[Reminder(at=at, relative=True)])
    moved = task.reschedule(datetime(2025, 2, 1, tzinfo=UTC))
    assert moved.due_at == datetime(2025, 2, 1, tzinfo=UTC)
    assert moved.reminders[0].at == at


def test_email_body_stays_out_of_repr() -> None:
    """The repr of an email message (and so of an Activity) never shows the body."""
    secret = "my bank password is hunter2"
    activity = Activity(email=EmailMessage(subject="Hi", body=secret, user_address="a@b.c"))
    assert secret not in repr(activity)
    assert secret not in str(activity.email)
    assert "<27 chars>" in repr(activity.email)


VALID_VALUES: dict[str, tuple[Any, Any]] = {
    "text": ("Preferred buyer", "Preferred buyer"),
    "textarea": ("line\nline", "line\nline"),
    "wysiwyg": ("<b>x</b>", "<b>x</b>"),
    "number": ("12.5", Decimal("12.5")),
    "formatted_number": (1000000.25, Decimal("1000000.25")),
    "select": (
        {"ref": "estateprime:custom_field_option:2", "name": "Email"},
        Lookup(ref=Ref.parse("estateprime:custom_field_option:2"), name="Email"),
    ),
    "select_multi": ([{"name": "Phone"}], [Lookup(name="Phone")]),
    "checkbox": (True, True),
    "file": ("https://x/f.pdf", "https://x/f.pdf"),
    "file_multi": (["https://x/a", "https://x/b"], ["https://x/a", "https://x/b"]),
    "image": ("https://x/i.png", "https://x/i.png"),
    "image_multi": (["https://x/i.png"], ["https://x/i.png"]),
    "address": ("Bellariastraße 6, 1010 Wien, Austria", "Bellariastraße 6, 1010 Wien, Austria"),
    "url": ("https://example.com", "https://example.com"),
    "date": ("2025-10-18", date(2025, 10, 18)),
    "datetime": ("2025-10-18T18:24:10+03:00", datetime(2025, 10, 18, 15, 24, 10, tzinfo=UTC)),
    "currency": ({"amount": "1000000.25", "currency": "€"}, Money(amount=Decimal("1000000.25"), currency="€")),
    "user": ("estateprime:user:10", Ref("estateprime", "user", "10")),
    "user_multi": (
        ["estateprime:user:2", "estateprime:user:5"],
        [Ref("estateprime", "user", "2"), Ref("estateprime", "user", "5")],
    ),
    "contact": ({"system": "estateprime", "kind": "contact", "id": "45"}, Ref("estateprime", "contact", "45")),
    "contact_multi": ([], []),
}


def test_every_custom_field_type_has_a_case() -> None:
    """The table of cases covers exactly the 21 documented custom field types."""
    assert set(VALID_VALUES) == set(CUSTOM_FIELD_TYPES)
    assert len(CUSTOM_FIELD_TYPES) == 21


@pytest.mark.parametrize("field_type", CUSTOM_FIELD_TYPES)
def test_custom_field_value_is_normalised_by_type(field_type: str) -> None:
    """Each type turns its JSON form into the documented canonical value, and JSON brings it back."""
    given, expected = VALID_VALUES[field_type]
    value = CustomFieldValue(field=FIELD, type=field_type, value=given)  # type: ignore[arg-type]
    assert value.value == expected
    assert CustomFieldValue.model_validate_json(value.model_dump_json()) == value


@pytest.mark.parametrize(
    ("field_type", "bad"),
    [
        ("number", "abc"),
        ("date", "18/10/2025"),
        ("datetime", "2025-10-18 18:24:10"),
        ("user", "10"),
        ("checkbox", [1]),
        ("file_multi", "https://x"),
        ("currency", "1,000€"),
        ("number", "NaN"),
    ],
)
def test_custom_field_value_of_the_wrong_shape_is_refused(field_type: str, bad: Any) -> None:
    """A value that does not fit its type is a validation error."""
    with pytest.raises(ValidationError):
        CustomFieldValue(field=FIELD, type=field_type, value=bad)  # type: ignore[arg-type]


def test_custom_field_without_type_passes_json_through() -> None:
    """Without a known type, any JSON value is kept unchanged; None is always allowed."""
    assert CustomFieldValue(field=FIELD, value=[2, 3]).value == [2, 3]
    assert CustomFieldValue(field=FIELD, type="date", value=None).value is None
    with pytest.raises(ValidationError):
        CustomFieldValue(field=FIELD, value=object())
