"""Input checking for the Activix sandbox: Laravel-style 422 errors, field kinds, dates and phones."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, Literal

import phonenumbers

from crmbridge.sandbox.activix._http import Invalid

__all__ = [
    "Errors",
    "Kind",
    "check_value",
    "refuse_unknown",
    "format_timestamp",
    "parse_date",
    "parse_datetime",
    "to_e164",
    "valid_email",
]

Kind = Literal["string", "integer", "boolean", "date", "datetime", "number"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Errors:
    """Collects ``field -> [messages]`` and raises one 422 with all of them."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        """Record one message for ``field``."""
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        """Raise :class:`Invalid` when anything was recorded."""
        if self.fields:
            raise Invalid(self.fields)


def refuse_unknown(errors: Errors, body: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    """A 422 message for each key of ``body`` outside ``allowed``: the OpenAPI file closes these bodies."""
    known = set(allowed)
    for key in body:
        if key not in known:
            errors.add(f"{prefix}{key}", f"The {prefix}{key} field is not allowed.")


def format_timestamp(moment: datetime) -> str:
    """UTC, whole seconds, with the ``+00:00`` suffix the vendor's examples show; always a 4-digit year.

    (``strftime("%Y")`` writes year 536 as ``536`` on glibc, which is no ISO 8601 date-time.)
    """
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_datetime(value: str) -> datetime | None:
    """An aware datetime from ISO 8601 (any offset; none means UTC), or None when unparseable.

    An instant outside years 1 to 9999 in UTC (``0001-01-01T00:00:00+05:00``) is unparseable too:
    the sandbox stores and compares instants in UTC.
    """
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment


def parse_date(value: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None."""
    if not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def to_e164(value: str) -> str | None:
    """``value`` as E.164 (North America when it has no country code), or None when it is no number."""
    try:
        parsed = phonenumbers.parse(value, "CA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def valid_email(address: str) -> bool:
    """Whether ``address`` looks like an email address (the read-only ``valid`` flag)."""
    return bool(_EMAIL.match(address))


def check_value(errors: Errors, field: str, value: Any, kind: Kind) -> Any:
    """``value`` converted to what the store keeps for ``kind``; records an error and returns None if wrong.

    ``None`` always passes: every Activix field is nullable.
    """
    if value is None:
        return None
    checker = _CHECKERS[kind]
    converted, message = checker(value)
    if message is not None:
        errors.add(field, f"The {field} {message}.")
        return None
    return converted


def _string(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, str) else (None, "must be a string")


def _integer(value: Any) -> tuple[Any, str | None]:
    # Laravel's integer rule accepts numeric strings too; booleans are not integers.
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value), None
    return None, "must be an integer"


def _number(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value, None
    return None, "must be a number"


def _boolean(value: Any) -> tuple[Any, str | None]:
    return (value, None) if isinstance(value, bool) else (None, "field must be true or false")


def _date(value: Any) -> tuple[Any, str | None]:
    if isinstance(value, str) and parse_date(value) is not None:
        return value, None
    return None, "is not a valid date (YYYY-MM-DD)"


def _datetime(value: Any) -> tuple[Any, str | None]:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        return None, "is not a valid ISO 8601 datetime"
    return format_timestamp(moment), None


_CHECKERS = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
}
