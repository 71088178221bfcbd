"""Records built without a second validation equal records validated in full, field by field.

The adapter validates a payload once, with its wire reader, and builds the canonical models with
``construct`` (no validation). Inside ``validating()`` every model is validated in full instead:
equal records (values and types) or the same error prove the adapter hands
``construct`` only valid values. Payloads: the round-trip strategies (valid objects), and the
same with a wrong value or a missing key at a random path.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmbridge import MappingError
from crmbridge.canonical._construct import validating

from ..._equality import typed
from .test_estateprime_properties import ADAPTERS, PAYLOADS, WRONG, json_values, mutate, paths_of


def outcome(zone: str, kind: str, payload: Any) -> Any:
    try:
        record = ADAPTERS[zone].to_canonical(kind, payload)
    except MappingError as error:
        return ("error", error.system, error.kind, error.path, str(error))
    return ("record", typed(record))


def same_both_ways(zone: str, kind: str, payload: Any) -> None:
    fast = outcome(zone, kind, payload)
    with validating():
        reference = outcome(zone, kind, payload)
    assert fast == reference


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(data=st.data())
def test_valid_payloads_read_as_validated_records(zone: str, kind: str, data: st.DataObject) -> None:
    """Valid objects give the validated record: same values, same types."""
    same_both_ways(zone, kind, data.draw(PAYLOADS[kind]))


@pytest.mark.parametrize("zone", sorted(ADAPTERS))
@pytest.mark.parametrize("kind", sorted(PAYLOADS))
@given(data=st.data())
def test_broken_payloads_read_as_validated_records(zone: str, kind: str, data: st.DataObject) -> None:
    """A wrong value or a missing key anywhere gives the validated record or the same error."""
    payload = data.draw(PAYLOADS[kind])
    paths = paths_of(payload)
    if paths:
        path = data.draw(st.sampled_from(paths))
        mutate(payload, path, data.draw(WRONG | json_values), delete=data.draw(st.booleans()))
    same_both_ways(zone, kind, payload)
