"""Field mapping files: parsed with line numbers, checked against both ends, applied to records."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from crmbridge.canonical import Contact, CustomFieldValue, Lookup, Money, Ref
from crmbridge.canonical._field_convert import CustomFieldDef
from crmbridge.errors import FieldMappingError, MappingError
from crmbridge.sync._field_mapping import (
    load_field_mapping,
    parse_field_mapping,
    standard_field_types,
    suggest_field_mapping,
)

BUDGET = CustomFieldDef(Ref("estateprime", "custom_field", "4"), "Available Budget", "currency")
METHODS = CustomFieldDef(
    Ref("estateprime", "custom_field", "3"), "Preferred Contact Methods", "select_multi", options=("Phone", "Email")
)
BANK = CustomFieldDef(Ref("estateprime", "custom_field", "2"), "Bank Accounts", "textarea")
SOURCE = {"contact": [BUDGET, METHODS, BANK]}

AX_BUDGET = CustomFieldDef(Ref("activix", "custom_field", "12"), "budget", "currency", native_type="currency")
AX_METHOD = CustomFieldDef(Ref("activix", "custom_field", "13"), "Preferred contact", "text", native_type="string")
AX_BANK = CustomFieldDef(Ref("activix", "custom_field", "14"), "bank accounts", "text", native_type="string")
AX_VIP = CustomFieldDef(Ref("activix", "custom_field", "15"), "VIP", "checkbox", native_type="boolean")
TARGET = {"contact": [AX_BUDGET, AX_METHOD, AX_BANK, AX_VIP]}

GOOD = """\
# EstatePrime -> Activix
auto = true

[[field]]
from = "Available Budget"
to = "budget"

[[field]]
kind = "contact"
from_id = 3
to = "Preferred contact"
accept_loss = true

[[field]]
from_field = "job_title"
to_id = "15"
"""


def resolve_good() -> object:
    """The GOOD file resolved against the test definitions (job_title -> VIP is text -> checkbox)."""
    return parse_field_mapping(GOOD, path="m.toml")


def test_lines_carry_their_header_line_numbers_and_ends() -> None:
    """Each [[field]] is read with the line of its header and exactly the ends it names."""
    mapping = parse_field_mapping(GOOD, path="m.toml")
    assert [line.number for line in mapping.lines] == [4, 8, 14]
    assert [line.source.describe() for line in mapping.lines] == [
        "custom field 'Available Budget'",
        "custom field id 3",
        "standard field 'job_title'",
    ]
    assert mapping.lines[1].accept_loss is True
    assert mapping.lines[2].target.id == "15"
    assert mapping.auto is True


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[[field]]\nfrom = 'a'\n", 1, "exactly one of to, to_id, to_field"),
        ("[[field]]\nfrom = 'a'\nfrom_id = 3\nto = 'b'\n", 1, "exactly one of from, from_id, from_field"),
        ("\n\n[[field]]\nfrom = 'a'\nto = 'b'\ncolour = 'red'\n", 3, "unknown key(s) colour"),
        ("[[field]]\nfrom = ''\nto = 'b'\n", 1, "from must be a non-empty string"),
        ("[[field]]\nfrom_id = true\nto = 'b'\n", 1, "from_id must be an id"),
        ("[[field]]\nfrom = 'a'\nto = 'b'\nunknown_option = 'drop'\n", 1, 'unknown_option must be "fail" or "keep"'),
        ("[[field]]\nfrom = 'a'\nto = 'b'\naccept_loss = 'yes'\n", 1, "accept_loss must be true or false"),
        ("[[field]]\nfrom = 'a'\nto = 'b'\nkind = 3\n", 1, "kind must be a string"),
        ("auto = 'yes'\n", 0, "auto must be true or false"),
        ("fields = []\n", 0, "unknown top-level key(s) fields"),
        ("field = 3\n", 0, "field must be an array of tables"),
        ("[[field]]\nfrom = 'a\n", 2, "not valid TOML"),
        ("[[field]]\nfrom = 'a'\nto = = 'b'\n", 3, "not valid TOML"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, message: str) -> None:
    """Every shape error is a FieldMappingError naming the file, the [[field]] line and what is wrong."""
    with pytest.raises(FieldMappingError) as caught:
        parse_field_mapping(text, path="m.toml")
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(caught.value).startswith(f"m.toml:{line}: " if line else "m.toml: ")


def test_a_missing_file_is_a_mapping_error(tmp_path: Path) -> None:
    """Reading a file that is not there fails with FieldMappingError naming it, not OSError."""
    with pytest.raises(FieldMappingError, match="cannot read the mapping file"):
        load_field_mapping(tmp_path / "nope.toml")
    (tmp_path / "ok.toml").write_text(GOOD, encoding="utf-8")
    assert len(load_field_mapping(tmp_path / "ok.toml").lines) == 3


def test_resolution_checks_fields_exist_on_both_ends() -> None:
    """A line naming a field one end lacks stops resolution, naming the line and the fields that exist."""
    mapping = parse_field_mapping("auto = false\n\n[[field]]\nfrom = 'Budget'\nto = 'budget'\n", path="m.toml")
    with pytest.raises(FieldMappingError, match=r"m\.toml:3: estateprime has no contact custom field 'Budget'"):
        mapping.resolve(source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET)
    mapping = parse_field_mapping("[[field]]\nfrom = 'Bank Accounts'\nto_id = 99\n", path="m.toml")
    with pytest.raises(FieldMappingError, match=r"activix has no contact custom field id 99.*'budget'"):
        mapping.resolve(source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET)
    mapping = parse_field_mapping("[[field]]\nfrom_field = 'shoe_size'\nto = 'budget'\n", path="m.toml")
    with pytest.raises(FieldMappingError, match="from_field 'shoe_size' is not a standard contact field"):
        mapping.resolve(source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET)
    mapping = parse_field_mapping("[[field]]\nkind = 'lead'\nfrom = 'a'\nto = 'b'\n", path="m.toml")
    with pytest.raises(FieldMappingError, match="unknown kind 'lead'"):
        mapping.resolve(source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET)


def test_resolution_refuses_types_that_cannot_convert() -> None:
    """Incompatible types (a multi-select into a checkbox) stop resolution with both types named."""
    mapping = parse_field_mapping("[[field]]\nfrom_id = 3\nto = 'VIP'\n", path="m.toml")
    with pytest.raises(FieldMappingError, match=r"m\.toml:1: custom field id 3 \(select_multi\) cannot fill"):
        mapping.resolve(source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET)


def test_auto_maps_same_named_fields_not_named_by_a_line() -> None:
    """With auto, 'Bank Accounts' finds 'bank accounts' (ignoring case); without it, only explicit lines map."""
    mapping = parse_field_mapping(GOOD)
    resolved = mapping.resolve(
        source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET
    )
    assert [(line.label, line.auto) for line in resolved.lines] == [
        ("Available Budget -> budget", False),
        ("Preferred Contact Methods -> Preferred contact", False),
        ("job_title -> VIP", False),
        ("Bank Accounts -> bank accounts", True),
    ]
    manual = parse_field_mapping("auto = false\n" + GOOD.split("auto = true\n", 1)[1]).resolve(
        source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET
    )
    assert len(manual.lines) == 3


def contact() -> Contact:
    """An EstatePrime contact holding all three custom fields and a job title."""
    return Contact(
        ref=Ref("estateprime", "contact", "45"),
        display_name="Ada",
        job_title="yes",
        custom_fields=[
            CustomFieldValue(
                field=BUDGET.ref, name=BUDGET.name, type="currency", value={"amount": "1500.50", "currency": "EUR"}
            ),
            CustomFieldValue(
                field=METHODS.ref,
                name=METHODS.name,
                type="select_multi",
                value=[{"name": "Phone"}, {"name": "Email"}],
            ),
            CustomFieldValue(field=BANK.ref, name=BANK.name, type="textarea", value="GR12 3456"),
            CustomFieldValue(field=Ref("estateprime", "custom_field", "77"), name="Unmapped", type="text", value="x"),
        ],
    )


def test_apply_moves_each_mapped_value_and_leaves_the_rest() -> None:
    """Mapped values land in the target's fields, converted; unmapped ones stay; stats count each line."""
    resolved = parse_field_mapping(GOOD).resolve(
        source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET
    )
    record, losses = resolved.apply(contact())
    assert isinstance(record, Contact)
    by_field = {custom.field: custom for custom in record.custom_fields}
    assert by_field[AX_BUDGET.ref].value == Money(amount=Decimal("1500.50"), currency="EUR")
    # select_multi into a single text field: "Phone, Email" (text keeps every option, no loss)
    assert by_field[AX_METHOD.ref].value == "Phone, Email"
    assert by_field[AX_BANK.ref].value == "GR12 3456"
    assert by_field[AX_VIP.ref].value is True  # job_title "yes" -> checkbox
    assert Ref("estateprime", "custom_field", "77") in by_field  # unmapped: left for the loss report
    assert BUDGET.ref not in by_field
    assert METHODS.ref not in by_field
    assert losses == []
    assert {label: (s.moved, s.failed) for label, s in resolved.stats.items()} == {
        "Available Budget -> budget": (1, 0),
        "Preferred Contact Methods -> Preferred contact": (1, 0),
        "job_title -> VIP": (1, 0),
        "Bank Accounts -> bank accounts": (1, 0),
    }


def test_lossy_conversions_are_reported_unless_accepted() -> None:
    """A multi-select into a single select names the source path, unless the line accepts the loss."""
    single = CustomFieldDef(Ref("activix", "custom_field", "20"), "method", "select", options=("Phone", "Email"))
    for accept, expected in ((False, ["custom_fields[1].value"]), (True, [])):
        text = f"auto = false\n[[field]]\nfrom_id = 3\nto = 'method'\naccept_loss = {str(accept).lower()}\n"
        resolved = parse_field_mapping(text).resolve(
            source_system="estateprime",
            target_system="activix",
            source_defs=SOURCE,
            target_defs={"contact": [single]},
        )
        record, losses = resolved.apply(contact())
        assert isinstance(record, Contact)
        assert losses == expected
        assert [c.value for c in record.custom_fields if c.field == single.ref] == [Lookup(name="Phone")]
        assert resolved.stats["Preferred Contact Methods -> method"].lossy == 1


def test_a_value_that_cannot_convert_fails_the_record_naming_the_path() -> None:
    """A value that does not fit raises MappingError naming the target system, kind, path and line."""
    number = CustomFieldDef(Ref("activix", "custom_field", "21"), "accounts", "number")
    resolved = parse_field_mapping("auto = false\n[[field]]\nfrom_id = 2\nto = 'accounts'\n").resolve(
        source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs={"contact": [number]}
    )
    with pytest.raises(MappingError) as caught:
        resolved.apply(contact())
    assert (caught.value.system, caught.value.kind, caught.value.path) == ("activix", "contact", "custom_fields[2]")
    assert "Bank Accounts -> accounts: the text is not a number" in str(caught.value)
    assert "GR12" not in str(caught.value)
    assert resolved.stats["Bank Accounts -> accounts"].failed == 1


def test_a_custom_field_can_fill_a_standard_field() -> None:
    """to_field puts a converted custom value into a standard canonical field (a date into birthday)."""
    born = CustomFieldDef(Ref("estateprime", "custom_field", "9"), "Born", "date")
    resolved = parse_field_mapping("[[field]]\nfrom = 'Born'\nto_field = 'birthday'\n").resolve(
        source_system="estateprime", target_system="rechat", source_defs={"contact": [born]}, target_defs={}
    )
    source = Contact(custom_fields=[CustomFieldValue(field=born.ref, name="Born", type="date", value="1990-02-03")])
    record, _ = resolved.apply(source)
    assert isinstance(record, Contact)
    assert record.birthday == date(1990, 2, 3)
    assert record.custom_fields == []


def test_records_of_other_kinds_pass_unchanged() -> None:
    """A mapping of contacts leaves a task untouched."""
    from crmbridge.canonical import Task

    resolved = parse_field_mapping(GOOD).resolve(
        source_system="estateprime", target_system="activix", source_defs=SOURCE, target_defs=TARGET
    )
    task = Task(title="call")
    assert resolved.apply(task) == (task, [])


def test_standard_fields_are_the_scalar_ones() -> None:
    """Only single-valued text, date, datetime and boolean fields can be named by from_field/to_field."""
    contact_fields = standard_field_types("contact")
    assert contact_fields["job_title"] == "text"
    assert contact_fields["birthday"] == "date"
    assert contact_fields["is_lead"] == "checkbox"
    assert contact_fields["converted_at"] == "datetime"
    for not_scalar in ("extras", "websites", "emails", "custom_fields", "ref", "owners"):
        assert not_scalar not in contact_fields


def test_suggestions_pair_by_name_with_confidence_and_parse_back() -> None:
    """A suggested file pairs fields by name, says how sure it is, lists what it could not pair, and parses."""
    lawyer = CustomFieldDef(Ref("estateprime", "custom_field", "5"), "Lawyer", "text")
    source = {"contact": [*SOURCE["contact"], lawyer]}
    text = suggest_field_mapping("estateprime", "activix", source, TARGET)
    assert "# confidence high: same name; textarea -> text" in text
    assert "# confidence medium: names share ['contact', 'preferred']; select_multi -> text" in text
    assert "# confidence medium: names share ['budget']; currency -> currency" in text
    assert "# no match for contact custom field 'Lawyer' (text): add a [[field]]" in text
    tomllib.loads(text)
    resolved = parse_field_mapping(text).resolve(
        source_system="estateprime", target_system="activix", source_defs=source, target_defs=TARGET
    )
    assert {line.label for line in resolved.lines} == {
        "Available Budget -> budget",
        "Bank Accounts -> bank accounts",
        "Preferred Contact Methods -> Preferred contact",
    }


def test_suggestion_escapes_names() -> None:
    """Field names with quotes and backslashes survive the suggested TOML."""
    odd = CustomFieldDef(Ref("estateprime", "custom_field", "5"), 'Lawyer\'s "Phone" \\ fax', "text")
    there = CustomFieldDef(Ref("rechat", "attribute_def", "a"), 'lawyer\'s "phone" \\ fax', "text")
    text = suggest_field_mapping("estateprime", "rechat", {"contact": [odd]}, {"contact": [there]})
    assert tomllib.loads(text)["field"][0]["from"] == odd.name
