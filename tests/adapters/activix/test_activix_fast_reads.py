"""Reading on the fast path gives exactly the reference read: records equal field by field, or the same error.

The reference (``reference_reads()``) structures with the cattrs converter alone and validates
every canonical model it builds; the fast path validates once with the compiled wire reader and
builds the canonical models without validating them again.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crmbridge.adapters._fastwire import reference_reads
from crmbridge.errors import MappingError

from ..._equality import typed
from .test_activix_properties import ADAPTER, broken_payloads, communications, leads


def outcome(kind: str, payload: Any) -> Any:
    try:
        record = ADAPTER.to_canonical(kind, payload)
        embedded = ADAPTER.embedded_activities(payload) if kind == "contact" else []
    except MappingError as error:
        return ("error", error.system, error.kind, error.path, str(error))
    return ("record", typed(record), sorted(record.model_fields_set), [typed(a) for a in embedded])


def same_both_ways(kind: str, payload: Any) -> None:
    fast = outcome(kind, payload)
    with reference_reads():
        reference = outcome(kind, payload)
    assert fast == reference


@given(payload=communications())
def test_valid_communications_read_as_the_reference(payload: dict[str, Any]) -> None:
    """Valid communications give the reference Activity: same values, same types, same fields set."""
    same_both_ways("activity", payload)


@given(payload=leads(), embedded=st.lists(communications(), max_size=2))
def test_valid_leads_read_as_the_reference(payload: dict[str, Any], embedded: list[dict[str, Any]]) -> None:
    """Valid leads (with embedded communications) give the reference Contact and Activities."""
    same_both_ways("contact", {**payload, "communications": embedded})


@given(case=broken_payloads())
def test_broken_payloads_read_as_the_reference(case: tuple[str, Any]) -> None:
    """A damaged example gives the reference record or the reference error."""
    same_both_ways(*case)
