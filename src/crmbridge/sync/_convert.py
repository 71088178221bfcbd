"""Conversions between canonical kinds, for targets that lack a kind (off unless asked for).

The policy is explicit and documented field by field; what a conversion cannot carry is reported
like any other loss.

``event -> task`` (e.g. EstatePrime calendar events into Rechat, which has tasks, not events):

============================  =========================================================
Event                         Task
============================  =========================================================
title, description            title, description
starts_at (timed)             due_at
start_date (all day)          due_at = that day 00:00 UTC, all_day = True
ends_at / end_date            ends_at (end_date: that day 00:00 UTC)
all_day                       all_day
contacts                      contacts
users                         assignees
created_by, created_at        created_by, created_at
(the event's end is past)     status "done", otherwise "pending"
--                            kind "todo"
status, category, tags,       not carried: reported as lost
is_public, is_online,
remote_meeting, custom_fields
============================  =========================================================
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from crmbridge.canonical import Event, Record, Task

__all__ = ["CONVERSIONS", "Conversion", "event_to_task"]

Conversion = Callable[[Record, datetime], tuple[Record, list[str]]]


def _midnight(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def _event_losses(event: Event) -> list[str]:
    lost = [name for name in ("status", "category", "remote_meeting") if getattr(event, name) is not None]
    lost += [name for name in ("is_public", "is_online") if getattr(event, name)]
    lost += [f"tags[{i}]" for i in range(len(event.tags))]
    lost += [f"custom_fields[{i}]" for i in range(len(event.custom_fields))]
    return lost


def event_to_task(record: Record, now: datetime) -> tuple[Record, list[str]]:
    """The Task standing for an Event (see the module table), and the event fields it drops."""
    if not isinstance(record, Event):
        raise TypeError(f"event_to_task converts events, not {type(record).__name__}")
    event = record
    due = event.starts_at or _midnight(event.start_date)
    ends = event.ends_at or _midnight(event.end_date)
    finished = (ends or due) is not None and (ends or due) < now  # type: ignore[operator]
    task = Task(
        ref=event.ref,
        title=event.title,
        description=event.description,
        kind="todo",
        status="done" if finished else "pending",
        due_at=due,
        ends_at=ends,
        all_day=True if event.start_date is not None and event.starts_at is None else event.all_day,
        assignees=event.users,
        contacts=event.contacts,
        created_by=event.created_by,
        created_at=event.created_at,
        extras={},
    )
    return task, _event_losses(event)


CONVERSIONS: dict[tuple[str, str], Conversion] = {("event", "task"): event_to_task}
"""(source kind, target kind) -> conversion."""
