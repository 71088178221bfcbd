"""Converting a custom field value from one field type to another, written once for every CRM.

Every CRM's custom field types are read into the 21 canonical types (EstatePrime's are those;
Activix ``string``/``boolean``/``currency``/``datetime``/``array`` and Rechat ``text``/``number``/
``date`` map onto them), so a value moves between any two CRMs by one conversion between two
canonical types. :class:`CustomFieldDef` describes a field as a migration sees it on either side.

The conversions, by family of the target type:

- **text** (``text``, ``textarea``, ``wysiwyg``, ``address``, ``url``): any value, written as text
  in a documented format — numbers without exponent (``1500.50``), money as ``"<amount> <code>"``
  (``"1500.50 EUR"``; the amount alone when there is no code), an option as its name, several as
  ``", "``-joined names, ``true``/``false``, dates and datetimes as ISO 8601 (a datetime in UTC
  with ``Z``), refs as ``system:kind:id`` (after resolving them when a resolver is given).
- **number**: numbers; money keeps its amount (its currency is a loss); text that is a decimal
  number; a checkbox as 1/0.
- **currency**: money unchanged (amount and code kept); a number becomes money with no code.
- **checkbox**: booleans; text ``true``/``false``/``yes``/``no``/``1``/``0`` (any case).
- **date**: dates; a datetime becomes its date in the account's zone (its time of day is a loss);
  ISO text.
- **datetime**: datetimes; a date becomes midnight in the account's zone; ISO text with an offset.
- **select** / **select_multi**: options matched by name (exact, then ignoring case) among the
  target's options; an unknown option fails naming it, or is kept by name when the mapping
  says so (``unknown_option = "keep"``); several options into a single select keep the first (a
  loss).
- **user**/**contact** and their ``_multi``: refs through the ``resolve`` callable (the migration's
  crosswalk); a ref with no counterpart fails naming it.
- **file**/**image** and their ``_multi``: URLs (text).

A conversion that loses information returns the loss in :attr:`Converted.loss`; the caller
reports it unless the mapping accepts it. One that cannot be made raises
:class:`CustomValueConversionError`, whose message never quotes the value (personal data).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

from crmbridge.canonical._custom_fields import CustomFieldType, Money, normalise_custom_value
from crmbridge.canonical._refs import Lookup, Ref

__all__ = [
    "TYPE_FAMILIES",
    "Converted",
    "CustomFieldDef",
    "CustomValueConversionError",
    "UnknownOption",
    "can_convert",
    "convert_custom_value",
    "type_family",
]

UnknownOption = Literal["fail", "keep"]
RefResolver = Callable[[Ref], Ref | None]

TYPE_FAMILIES: dict[str, str] = {
    **dict.fromkeys(("text", "textarea", "wysiwyg", "address", "url"), "text"),
    **dict.fromkeys(("number", "formatted_number"), "number"),
    "currency": "currency",
    "checkbox": "checkbox",
    "date": "date",
    "datetime": "datetime",
    "select": "select",
    "select_multi": "select_multi",
    **dict.fromkeys(("file", "image"), "file"),
    **dict.fromkeys(("file_multi", "image_multi"), "file_multi"),
    **dict.fromkeys(("user", "contact"), "ref"),
    **dict.fromkeys(("user_multi", "contact_multi"), "ref_multi"),
}
"""Each canonical custom field type's family: types of one family hold the same values."""

# Which source families each target family takes; everything converts to text.
_ACCEPTS: dict[str, frozenset[str]] = {
    "text": frozenset(TYPE_FAMILIES.values()),
    "number": frozenset({"number", "currency", "text", "checkbox"}),
    "currency": frozenset({"currency", "number", "text"}),
    "checkbox": frozenset({"checkbox", "text", "number"}),
    "date": frozenset({"date", "datetime", "text"}),
    "datetime": frozenset({"datetime", "date", "text"}),
    "select": frozenset({"select", "select_multi", "text", "checkbox"}),
    "select_multi": frozenset({"select", "select_multi", "text"}),
    "file": frozenset({"file", "file_multi", "text"}),
    "file_multi": frozenset({"file", "file_multi", "text"}),
    "ref": frozenset({"ref", "ref_multi"}),
    "ref_multi": frozenset({"ref", "ref_multi"}),
}


class CustomValueConversionError(ValueError):
    """A value cannot become a value of the target type; the message names why, never the value."""


@dataclass(frozen=True)
class CustomFieldDef:
    """A custom field as a migration sees it: its ref in its CRM, name, canonical type, options.

    ``options`` are the names of a select's choices; ``option_refs`` their refs where the CRM
    identifies options (EstatePrime), in the same order. ``native_type`` is the CRM's own type
    name (Activix ``array``, Rechat ``number``) for messages and suggestions.
    """

    ref: Ref
    name: str
    type: CustomFieldType
    options: tuple[str, ...] = ()
    option_refs: tuple[Ref | None, ...] = ()
    native_type: str | None = None

    def option(self, name: str) -> Lookup | None:
        """The option called ``name`` (exact, then ignoring case), as the Lookup a select holds."""
        for exact in (True, False):
            for index, option in enumerate(self.options):
                if option == name if exact else option.casefold() == name.casefold():
                    ref = self.option_refs[index] if index < len(self.option_refs) else None
                    return Lookup(ref=ref, name=option)
        return None


@dataclass(frozen=True)
class Converted:
    """A converted value (canonical, of the target type) and what the conversion lost, if anything."""

    value: Any
    loss: str | None = None
    lost_part: str = "value"
    """Which part of the value the loss is in (``"value.currency"`` when only the code went)."""


def type_family(field_type: str) -> str:
    """The family of a canonical custom field type (``"formatted_number"`` -> ``"number"``)."""
    return TYPE_FAMILIES[field_type]


def can_convert(source: str, target: str) -> bool:
    """Whether values of type ``source`` can (in general) become values of type ``target``."""
    return type_family(source) in _ACCEPTS[type_family(target)]


def convert_custom_value(
    value: Any,
    source: str,
    target: CustomFieldDef,
    *,
    zone: ZoneInfo | None = None,
    resolve: RefResolver | None = None,
    unknown_option: UnknownOption = "fail",
) -> Converted:
    """``value`` (a canonical value of type ``source``) as a value of ``target``'s type.

    ``zone`` is the account's zone for date <-> datetime (UTC when None); ``resolve`` maps a ref
    of the source CRM to its counterpart in the target (user and contact fields). None converts
    to None. Raises :class:`CustomValueConversionError` when the value cannot be converted.
    """
    if value is None:
        return Converted(None)
    source_family, target_family = type_family(source), type_family(target.type)
    if source_family not in _ACCEPTS[target_family]:
        raise CustomValueConversionError(f"a {source} value cannot become a {target.type} value")
    converted = _CONVERTERS[target_family](value, source_family, target, _Context(zone, resolve, unknown_option))
    return Converted(normalise_custom_value(target.type, converted.value), converted.loss, converted.lost_part)


@dataclass(frozen=True)
class _Context:
    zone: ZoneInfo | None
    resolve: RefResolver | None
    unknown_option: UnknownOption

    @property
    def tz(self) -> ZoneInfo:
        return self.zone or ZoneInfo("UTC")


def _plain_decimal(number: Decimal) -> str:
    """A decimal written without exponent (``1E+3`` -> ``1000``)."""
    return format(number, "f")


def _as_text(value: Any, family: str, context: _Context) -> str:
    if family in ("text", "file"):
        return str(value)
    if family == "number":
        return _plain_decimal(Decimal(value))
    if family == "currency":
        money = Money.model_validate(value)
        amount = _plain_decimal(money.amount)
        return f"{amount} {money.currency}" if money.currency else amount
    if family == "checkbox":
        return "true" if value else "false"
    if family == "date":
        return date.isoformat(value)
    if family == "datetime":
        instant: datetime = value
        return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if family == "select":
        return _option_name(value)
    if family in ("select_multi", "file_multi"):
        return ", ".join(_option_name(v) if family == "select_multi" else str(v) for v in value)
    if family == "ref":
        return str(_resolved(value, context, required=False))
    return ", ".join(str(_resolved(v, context, required=False)) for v in value)  # ref_multi


def _option_name(option: Any) -> str:
    lookup = Lookup.model_validate(option)
    if lookup.name is None:
        raise CustomValueConversionError("an option known only by its id has no name to match or write")
    return lookup.name


def _resolved(value: Any, context: _Context, *, required: bool = True) -> Ref:
    ref = Ref.model_validate(value)
    if context.resolve is None:
        if required:
            raise CustomValueConversionError(f"reference {ref} needs the crosswalk to be converted")
        return ref
    found = context.resolve(ref)
    if found is None:
        if required:
            raise CustomValueConversionError(f"reference {ref} has no counterpart in the target")
        return ref
    return found


def _to_text(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    return Converted(_as_text(value, family, context))


def _decimal_from_text(text: str) -> Decimal:
    try:
        number = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise CustomValueConversionError("the text is not a number") from None
    if not number.is_finite():
        raise CustomValueConversionError("the text is not a finite number")
    return number


def _to_number(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "number":
        return Converted(value)
    if family == "currency":
        money = Money.model_validate(value)
        loss = f"currency {money.currency} dropped (the target holds the amount only)" if money.currency else None
        return Converted(money.amount, loss, "value.currency")
    if family == "checkbox":
        return Converted(Decimal(1 if value else 0))
    return Converted(_decimal_from_text(str(value)))


def _money_from_text(text: str) -> Money:
    amount, _, code = text.strip().partition(" ")
    return Money(amount=_decimal_from_text(amount), currency=code.strip() or None)


def _to_currency(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "currency":
        return Converted(value)
    if family == "number":
        return Converted(Money(amount=Decimal(value)))
    return Converted(_money_from_text(str(value)))


_TRUE = frozenset({"true", "yes", "1", "on", "y"})
_FALSE = frozenset({"false", "no", "0", "off", "n", ""})


def _to_checkbox(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "checkbox":
        return Converted(value)
    if family == "number":
        if Decimal(value) not in (0, 1):
            raise CustomValueConversionError("only 0 and 1 become a checkbox")
        return Converted(Decimal(value) == 1)
    text = str(value).strip().casefold()
    if text in _TRUE:
        return Converted(True)
    if text in _FALSE:
        return Converted(False)
    raise CustomValueConversionError("the text is not true/false/yes/no/1/0")


def _parse_iso(text: str) -> date | datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CustomValueConversionError("the text is not an ISO 8601 date or datetime") from None
    is_date_only = len(text.strip()) == 10
    return parsed.date() if is_date_only else parsed


def _to_date(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "text":
        value = _parse_iso(str(value))
        family = "datetime" if isinstance(value, datetime) else "date"
    if family == "date":
        return Converted(value)
    if value.tzinfo is None:
        raise CustomValueConversionError("a datetime without an offset has no date in the account's zone")
    local = value.astimezone(context.tz)
    loss = "time of day dropped (a datetime into a date)" if local.time() != time(0) else None
    return Converted(local.date(), loss)


def _to_datetime(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "text":
        value = _parse_iso(str(value))
        family = "datetime" if isinstance(value, datetime) else "date"
    if family == "datetime":
        if value.tzinfo is None:
            raise CustomValueConversionError("a datetime needs an offset (naive times are ambiguous)")
        return Converted(value.astimezone(UTC))
    midnight = datetime.combine(value, time(0), tzinfo=context.tz)
    return Converted(midnight.astimezone(UTC))


def _select_one(name: str, target: CustomFieldDef, context: _Context, *, from_text: bool) -> Lookup:
    found = target.option(name)
    if found is not None:
        return found
    if context.unknown_option == "keep" or not target.options:
        return Lookup(name=name)
    # An option's name is the account's configuration and safe to name; free text may be personal data.
    what = "the text" if from_text else f"option {name!r}"
    raise CustomValueConversionError(f"{what} is not one of {target.name!r}'s options")


def _source_option_names(value: Any, family: str) -> list[str]:
    if family == "select":
        return [_option_name(value)]
    if family == "select_multi":
        return [_option_name(v) for v in value]
    if family == "checkbox":
        return ["true" if value else "false"]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _to_select(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    names = _source_option_names(value, family) if family != "text" else [str(value).strip()]
    if not names:
        return Converted(None)
    loss = f"{len(names) - 1} more option(s) dropped (several options into a single select)" if len(names) > 1 else None
    return Converted(_select_one(names[0], target, context, from_text=family == "text"), loss)


def _to_select_multi(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    names = _source_option_names(value, family)
    return Converted([_select_one(name, target, context, from_text=family == "text") for name in names])


def _to_file(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "file_multi":
        urls = list(value)
        loss = f"{len(urls) - 1} more file(s) dropped (several files into one)" if len(urls) > 1 else None
        return Converted(urls[0] if urls else None, loss)
    return Converted(str(value))


def _to_file_multi(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    if family == "file_multi":
        return Converted(list(value))
    return Converted([str(value)])


def _to_ref(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    refs: Sequence[Any] = value if family == "ref_multi" else [value]
    if not refs:
        return Converted(None)
    loss = f"{len(refs) - 1} more reference(s) dropped (several into one)" if len(refs) > 1 else None
    return Converted(_resolved(refs[0], context), loss)


def _to_ref_multi(value: Any, family: str, target: CustomFieldDef, context: _Context) -> Converted:
    refs: Sequence[Any] = value if family == "ref_multi" else [value]
    return Converted([_resolved(ref, context) for ref in refs])


_CONVERTERS: dict[str, Callable[[Any, str, CustomFieldDef, _Context], Converted]] = {
    "text": _to_text,
    "number": _to_number,
    "currency": _to_currency,
    "checkbox": _to_checkbox,
    "date": _to_date,
    "datetime": _to_datetime,
    "select": _to_select,
    "select_multi": _to_select_multi,
    "file": _to_file,
    "file_multi": _to_file_multi,
    "ref": _to_ref,
    "ref_multi": _to_ref_multi,
}
