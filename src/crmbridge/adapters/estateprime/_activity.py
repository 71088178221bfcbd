"""EstatePrime Communication ↔ canonical Activity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmbridge.adapters._base import Resolver
from crmbridge.adapters._support import int_id_ref, int_ref
from crmbridge.adapters.estateprime import wire
from crmbridge.adapters.estateprime._base import EstatePrimeMapping
from crmbridge.adapters.estateprime._common import (
    NOT_TRACKED,
    SYSTEM,
    BodyBuilder,
    extras_of,
    set_fields,
    wire_reader,
)
from crmbridge.canonical import Activity
from crmbridge.canonical._construct import construct

__all__ = ["ActivityMapping"]


class ActivityMapping(EstatePrimeMapping):
    """Reads and writes communications; ``unsupported`` paths of an activity."""

    # -- reading (built with ``construct``: see EstatePrimeMapping) ----------------------------

    def _read_communication(self, payload: Mapping[str, Any]) -> Activity:
        data = wire_reader("activity")(payload)
        extras = extras_of(payload, wire.Communication, NOT_TRACKED["activity"])
        memo = self._null_lists(payload, "activity")
        channel = self._channels.get(data["channel"])
        return construct(
            Activity,
            {
                "ref": int_ref(SYSTEM, "communication", data["id"]),
                "direction": data["type"],
                "channel": channel.type if channel else None,
                "channel_lookup": self._lookup("channel", data["channel"]),
                "occurred_at": self._read_instant(data["communication_date"], "communication_date", memo),
                "created_at": self._read_instant(data["date_created"], "date_created", memo),
                "user": int_id_ref(SYSTEM, "user", data["user_id"]),
                "contact": int_id_ref(SYSTEM, "contact", data["contact_id"]),
                "office": int_id_ref(SYSTEM, "office", data["store_id"]),
                "request": int_ref(SYSTEM, "request", data["request_id"]),
                "listings": self._refs("listing", data["listings"]),
                "tags": self._lookups("communication_tag", data["tags"]),
                "notes": data["comments"],
                "custom_fields": self._read_custom_fields("activity", data["custom_fields"], payload, memo, extras),
                "extras": self._with_memo(extras, memo),
            },
        )

    # -- writing -----------------------------------------------------------------------------

    def _communication_body(self, a: Activity, resolve: Resolver | None, body: BodyBuilder) -> None:
        body.put("channel", lambda: self._channel_id(a, resolve))
        body.put("user_id", lambda: self._ref_id(a.user, "user", "user", a, resolve))
        body.put("contact_id", lambda: self._ref_id(a.contact, "contact", "contact", a, resolve))
        body.put("store_id", lambda: self._office_id(a, resolve))
        body.put("type", lambda: a.direction)
        body.put(
            "communication_date", lambda: self._write_instant(a.occurred_at, "communication_date", a, "occurred_at")
        )
        body.put("request_id", lambda: self._ref_id(a.request, "request", "request", a, resolve))
        body.put("comments", lambda: a.notes)
        body.put("tags", lambda: self._list(a, "tags", self._lookup_ids(a.tags, "communication_tag", a, resolve)))
        body.put(
            "listings", lambda: self._list(a, "listings", self._ref_ids(a.listings, "listing", "listings", a, resolve))
        )
        body.put("custom_fields", lambda: self._custom_fields_body(a, resolve))

    def _office_id(self, a: Activity, resolve: Resolver | None) -> int | None:
        # A communication from a CRM without offices (Activix) goes to the default_office, if set.
        if a.office is None:
            return self.default_office
        return self._ref_id(a.office, "office", "office", a, resolve)

    def _channel_id(self, activity: Activity, resolve: Resolver | None) -> int | None:
        if activity.channel_lookup is not None:
            return self._lookup_id(activity.channel_lookup, "channel", "channel_lookup", activity, resolve)
        if activity.channel is not None:
            return self._channel_by_type.get(activity.channel)
        return None

    def _unsupported_activity(self, a: Activity, own: bool) -> list[str]:
        paths = set_fields(a, ("call", "email", "video", "updated_at"))
        if not own:
            paths += set_fields(a, ("created_at",))
        if a.channel_lookup is None and a.channel is not None and a.channel not in self._channel_by_type:
            paths.append("channel")
        paths += self._unknown_lookups(
            [a.channel_lookup] if a.channel_lookup else [], "channel", "channel_lookup", True
        )
        paths += self._unknown_lookups(a.tags, "communication_tag", "tags")
        return paths
