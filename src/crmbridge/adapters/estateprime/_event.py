"""EstatePrime calendar Event ↔ canonical Event: timed and full-day bounds, the remote meeting."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from crmbridge.adapters._base import Resolver
from crmbridge.adapters._support import int_ref
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._base import EstatePrimeMapping
from crmbridge.adapters.estateprime._common import (
    NOT_TRACKED,
    SYSTEM,
    BodyBuilder,
    extras_of,
    foreign_nested,
    memo_day,
    set_fields,
    value_object,
    wire_memo,
    wire_reader,
)
from crmbridge.adapters.estateprime._time import format_date, format_datetime
from crmbridge.canonical import Event, RemoteMeeting
from crmbridge.canonical._construct import construct

__all__ = ["EventMapping"]


class EventMapping(EstatePrimeMapping):
    """Reads and writes calendar events; ``unsupported`` paths of an event."""

    # -- reading (built with ``construct``: see EstatePrimeMapping) ----------------------------

    def _read_event(self, payload: Mapping[str, Any]) -> Event:
        data = wire_reader("event")(payload)
        extras = extras_of(payload, wire.Event, NOT_TRACKED["event"])
        memo = self._null_lists(payload, "event")
        full_day = data["full_day"]
        starts_at, start_date = self._read_bound(data["date_starting"], full_day, "date_starting", memo)
        ends_at, end_date = self._read_bound(data["date_ending"], full_day, "date_ending", memo)
        meeting = data["remote_meeting"]
        return construct(
            Event,
            {
                "ref": int_ref(SYSTEM, "event", data["id"]),
                "title": data["title"],
                "description": data["description"],
                "all_day": full_day,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "start_date": start_date,
                "end_date": end_date,
                "status": self._lookup("event_status", data["status_id"]),
                "category": self._lookup("event_category", data["category_id"]),
                "contacts": self._refs("contact", data["contacts"]),
                "users": self._refs("user", data["users"]),
                "is_public": data["is_public"],
                "is_online": data["is_online"],
                "tags": self._lookups("event_tag", data["tags"]),
                "remote_meeting": None
                if meeting is None
                else value_object(
                    RemoteMeeting,
                    {
                        "provider": meeting["type"],
                        "url": meeting["meeting_url"],
                        "meeting_id": meeting["meeting_id"],
                        "extras": extras_of(payload["remote_meeting"], wire.RemoteMeeting),
                    },
                    "event",
                    "remote_meeting",
                ),
                "created_by": int_ref(SYSTEM, "user", data["created_by"]),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "custom_fields": self._read_custom_fields("event", data["custom_fields"], payload, memo, extras),
                "extras": self._with_memo(extras, memo),
            },
        )

    def _read_bound(
        self, value: datetime | date, full_day: bool | None, key: str, memo: dict[str, Any]
    ) -> tuple[datetime | None, date | None]:
        """``(starts_at, start_date)`` of an event bound; full-day bounds are dates."""
        if full_day is True:
            if isinstance(value, datetime):
                memo[key] = format_datetime(value)  # a date does not say the time: keep it
                return None, value.date()
            return None, value
        if isinstance(value, datetime):
            return self._read_instant(value, key, memo), None
        return None, value

    # -- writing -----------------------------------------------------------------------------

    def _event_body(self, e: Event, resolve: Resolver | None, body: BodyBuilder) -> None:
        body.put("full_day", lambda: e.all_day)
        body.put("date_starting", lambda: self._write_bound(e, e.starts_at, e.start_date, "date_starting", "starts_at"))
        body.put("date_ending", lambda: self._write_bound(e, e.ends_at, e.end_date, "date_ending", "ends_at"))
        body.put("created_by", lambda: self._ref_id(e.created_by, "user", "created_by", e, resolve))
        body.put("status_id", lambda: self._lookup_id(e.status, "event_status", "status", e, resolve))
        body.put("category_id", lambda: self._lookup_id(e.category, "event_category", "category", e, resolve))
        body.put(
            "contacts", lambda: self._list(e, "contacts", self._ref_ids(e.contacts, "contact", "contacts", e, resolve))
        )
        body.put("users", lambda: self._list(e, "users", self._ref_ids(e.users, "user", "users", e, resolve)))
        body.put("title", lambda: e.title)
        body.put("description", lambda: e.description)
        body.put("is_public", lambda: e.is_public)
        body.put("is_online", lambda: e.is_online)
        body.put("tags", lambda: self._list(e, "tags", self._lookup_ids(e.tags, "event_tag", e, resolve)))
        body.put("remote_meeting", lambda: self._meeting_body(e))
        body.put("custom_fields", lambda: self._custom_fields_body(e, resolve))

    def _write_bound(
        self, event: Event, instant: datetime | None, day: date | None, key: str, field: str
    ) -> str | None:
        if event.all_day is True:
            if day is None and instant is not None:
                day = self._local(instant, event, field).date()
            if day is None:
                return None
            original = wire_memo(event.extras, key) if self.owns(event) else ...
            if isinstance(original, str) and memo_day(original) == day:
                return original
            return format_date(day)
        if instant is not None:
            return self._write_instant(instant, key, event, field)
        return None if day is None else format_date(day)

    def _meeting_body(self, event: Event) -> dict[str, Any] | None:
        meeting = event.remote_meeting
        if meeting is None:
            return None
        fields = {"type": meeting.provider, "meeting_url": meeting.url, "meeting_id": meeting.meeting_id}
        return self._nested(fields, meeting.extras, self.owns(event))

    def _unsupported_event(self, e: Event, own: bool) -> list[str]:
        paths = set_fields(e, ("updated_at",))
        if not own:
            paths += set_fields(e, ("created_at",))
        # One wire field holds each bound: when both canonical forms are set, one is not written.
        for at, day in (("starts_at", "start_date"), ("ends_at", "end_date")):
            if getattr(e, at) is not None and getattr(e, day) is not None:
                paths.append(at if e.all_day is True else day)
        if e.remote_meeting is not None:
            paths += foreign_nested("remote_meeting", e.remote_meeting.extras, own)
        for name, lookup, kind in (("status", e.status, "event_status"), ("category", e.category, "event_category")):
            paths += self._unknown_lookups([lookup] if lookup else [], kind, name, single=True)
        paths += self._unknown_lookups(e.tags, "event_tag", "tags")
        return paths
