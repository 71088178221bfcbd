"""Every EstatePrime custom field type moves into Rechat and Activix and back through a field mapping.

The values go through the real write and read paths: EstatePrime's adapter renders and reads its
wire format; Rechat and Activix values are created in their sandboxes and read back over HTTP.
Each type ends either equal to where it started, or with the loss the conversion documents, or
(references, which neither target can hold as such) refused when the way back is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import crmbridge
from crmbridge import Connection
from crmbridge.adapters.estateprime._field_defs import FIELD_REF_KINDS, OPTION_REF_KIND
from crmbridge.adapters.rechat._field_defs import native_data_type
from crmbridge.adapters.rechat.client import create_attribute_def
from crmbridge.canonical import CUSTOM_FIELD_TYPES, Contact, CustomFieldValue, Lookup, Money, Ref
from crmbridge.errors import FieldMappingError
from crmbridge.sandbox import example_payloads, make_sandbox
from crmbridge.sync._field_mapping import parse_field_mapping

ZONE = "Europe/Athens"
OPTIONS = [{"id": 1, "name": "Phone"}, {"id": 2, "name": "Email"}, {"id": 3, "name": "SMS"}]
EP_DEFS = [
    {"id": index, "name": f"EP {field_type}", "type": field_type}
    | ({"options": OPTIONS} if field_type in ("select", "select_multi") else {})
    for index, field_type in enumerate(CUSTOM_FIELD_TYPES, start=1)
]


def ep_ref(field_type: str) -> Ref:
    """The EstatePrime definition of ``field_type`` in this test's account."""
    return Ref("estateprime", FIELD_REF_KINDS["contact"], str(CUSTOM_FIELD_TYPES.index(field_type) + 1))


def option(ident: int) -> Lookup:
    """EstatePrime's option ``ident`` as a select holds it."""
    return Lookup(ref=Ref("estateprime", OPTION_REF_KIND, str(ident)), name=OPTIONS[ident - 1]["name"])


VALUES: dict[str, Any] = {
    "text": "hello",
    "textarea": "two\nlines",
    "wysiwyg": "<p>hi</p>",
    "number": Decimal("1500.5"),
    "formatted_number": Decimal("1000000.25"),
    "select": option(2),
    "select_multi": [option(1), option(3)],
    "checkbox": True,
    "file": "https://files.example/a.pdf",
    "file_multi": ["https://files.example/a.pdf", "https://files.example/b.pdf"],
    "image": "https://files.example/a.png",
    "image_multi": ["https://files.example/a.png"],
    "address": "1 Main St, Athens",
    "url": "https://example.com",
    "date": date(2024, 3, 31),
    "datetime": datetime(2024, 3, 31, 7, 30, tzinfo=UTC),
    "currency": Money(amount=Decimal("250000"), currency="€"),
    "user": Ref("estateprime", "user", "5"),
    "user_multi": [Ref("estateprime", "user", "5")],
    "contact": Ref("estateprime", "contact", "9"),
    "contact_multi": [Ref("estateprime", "contact", "9")],
}

# What each type becomes after EstatePrime -> target -> EstatePrime, where it is not itself.
REFUSED_BACK = {"user", "user_multi", "contact", "contact_multi"}  # text cannot become a reference
CHANGED = {
    "rechat": {
        "datetime": ("time of day dropped", datetime(2024, 3, 30, 22, 0, tzinfo=UTC)),  # Rechat date attribute
        "currency": ("currency € dropped", Money(amount=Decimal("250000"))),
        "file_multi": (None, ["https://files.example/a.pdf, https://files.example/b.pdf"]),
    },
    "activix": {
        "currency": ("currency", Money(amount=Decimal("250000"))),  # Activix stores the amount only
        "file_multi": (None, ["https://files.example/a.pdf, https://files.example/b.pdf"]),
    },
}

# Activix's account has one custom field per documented type (the sandbox seeds them).
ACTIVIX_FIELD = {
    "text": "Bank accounts",
    "number": "Budget",
    "currency": "Budget",
    "checkbox": "Pre-approved",
    "date": "Next follow-up",
    "datetime": "Next follow-up",
    "select": "Interests",
    "select_multi": "Interests",
    "file": "Website",
    "file_multi": "Bank accounts",
    "ref": "Bank accounts",
    "ref_multi": "Bank accounts",
}


def activix_field(field_type: str) -> str:
    """The Activix field a value of ``field_type`` is mapped to."""
    from crmbridge.canonical._field_convert import type_family

    return ACTIVIX_FIELD[type_family(field_type)]


@pytest.fixture(scope="module")
def estateprime() -> Any:
    """EstatePrime's adapter for an account with one contact custom field of each of the 21 types."""
    return crmbridge.get_adapter("estateprime", timezone=ZONE, lookups={"contacts/custom-fields": EP_DEFS})


@pytest.fixture(scope="module")
def rechat() -> Iterator[Connection]:
    """A Rechat sandbox brand with one custom attribute definition per EstatePrime type."""
    sandbox = make_sandbox("rechat", seed_records=1)
    with crmbridge.connect("rechat", **sandbox.client_options()) as connection:
        for field_type in CUSTOM_FIELD_TYPES:
            body: dict[str, Any] = {"label": f"RC {field_type}", "data_type": native_data_type(field_type)}
            if field_type == "select":
                body["enum_values"] = [o["name"] for o in OPTIONS]
            connection.backend.client.call(create_attribute_def(body))  # type: ignore[attr-defined]
        yield connection


@pytest.fixture(scope="module")
def activix() -> Iterator[Connection]:
    """An Activix sandbox account (its seeded custom fields)."""
    sandbox = make_sandbox("activix", seed_records=1)
    with crmbridge.connect("activix", **sandbox.client_options(), default_lead_type="email") as connection:
        yield connection


def through_estateprime(adapter: Any, contact: Contact) -> Contact:
    """``contact`` written by EstatePrime's adapter and read back from that wire form."""
    payload = next(p for k, n, p in example_payloads("estateprime") if k == "contact" and n == "object")
    rendered = adapter.from_canonical(contact)
    read = adapter.to_canonical("contact", {**payload, "custom_fields": rendered["custom_fields"]})
    assert isinstance(read, Contact)
    return read


def mapping_text(source: str, target: str) -> str:
    """One mapping line from the source field to the target field (no auto matches)."""
    return f'auto = false\n[[field]]\nfrom = "{source}"\nto = "{target}"\n'


def target_name(system: str, field_type: str) -> str:
    """The target field a value of ``field_type`` goes to."""
    return f"RC {field_type}" if system == "rechat" else activix_field(field_type)


def owner_of(connection: Connection) -> list[Ref]:
    """A user who can own a Rechat contact (Activix needs none)."""
    if connection.system != "rechat":
        return []
    first = next(iter(connection.list("contact")))
    assert isinstance(first, Contact)
    return first.owners[:1]


@pytest.mark.parametrize("system", ["rechat", "activix"])
@pytest.mark.parametrize("field_type", CUSTOM_FIELD_TYPES)
def test_each_type_goes_there_and_back(
    field_type: str, system: str, estateprime: Any, rechat: Connection, activix: Connection
) -> None:
    """An EstatePrime value of each type moves to the target and back: equal, or with the documented loss."""
    target = rechat if system == "rechat" else activix
    ep_defs = estateprime.custom_field_defs({"contacts/custom-fields": EP_DEFS})
    target_defs = target.custom_field_defs()
    original = CustomFieldValue(
        field=ep_ref(field_type),
        name=f"EP {field_type}",
        type=field_type,  # type: ignore[arg-type]
        value=VALUES[field_type],
    )
    [read_value] = through_estateprime(estateprime, Contact(custom_fields=[original])).custom_fields
    assert read_value.value == original.value  # EstatePrime's own wire round trip
    source = Contact(
        ref=Ref("estateprime", "contact", "45"), first_name="Ada", last_name="L", custom_fields=[read_value]
    )

    there = parse_field_mapping(mapping_text(f"EP {field_type}", target_name(system, field_type))).resolve(
        source_system="estateprime", target_system=system, source_defs=ep_defs, target_defs=target_defs
    )
    counterparts = {
        Ref("estateprime", "user", "5"): Ref(system, "user", "1"),
        Ref("estateprime", "contact", "9"): Ref(system, "contact", "2"),
    }
    moved, losses = there.apply(source, zone=ZoneInfo(ZONE), resolve=counterparts.get)
    assert isinstance(moved, Contact)
    expected_loss, expected_value = CHANGED[system].get(field_type, (None, original.value))
    if expected_loss is not None and system == "rechat":
        assert losses == [f"custom_fields[0].{'value.currency' if field_type == 'currency' else 'value'}"]
    else:
        assert losses == []
    custom_losses = [path for path in target.adapter.unsupported(moved) if path.startswith("custom_fields")]
    if system == "activix" and field_type == "currency":
        assert custom_losses == ["custom_fields[0].value.currency"]
    else:
        assert custom_losses == []
    ref = target.create(moved.model_copy(update={"ref": None, "owners": owner_of(target)}))
    read = target.get("contact", ref)
    assert isinstance(read, Contact)
    [stored] = [c for c in read.custom_fields if c.field == moved.custom_fields[0].field]

    back_text = mapping_text(stored.name or target_name(system, field_type), f"EP {field_type}")
    back_defs = {"contact": [d for d in target_defs["contact"] if d.ref == stored.field]}
    if field_type in REFUSED_BACK:
        with pytest.raises(FieldMappingError, match="cannot fill"):
            parse_field_mapping(back_text).resolve(
                source_system=system, target_system="estateprime", source_defs=back_defs, target_defs=ep_defs
            )
        return
    back = parse_field_mapping(back_text).resolve(
        source_system=system, target_system="estateprime", source_defs=back_defs, target_defs=ep_defs
    )
    only_stored = read.model_copy(update={"custom_fields": [stored]})
    returned, _ = back.apply(only_stored, zone=ZoneInfo(ZONE))
    assert isinstance(returned, Contact)
    final = through_estateprime(estateprime, Contact(custom_fields=returned.custom_fields))
    assert [c.value for c in final.custom_fields] == [expected_value]


def test_every_type_has_an_expectation() -> None:
    """The table above covers the 21 types for both targets (a new type must be decided on)."""
    assert set(VALUES) == set(CUSTOM_FIELD_TYPES)
    for field_type in CUSTOM_FIELD_TYPES:
        assert activix_field(field_type)


def test_defs_of_each_crm_are_read_from_their_lookups(
    estateprime: Any, rechat: Connection, activix: Connection
) -> None:
    """Each CRM lists its custom fields with canonical types: EstatePrime's 21, Rechat's, Activix's five."""
    ep = estateprime.custom_field_defs({"contacts/custom-fields": EP_DEFS})["contact"]
    assert [d.type for d in ep] == list(CUSTOM_FIELD_TYPES)
    assert ep[CUSTOM_FIELD_TYPES.index("select")].option("email") == option(2)
    rc = {d.name: d for d in rechat.custom_field_defs()["contact"]}
    assert (rc["RC number"].type, rc["RC date"].type, rc["RC select"].type, rc["RC text"].type) == (
        "number",
        "date",
        "select",
        "text",
    )
    assert rc["RC select"].options == ("Phone", "Email", "SMS")
    ax = {d.name: (d.type, d.native_type) for d in activix.custom_field_defs()["contact"]}
    assert ax["Budget"] == ("currency", "currency")
    assert ax["Interests"] == ("select_multi", "array")
    assert ax["Pre-approved"] == ("checkbox", "boolean")
    assert ax["Next follow-up"] == ("datetime", "datetime")
