"""EstatePrime's naive local timestamps ``YYYY-MM-DD HH:MM:SS`` and dates ``YYYY-MM-DD``.

The two layouts are written once, here (:data:`DATETIME_LAYOUT`, :data:`DATE_LAYOUT`): the shape
checks of the parsers, the client's range bounds and the wire schema's patterns are derived from
them, and the error messages quote them. Parsing checks the exact shape with a regex and then
uses ``fromisoformat`` (much faster than ``strptime``). :class:`LocalClock` turns the naive local
times of one account's timezone into aware UTC and back; see :mod:`crmbridge.adapters.estateprime.mapping`
for the DST rules.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "DATETIME_LAYOUT",
    "DATETIME_PATTERN",
    "DATETIME_SHAPE",
    "DATE_LAYOUT",
    "DATE_PATTERN",
    "DATE_SHAPE",
    "LocalClock",
    "format_date",
    "format_datetime",
    "parse_date",
    "parse_datetime",
    "parse_date_or_datetime",
]

DATETIME_LAYOUT: Final = "YYYY-MM-DD HH:MM:SS"
"""EstatePrime's wire date-time: the account's local wall time, whole seconds, no offset."""
DATE_LAYOUT: Final = "YYYY-MM-DD"
"""EstatePrime's wire date."""


def _pattern(layout: str) -> str:
    """The regular expression of a layout: each run of letters is that many ASCII digits."""
    return re.sub(r"([A-Z])\1*", lambda run: f"[0-9]{{{len(run[0])}}}", layout)


DATETIME_PATTERN: Final = _pattern(DATETIME_LAYOUT)
"""``[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}`` (ASCII digits only, also in pydantic-core)."""
DATE_PATTERN: Final = _pattern(DATE_LAYOUT)
DATETIME_SHAPE: Final = re.compile(DATETIME_PATTERN)
DATE_SHAPE: Final = re.compile(DATE_PATTERN)


def parse_datetime(text: str) -> datetime:
    """The naive datetime of ``YYYY-MM-DD HH:MM:SS``; ValueError for any other shape."""
    if not DATETIME_SHAPE.fullmatch(text):
        raise ValueError(f"expected a date-time in the format {DATETIME_LAYOUT}")
    return datetime.fromisoformat(text)


def parse_date(text: str) -> date:
    """The date of ``YYYY-MM-DD``; ValueError for any other shape."""
    if not DATE_SHAPE.fullmatch(text):
        raise ValueError(f"expected a date in the format {DATE_LAYOUT}")
    return date.fromisoformat(text)


def parse_date_or_datetime(text: str) -> date | datetime:
    """A naive datetime for ``YYYY-MM-DD HH:MM:SS``, a date for ``YYYY-MM-DD``."""
    # The two shapes differ in length, so one length test picks the parser.
    return parse_date(text) if len(text) == len(DATE_LAYOUT) else parse_datetime(text)


def format_datetime(value: datetime) -> str:
    """:data:`DATETIME_LAYOUT` of a naive local datetime (seconds precision)."""
    # isoformat pads the year to four digits (strftime's %Y does not for years before 1000).
    return value.replace(microsecond=0).isoformat(" ")


def format_date(value: date) -> str:
    """:data:`DATE_LAYOUT` of a date."""
    return value.isoformat()


class LocalClock:
    """Converts between one account's naive local times and aware UTC datetimes."""

    __slots__ = ("_is_utc", "zone")

    def __init__(self, timezone: str) -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {timezone!r}") from None
        self._is_utc = timezone in ("UTC", "Etc/UTC")

    def to_utc(self, local: datetime) -> tuple[datetime, bool]:
        """The UTC instant of a naive local time, and whether formatting it back gives ``local``.

        An ambiguous time (autumn fold) reads as its first occurrence (``fold=0``). A
        non-existent time (spring gap) reads with the offset in force before the gap, so it is
        an hour later once formatted back: the caller keeps the original string (``exact`` is
        False).
        """
        if self._is_utc:
            return local.replace(tzinfo=UTC), True
        instant = local.replace(tzinfo=self.zone).astimezone(UTC)
        return instant, self.to_local(instant) == local

    def to_local(self, instant: datetime) -> datetime:
        """The naive local time of an aware datetime."""
        if self._is_utc:
            return instant.astimezone(UTC).replace(tzinfo=None)
        return instant.astimezone(self.zone).replace(tzinfo=None)
