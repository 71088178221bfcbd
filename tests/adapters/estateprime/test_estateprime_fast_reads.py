"""Reading on the fast path gives exactly the reference read: records equal field by field, or the same error.

The reference (``reference_reads()``) structures with the cattrs converter alone and validates
every canonical model it builds; the fast path validates once with the compiled wire reader and
builds the canonical models without validating them again. Payloads: the round-trip strategies
(valid objects), the same with a wrong value or a missing key at a random path, and arbitrary JSON.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge import MappingError
from crmbridge.adapters._fastwire import reference_reads

from ..._equality import typed
from .test_estateprime_properties import ADAPTERS, PAYLOADS, WRONG, json_values, mutate, paths_of, texts


def outcome(zone: str, kind: str, payload: Any) -> Any:
    try:
        record = ADAPTERS[zone].to_canonical(kind, payload)
    except MappingError as error:
        return ("error", error.system, error.kind, error.path, str(error))
    return ("record", typed(record), sorted(record.model_fields_set))


def same_both_ways(zone: str, kind: str, payload: Any) -> None:
    fast = outcome(zone, kind, payload)
    with reference_reads():
        reference = outcome(zone, kind, payload)
    assert fast == reference


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(data=st.data())
def test_valid_payloads_read_as_the_reference(zone: str, kind: str, data: st.DataObject) -> None:
    """Valid objects give the reference record: same values, same types, same fields set."""
    same_both_ways(zone, kind, data.draw(PAYLOADS[kind]))


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(data=st.data())
def test_broken_payloads_read_as_the_reference(zone: str, kind: str, data: st.DataObject) -> None:
    """A wrong value or a missing key anywhere gives the reference record or the reference error."""
    payload = data.draw(PAYLOADS[kind])
    paths = paths_of(payload)
    if paths:
        path = data.draw(st.sampled_from(paths))
        mutate(payload, path, data.draw(WRONG | json_values), delete=data.draw(st.booleans()))
    same_both_ways(zone, kind, payload)


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(payload=json_values | st.dictionaries(texts, json_values))
def test_arbitrary_json_reads_as_the_reference(kind: str, payload: Any) -> None:
    """Arbitrary JSON gives the reference outcome (almost always the same MappingError)."""
    same_both_ways("athens", kind, payload)
