"""Cross-CRM translation through the canonical model: EstatePrime communications <-> Activix."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

import crmbridge
from crmbridge import Activity, Call, Ref
from crmbridge.errors import MappingError, UnresolvedReference

EP_LOOKUPS = {
    "communication/channels": [
        {"id": 1, "name": "Phone Call", "type": "phone"},
        {"id": 2, "name": "Email", "type": "email"},
        {"id": 3, "name": "SMS", "type": "sms"},
    ],
    "communication/tags": [{"id": 4, "name": "Follow Up"}, {"id": 9, "name": "Hot Lead"}],
}
EP_TO_AX = {
    Ref("estateprime", "contact", "45"): Ref("activix", "lead", "9001"),
    Ref("estateprime", "user", "3"): Ref("activix", "user", "77"),
}
AX_TO_EP = {
    Ref("activix", "lead", "412877"): Ref("estateprime", "contact", "45"),
    Ref("activix", "user", "2311"): Ref("estateprime", "user", "3"),
}


def example(system: str, name: str) -> dict[str, Any]:
    text = (resources.files(f"crmbridge.sandbox.{system}") / "examples" / f"{name}.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def estateprime_call() -> Activity:
    adapter = crmbridge.get_adapter("estateprime", timezone="Europe/Athens", lookups=EP_LOOKUPS)
    record = adapter.to_canonical("activity", example("estateprime", "activity.object"))
    assert isinstance(record, Activity)
    return record


def test_estateprime_phone_communication_becomes_an_activix_body() -> None:
    """The seed communication (channel 1 = phone) becomes an Activix phone communication on the mapped lead."""
    activity = estateprime_call()
    assert activity.channel == "phone"
    activix = crmbridge.get_adapter("activix", default_region="GR")
    body = activix.from_canonical(activity, resolve=lambda ref, system: EP_TO_AX.get(ref))
    assert body == {
        "lead_id": 9001,
        "method": "phone",
        "type": "outgoing",
        # 09:30 in Athens on 12 March 2025 (UTC+2, before the DST switch) is 07:30 UTC.
        "executed_at": "2025-03-12T07:30:00Z",
        "executed_by": 77,
        "description": "Discussed property viewing for next Tuesday.",
    }


def test_activix_reports_what_estateprime_fields_it_loses() -> None:
    """Tags, listings, the office and the channel lookup have no Activix home and are reported."""
    lost = crmbridge.get_adapter("activix").unsupported(estateprime_call())
    assert {"tags[0]", "tags[1]", "listings[0]", "listings[1]", "office", "channel_lookup"} <= set(lost)


def test_cross_write_without_a_resolver_names_the_reference() -> None:
    """Without a crosswalk entry for the contact, the Activix write fails naming the field."""
    activix = crmbridge.get_adapter("activix")
    with pytest.raises(UnresolvedReference) as caught:
        activix.from_canonical(estateprime_call(), resolve=lambda ref, system: None)
    assert caught.value.path in {"contact", "user"}
    assert caught.value.ref.system == "estateprime"


def test_activix_call_becomes_an_estateprime_body() -> None:
    """An answered Activix call becomes an EstatePrime communication on the phone channel, in local time."""
    activix = crmbridge.get_adapter("activix", default_region="CA")
    activity = activix.to_canonical("activity", example("activix", "activity.phone_answered"))
    assert isinstance(activity, Activity)
    assert activity.call == Call(duration_s=184, phone="+15145550123", status="answered")
    estateprime = crmbridge.get_adapter("estateprime", timezone="Europe/Athens", lookups=EP_LOOKUPS)
    with_office = activity.model_copy(update={"office": Ref("estateprime", "office", "2")})
    body = estateprime.from_canonical(with_office, resolve=lambda ref, system: AX_TO_EP.get(ref))
    assert body == {
        "channel": 1,
        "user_id": 3,
        "contact_id": 45,
        "store_id": 2,
        "type": "outgoing",
        "communication_date": "2022-01-22 08:00:00",
        "request_id": None,
        "comments": "Call answered",
        "tags": [],
        "listings": [],
    }
    assert {"call", "created_at", "updated_at"} <= set(estateprime.unsupported(activity))


def test_estateprime_requires_an_office_activix_does_not_have() -> None:
    """EstatePrime needs store_id, which an Activix communication lacks: the error names `office`."""
    activix = crmbridge.get_adapter("activix")
    activity = activix.to_canonical("activity", example("activix", "activity.phone_answered"))
    estateprime = crmbridge.get_adapter("estateprime", lookups=EP_LOOKUPS)
    with pytest.raises(MappingError) as caught:
        estateprime.from_canonical(activity, resolve=lambda ref, system: AX_TO_EP.get(ref))
    assert caught.value.path == "office"
