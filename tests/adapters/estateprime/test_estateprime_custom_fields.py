"""Custom field values: the 21 types read, validated, converted and written back exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crmbridge import Contact, CustomFieldValue, Event, Lookup, MappingError, Money, Ref, get_adapter
from crmbridge.adapters.estateprime import EstatePrimeAdapter
from crmbridge.canonical import CUSTOM_FIELD_TYPES

LoadExample = Callable[[str, str], dict[str, Any]]

OPTIONS = [{"id": 1, "name": "Phone"}, {"id": 2, "name": "Email"}]
DEFINITIONS = [
    {"id": i + 1, "name": f"field {t}", "type": t, **({"options": OPTIONS} if t.startswith("select") else {})}
    for i, t in enumerate(CUSTOM_FIELD_TYPES)
]
FIELD_ID = {t: i + 1 for i, t in enumerate(CUSTOM_FIELD_TYPES)}


def ep(kind: str, ident: str) -> Ref:
    return Ref("estateprime", kind, ident)


# (type, wire value, canonical value)
CASES: list[tuple[str, Any, Any]] = [
    ("text", "Preferred buyer", "Preferred buyer"),
    ("textarea", "line one\nline two", "line one\nline two"),
    ("wysiwyg", "<p>Hi</p>", "<p>Hi</p>"),
    ("number", 12, Decimal(12)),
    ("number", 12.5, Decimal("12.5")),
    ("number", "12.50", Decimal("12.50")),
    ("formatted_number", "1,000,000.25", Decimal("1000000.25")),
    ("formatted_number", "950", Decimal(950)),
    ("select", 2, Lookup(ref=ep("custom_field_option", "2"), name="Email")),
    (
        "select_multi",
        [1, 2],
        [
            Lookup(ref=ep("custom_field_option", "1"), name="Phone"),
            Lookup(ref=ep("custom_field_option", "2"), name="Email"),
        ],
    ),
    ("checkbox", True, True),
    ("checkbox", 0, False),
    ("file", "https://files.example/a.pdf", "https://files.example/a.pdf"),
    ("file_multi", ["https://f/a.pdf", "https://f/b.pdf"], ["https://f/a.pdf", "https://f/b.pdf"]),
    ("image", "https://img.example/a.png", "https://img.example/a.png"),
    ("image_multi", ["https://i/a.png"], ["https://i/a.png"]),
    ("address", "Bellariastraße 6, 1010 Wien, Austria", "Bellariastraße 6, 1010 Wien, Austria"),
    ("url", "https://example.com", "https://example.com"),
    ("date", "2025-10-18", date(2025, 10, 18)),
    ("datetime", "2025-10-18 18:24:10", datetime(2025, 10, 18, 15, 24, 10, tzinfo=UTC)),
    ("currency", "1,000,000.25€", Money(amount=Decimal("1000000.25"), currency="€")),
    ("currency", "$1,200", Money(amount=Decimal(1200), currency="$")),
    ("currency", "1500 EUR", Money(amount=Decimal(1500), currency="EUR")),
    ("user", 10, ep("user", "10")),
    ("user_multi", [2, 5], [ep("user", "2"), ep("user", "5")]),
    ("contact", 45, ep("contact", "45")),
    ("contact_multi", [23, 45], [ep("contact", "23"), ep("contact", "45")]),
    ("contact", "45", ep("contact", "45")),
    ("select", "", None),
]


@pytest.fixture
def typed() -> EstatePrimeAdapter:
    """An Athens adapter whose contacts have one custom field of each of the 21 types."""
    made = get_adapter("estateprime", timezone="Europe/Athens", lookups={"contacts/custom-fields": DEFINITIONS})
    assert isinstance(made, EstatePrimeAdapter)
    return made


def read_one(adapter: EstatePrimeAdapter, field_type: str, value: Any) -> Contact:
    record = adapter.to_canonical(
        "contact", {"custom_fields": [{"custom_field_id": FIELD_ID[field_type], "value": value}]}
    )
    assert isinstance(record, Contact)
    return record


def test_all_21_types_are_covered() -> None:
    """The cases exercise every one of the 21 documented custom field types."""
    assert {case[0] for case in CASES} == set(CUSTOM_FIELD_TYPES)
    assert len(CUSTOM_FIELD_TYPES) == 21


@pytest.mark.parametrize(("field_type", "wire_value", "canonical"), CASES)
def test_value_converts_and_round_trips(
    typed: EstatePrimeAdapter, field_type: str, wire_value: Any, canonical: Any
) -> None:
    """Each type's wire value converts to its canonical value and is written back identically."""
    contact = read_one(typed, field_type, wire_value)
    (value,) = contact.custom_fields
    assert value.field == ep("contact_custom_field", str(FIELD_ID[field_type]))
    assert value.name == f"field {field_type}"
    assert value.type == field_type
    assert value.value == canonical
    written = typed.from_canonical(contact)["custom_fields"]
    assert written == [{"custom_field_id": FIELD_ID[field_type], "value": wire_value}]
    assert type(written[0]["value"]) is type(wire_value)


@pytest.mark.parametrize(
    ("field_type", "value", "wire_value"),
    [
        ("number", Decimal("3.25"), 3.25),
        ("formatted_number", Decimal("1234567.5"), "1,234,567.5"),
        ("currency", Money(amount=Decimal("2500000"), currency="€"), "2,500,000€"),
        ("select", Lookup(name="Phone"), 1),
        ("datetime", datetime(2025, 7, 1, 9, 0, tzinfo=UTC), "2025-07-01 12:00:00"),
        ("date", date(2025, 7, 1), "2025-07-01"),
        ("checkbox", False, False),
        ("user_multi", [ep("user", "3")], [3]),
    ],
)
def test_new_values_are_written_in_the_default_format(
    typed: EstatePrimeAdapter, field_type: str, value: Any, wire_value: Any
) -> None:
    """A canonical value with no kept original is written in EstatePrime's documented format."""
    field = CustomFieldValue(field=ep("contact_custom_field", str(FIELD_ID[field_type])), type=field_type, value=value)  # type: ignore[arg-type]
    body = typed.from_canonical(Contact(custom_fields=[field]))
    assert body["custom_fields"] == [{"custom_field_id": FIELD_ID[field_type], "value": wire_value}]


def test_non_default_format_is_kept_in_extras(typed: EstatePrimeAdapter) -> None:
    """A value the default format would change ("12.50") is kept under _wire and used while unchanged."""
    contact = read_one(typed, "number", "12.50")
    assert contact.extras["_wire"] == {"custom_fields[0].value": "12.50"}
    edited = contact.model_copy(
        update={"custom_fields": [contact.custom_fields[0].model_copy(update={"value": Decimal("13")})]}
    )
    assert typed.from_canonical(edited)["custom_fields"][0]["value"] == 13


@pytest.mark.parametrize(
    ("field_type", "bad"),
    [
        ("text", "x" * 256),
        ("textarea", "x" * 2501),
        ("text", 5),
        ("number", "12,5"),
        ("number", True),
        ("number", float("nan")),
        ("formatted_number", "1.000.000,25"),
        ("currency", "€1,000€"),
        ("currency", "lots"),
        ("select", "two"),
        ("select_multi", 2),
        ("checkbox", "yes"),
        ("file_multi", "https://f/a.pdf"),
        ("image_multi", [1]),
        ("date", "18/10/2025"),
        ("datetime", "2025-10-18T18:24:10"),
        ("user", -3),
        ("user_multi", [1, "x"]),
        ("contact", 1.5),
        ("contact_multi", {"id": 1}),
        ("url", ["a"]),
    ],
)
def test_value_not_fitting_its_type_is_a_mapping_error(typed: EstatePrimeAdapter, field_type: str, bad: Any) -> None:
    """A value that does not fit its type raises MappingError naming custom_fields[0].value, never the value."""
    with pytest.raises(MappingError) as caught:
        read_one(typed, field_type, bad)
    assert caught.value.path == "custom_fields[0].value"
    assert caught.value.kind == "contact"
    assert "x" * 256 not in str(caught.value)


def test_values_pass_through_without_definitions(bare: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """Without definitions every value is kept as sent, with type and name None, and round-trips."""
    contact = bare.to_canonical("contact", load_example("contact", "object"))
    assert isinstance(contact, Contact)
    assert [(c.type, c.name, c.value) for c in contact.custom_fields] == [
        (None, None, "Preferred buyer"),
        (None, None, "VIP"),
        (None, None, [2, 3]),
    ]
    assert bare.from_canonical(contact)["custom_fields"] == load_example("contact", "object")["custom_fields"]


def test_untyped_nan_is_a_mapping_error(bare: EstatePrimeAdapter) -> None:
    """A NaN inside an untyped value (json.loads accepts it) is a MappingError, not a silent non-JSON value."""
    with pytest.raises(MappingError) as caught:
        bare.to_canonical("contact", {"custom_fields": [{"custom_field_id": 1, "value": [1, float("nan")]}]})
    assert caught.value.path == "custom_fields[0].value[1]"


def test_unknown_definition_type_passes_through(lookups: dict[str, Any]) -> None:
    """The docs' "phone" type is not one of the 21: its value passes through with the field's name."""
    made = get_adapter("estateprime", lookups=lookups)
    contact = made.to_canonical("contact", {"custom_fields": [{"custom_field_id": 5, "value": "+30 210 1234567"}]})
    assert isinstance(contact, Contact)
    (value,) = contact.custom_fields
    assert (value.name, value.type, value.value) == ("Lawyer's Phone", None, "+30 210 1234567")


def test_event_checkbox_field_from_the_docs(adapter: EstatePrimeAdapter, load_example: LoadExample) -> None:
    """An event carrying the calendar doc's checkbox field reads it as a bool with its name."""
    payload = {**load_example("event", "object"), "custom_fields": [{"custom_field_id": 1, "value": True}]}
    event = adapter.to_canonical("event", payload)
    assert isinstance(event, Event)
    (value,) = event.custom_fields
    assert value.field == ep("event_custom_field", "1")
    assert (value.name, value.type, value.value) == ("Urgent Meeting", "checkbox", True)
    assert adapter.from_canonical(event)["custom_fields"] == [{"custom_field_id": 1, "value": True}]


def test_unknown_keys_of_a_custom_field_entry_round_trip(bare: EstatePrimeAdapter) -> None:
    """An unknown key inside a custom field entry is kept and written back on that entry."""
    entry = {"custom_field_id": 7, "value": "x", "label": "Seven"}
    contact = bare.to_canonical("contact", {"custom_fields": [entry]})
    assert contact.extras["_custom_field_entries"] == {"0:7": {"label": "Seven"}}
    assert bare.from_canonical(contact)["custom_fields"] == [entry]


def test_foreign_custom_field_ref_needs_a_resolver(typed: EstatePrimeAdapter) -> None:
    """A custom field of another system is written through its counterpart, else left out and named as a loss."""
    field = CustomFieldValue(field=Ref("rechat", "attribute", "a"), type="text", value="x")
    alone = typed.from_canonical(Contact(custom_fields=[field]))
    assert alone.get("custom_fields") in ([], None)
    assert typed.unsupported(Contact(custom_fields=[field])) == ["custom_fields[0]"]

    def resolve(ref: Ref, system: str) -> Ref | None:
        return ep("contact_custom_field", "1") if system == "estateprime" else None

    body = typed.from_canonical(Contact(custom_fields=[field]), resolve=resolve)
    assert body["custom_fields"] == [{"custom_field_id": 1, "value": "x"}]


def test_non_json_value_is_a_mapping_error(bare: EstatePrimeAdapter) -> None:
    """A value that is not JSON at all (a Python set) fails canonical validation as a MappingError with its path."""
    with pytest.raises(MappingError) as caught:
        bare.to_canonical(
            "contact", {"custom_fields": [{"custom_field_id": 1, "value": "ok"}, {"custom_field_id": 2, "value": {1}}]}
        )
    assert caught.value.path == "custom_fields[1].value"
