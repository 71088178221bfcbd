"""Records built without a second validation equal records validated in full, field by field.

The adapter validates a payload once, with its wire reader, and builds the canonical models with
``construct`` (no validation). Inside ``validating()`` every model is validated in full instead:
equal records (values and types) or the same error prove the adapter hands
``construct`` only valid values.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmbridge.canonical._construct import validating
from crmbridge.errors import MappingError

from ..._equality import typed
from .test_activix_properties import ADAPTER, broken_payloads, communications, leads


def outcome(kind: str, payload: Any) -> Any:
    try:
        record = ADAPTER.to_canonical(kind, payload)
        embedded = ADAPTER.embedded_activities(payload) if kind == "contact" else []
    except MappingError as error:
        return ("error", error.system, error.kind, error.path, str(error))
    return ("record", typed(record), [typed(a) for a in embedded])


def same_both_ways(kind: str, payload: Any) -> None:
    fast = outcome(kind, payload)
    with validating():
        reference = outcome(kind, payload)
    assert fast == reference


@given(payload=communications())
def test_valid_communications_read_as_validated_records(payload: dict[str, Any]) -> None:
    """Valid communications give the validated Activity: same values, same types."""
    same_both_ways("activity", payload)


@given(payload=leads(), embedded=st.lists(communications(), max_size=2))
def test_valid_leads_read_as_validated_records(payload: dict[str, Any], embedded: list[dict[str, Any]]) -> None:
    """Valid leads (with embedded communications) give the validated Contact and Activities."""
    same_both_ways("contact", {**payload, "communications": embedded})


@given(case=broken_payloads())
def test_broken_payloads_read_as_validated_records(case: tuple[str, Any]) -> None:
    """A damaged example gives the validated record or the same error."""
    same_both_ways(*case)
