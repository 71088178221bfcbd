"""The base of every canonical model and the shared field types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict

__all__ = ["CanonicalModel", "UtcDateTime"]


class CanonicalModel(BaseModel):
    """Immutable, strict about unknown fields: the canonical model is a contract.

    No NaN or infinity anywhere (``allow_inf_nan=False``, which reaches the floats inside
    ``extras``): they are not JSON, so a record holding one could not be written as JSON.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False, allow_inf_nan=False)


def _to_utc(value: datetime) -> datetime:
    # AwareDatetime already refused naive values; normalising the zone makes equality and
    # JSON output independent of the offset a source happened to use.
    if value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware datetime, normalised to UTC. A naive datetime is a validation error."""
