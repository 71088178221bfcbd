"""Rechat's clock: epoch seconds as floats, kept exact to the microsecond both ways.

Rechat sends ``1765163654.099`` (milliseconds) and ``1765163654.156179`` (microseconds). A float
multiplied by 10**6 drifts, so the conversion goes through the float's shortest decimal form
(``repr``), which is exactly the decimal Rechat wrote, and integer microseconds from there.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

__all__ = ["date_from_iso", "date_to_epoch", "epoch_to_datetime", "datetime_to_epoch"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_MICROS_PER_SECOND = Decimal(1_000_000)


def _epoch_micros(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected epoch seconds (a number)")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number of epoch seconds")
    # repr() is the shortest decimal that reads back as this float: the digits Rechat sent.
    seconds = Decimal(value) if isinstance(value, int) else Decimal(repr(value))
    return int((seconds * _MICROS_PER_SECOND).to_integral_value(rounding=ROUND_HALF_EVEN))


def epoch_to_datetime(value: Any) -> dt.datetime:
    """The aware UTC datetime of ``value`` epoch seconds (rounded to the microsecond)."""
    micros = _epoch_micros(value)
    try:
        return _EPOCH + dt.timedelta(microseconds=micros)
    except OverflowError:
        raise ValueError("epoch seconds out of the supported date range") from None


def datetime_to_epoch(value: dt.datetime) -> float:
    """Epoch seconds of an aware datetime, as the float nearest the exact decimal value."""
    micros = (value - _EPOCH) // _MICROSECOND
    return float(Decimal(micros) / _MICROS_PER_SECOND)


def date_to_epoch(value: dt.date) -> float:
    """Epoch seconds of midnight UTC of ``value``: the form Rechat's date attributes take."""
    return datetime_to_epoch(dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC))


def date_from_iso(value: Any) -> dt.date:
    """The calendar date of an ISO string with or without a time part ("1970-01-12T00:00:00.000Z")."""
    if not isinstance(value, str):
        raise TypeError("expected an ISO date string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("expected an ISO 8601 date") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return parsed.date()
