"""Custom field values convert between every pair of canonical types, or fail with a typed error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crmbridge.canonical import CUSTOM_FIELD_TYPES, Lookup, Money, Ref
from crmbridge.canonical._custom_fields import normalise_custom_value
from crmbridge.canonical._field_convert import (
    CustomFieldDef,
    CustomValueConversionError,
    can_convert,
    convert_custom_value,
)

ATHENS = ZoneInfo("Europe/Athens")
ADA = Ref("estateprime", "user", "5")
ADA_THERE = Ref("rechat", "user", "6f0c4a0e-0d6e-4c35-9a4e-6ad0b6a8d9a1")

SAMPLES: dict[str, Any] = {
    "text": "hello",
    "textarea": "two\nlines",
    "wysiwyg": "<b>bold</b>",
    "address": "1 Main St",
    "url": "https://example.com/a",
    "number": Decimal("1500.50"),
    "formatted_number": Decimal("2"),
    "currency": Money(amount=Decimal("1500.50"), currency="EUR"),
    "select": Lookup(name="Gold"),
    "select_multi": [Lookup(name="Gold"), Lookup(name="Silver")],
    "checkbox": True,
    "file": "https://example.com/f.pdf",
    "file_multi": ["https://example.com/1.pdf", "https://example.com/2.pdf"],
    "image": "https://example.com/i.png",
    "image_multi": ["https://example.com/i.png"],
    "date": date(2024, 3, 31),
    "datetime": datetime(2024, 3, 30, 22, 30, tzinfo=UTC),
    "user": ADA,
    "user_multi": [ADA],
    "contact": Ref("estateprime", "contact", "9"),
    "contact_multi": [Ref("estateprime", "contact", "9")],
}


TEXTS = ("text", "textarea", "wysiwyg", "address", "url", "file", "image")
VALUE_DEPENDENT = {("number", "checkbox"), ("formatted_number", "checkbox"), ("checkbox", "select")}


def target(field_type: str, options: tuple[str, ...] = ()) -> CustomFieldDef:
    """A target field of ``field_type`` (with select options Gold/Silver/Bronze unless given)."""
    if field_type in ("select", "select_multi") and not options:
        options = ("Gold", "Silver", "Bronze")
    return CustomFieldDef(ref=Ref("activix", "custom_field", "1"), name="tier", type=field_type, options=options)  # type: ignore[arg-type]


def resolve(ref: Ref) -> Ref | None:
    """The crosswalk of the tests: Ada has a counterpart, nobody else."""
    return ADA_THERE if ref == ADA else Ref("rechat", ref.kind, "00000000-0000-4000-8000-000000000009")


@pytest.mark.parametrize("source", CUSTOM_FIELD_TYPES)
@pytest.mark.parametrize("target_type", CUSTOM_FIELD_TYPES)
def test_every_pair_converts_to_a_valid_value_or_fails_typed(source: str, target_type: str) -> None:
    """For each of the 21 x 21 type pairs a sample either converts into a valid target value or fails typed."""
    value = SAMPLES[source]
    failure: CustomValueConversionError | None = None
    try:
        converted = convert_custom_value(value, source, target(target_type), zone=ATHENS, resolve=resolve)
    except CustomValueConversionError as caught:
        failure = caught
    if failure is not None:
        assert str(value) not in str(failure)
        if can_convert(source, target_type):
            # Convertible in general; only a value that does not parse (text, a number that is not 0/1) fails.
            assert (source, target_type) in VALUE_DEPENDENT or source in TEXTS, (source, target_type)
        return
    assert can_convert(source, target_type)
    assert converted.value == normalise_custom_value(target_type, converted.value)


def test_same_type_keeps_the_value() -> None:
    """A value moved into a field of its own type is unchanged and loses nothing."""
    for field_type, value in SAMPLES.items():
        converted = convert_custom_value(value, field_type, target(field_type), resolve=resolve)
        if field_type in ("user", "user_multi", "contact", "contact_multi"):
            continue
        assert converted.value == normalise_custom_value(field_type, value), field_type
        assert converted.loss is None, field_type


@pytest.mark.parametrize(
    ("source", "value", "target_type", "expected", "loss"),
    [
        ("currency", SAMPLES["currency"], "text", "1500.50 EUR", None),
        ("currency", Money(amount=Decimal("7")), "text", "7", None),
        ("currency", SAMPLES["currency"], "number", Decimal("1500.50"), "currency EUR dropped"),
        ("currency", SAMPLES["currency"], "currency", SAMPLES["currency"], None),
        ("number", Decimal("1E+3"), "text", "1000", None),
        ("number", Decimal("12.5"), "currency", Money(amount=Decimal("12.5")), None),
        ("text", "1,250.75", "number", Decimal("1250.75"), None),
        ("text", "99 USD", "currency", Money(amount=Decimal("99"), currency="USD"), None),
        ("checkbox", False, "text", "false", None),
        ("checkbox", True, "number", Decimal(1), None),
        ("text", "Yes", "checkbox", True, None),
        ("number", Decimal(0), "checkbox", False, None),
        ("select", Lookup(name="gold"), "select", Lookup(name="Gold"), None),
        ("select_multi", SAMPLES["select_multi"], "select", Lookup(name="Gold"), "1 more option(s) dropped"),
        ("select_multi", SAMPLES["select_multi"], "text", "Gold, Silver", None),
        ("text", "Silver, Bronze", "select_multi", [Lookup(name="Silver"), Lookup(name="Bronze")], None),
        ("select", Lookup(name="Gold"), "select_multi", [Lookup(name="Gold")], None),
        ("date", date(2024, 3, 31), "text", "2024-03-31", None),
        ("datetime", SAMPLES["datetime"], "text", "2024-03-30T22:30:00Z", None),
        # 22:30 UTC on 30 March is 00:30 on 31 March in Athens (UTC+2 until 03:00 local that day).
        ("datetime", SAMPLES["datetime"], "date", date(2024, 3, 31), "time of day dropped"),
        ("date", date(2024, 3, 31), "datetime", datetime(2024, 3, 30, 22, 0, tzinfo=UTC), None),
        ("date", date(2024, 4, 1), "datetime", datetime(2024, 3, 31, 21, 0, tzinfo=UTC), None),
        ("text", "2024-03-31", "date", date(2024, 3, 31), None),
        ("text", "2024-03-31T10:00:00+02:00", "datetime", datetime(2024, 3, 31, 8, 0, tzinfo=UTC), None),
        ("user", ADA, "user", ADA_THERE, None),
        ("user", ADA, "text", str(ADA_THERE), None),
        ("file_multi", SAMPLES["file_multi"], "file", "https://example.com/1.pdf", "1 more file(s) dropped"),
        ("url", "https://example.com/a", "file_multi", ["https://example.com/a"], None),
    ],
)
def test_documented_conversions(source: str, value: Any, target_type: str, expected: Any, loss: str | None) -> None:
    """Each documented conversion gives the documented value and names what it loses."""
    converted = convert_custom_value(value, source, target(target_type), zone=ATHENS, resolve=resolve)
    assert converted.value == expected
    if loss is None:
        assert converted.loss is None
    else:
        assert converted.loss is not None
        assert loss in converted.loss


@pytest.mark.parametrize(
    ("source", "value", "target_type", "message"),
    [
        ("select", Lookup(name="Platinum"), "select", "option 'Platinum' is not one of 'tier'"),
        ("text", "a lot", "number", "not a number"),
        ("text", "NaN", "number", "not a finite number"),
        ("text", "maybe", "checkbox", "not true/false"),
        ("text", "Platinum", "select", "the text is not one of 'tier'"),
        ("number", Decimal(2), "checkbox", "only 0 and 1"),
        ("text", "31/03/2024", "date", "not an ISO 8601"),
        ("text", "2024-03-31T10:00:00", "datetime", "needs an offset"),
        ("contact", Ref("estateprime", "contact", "9"), "contact", "no counterpart"),
        ("date", date(2024, 1, 1), "number", "cannot become a number"),
        ("user", ADA, "select", "cannot become a select"),
        ("select", Lookup(ref=Ref("estateprime", "custom_field_option", "3")), "text", "known only by its id"),
    ],
)
def test_conversions_that_cannot_be_made_fail_naming_why(
    source: str, value: Any, target_type: str, message: str
) -> None:
    """A value that does not fit the target type raises CustomValueConversionError saying why."""

    def nobody(ref: Ref) -> Ref | None:
        return None

    with pytest.raises(CustomValueConversionError, match=message):
        convert_custom_value(value, source, target(target_type), zone=ATHENS, resolve=nobody)


def test_unknown_options_are_kept_by_name_when_the_mapping_says_so() -> None:
    """unknown_option="keep" writes an option the target does not list by its name."""
    converted = convert_custom_value(Lookup(name="Platinum"), "select", target("select"), unknown_option="keep")
    assert converted.value == Lookup(name="Platinum")


def test_refs_without_a_resolver_fail_for_ref_targets_and_stay_as_text() -> None:
    """User and contact refs need the crosswalk to become refs; as text they are written as they are."""
    with pytest.raises(CustomValueConversionError, match="needs the crosswalk"):
        convert_custom_value(ADA, "user", target("user"))
    assert convert_custom_value([ADA], "user_multi", target("text")).value == str(ADA)


def test_none_converts_to_none() -> None:
    """An empty field stays empty whatever the types."""
    assert convert_custom_value(None, "date", target("text")).value is None


def test_date_to_datetime_is_dst_safe() -> None:
    """Midnight of a local date becomes the right UTC instant on both sides of a DST change."""
    winter = convert_custom_value(date(2024, 1, 15), "date", target("datetime"), zone=ATHENS).value
    summer = convert_custom_value(date(2024, 7, 15), "date", target("datetime"), zone=ATHENS).value
    assert winter == datetime(2024, 1, 14, 22, 0, tzinfo=UTC)
    assert summer == datetime(2024, 7, 14, 21, 0, tzinfo=UTC)
