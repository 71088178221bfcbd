"""Custom field values, typed by the 21 custom field types of the EstatePrime documents.

The value of a :class:`CustomFieldValue` is normalised by its ``type`` so that a record read from
JSON equals the record that was written (a ``date`` comes back as a ``date``, not a string):

==========================================================  =====================================
type                                                        canonical value
==========================================================  =====================================
text, textarea, wysiwyg, address, url, file, image          ``str``
file_multi, image_multi                                     ``list[str]``
number, formatted_number                                    ``Decimal`` (JSON: a decimal string)
currency                                                    :class:`Money`
select                                                      :class:`Lookup` (the chosen option)
select_multi                                                ``list[Lookup]``
checkbox                                                    ``bool``
date                                                        ``date``
datetime                                                    aware UTC ``datetime``
user, contact                                               :class:`Ref`
user_multi, contact_multi                                   ``list[Ref]``
None (definition unknown)                                   any JSON value, unchanged
==========================================================  =====================================

``None`` is a valid value of every type (the field is empty).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, TypeAdapter, ValidationInfo, field_validator

from crmbridge.canonical._base import CanonicalModel, UtcDateTime
from crmbridge.canonical._json import json_value
from crmbridge.canonical._refs import Lookup, Ref

__all__ = ["CUSTOM_FIELD_TYPES", "CustomFieldType", "CustomFieldValue", "Money", "normalise_custom_value"]

CustomFieldType = Literal[
    "text",
    "textarea",
    "wysiwyg",
    "number",
    "formatted_number",
    "select",
    "select_multi",
    "checkbox",
    "file",
    "file_multi",
    "image",
    "image_multi",
    "address",
    "url",
    "date",
    "datetime",
    "currency",
    "user",
    "user_multi",
    "contact",
    "contact_multi",
]
CUSTOM_FIELD_TYPES: tuple[str, ...] = get_args(CustomFieldType)

FiniteDecimal = Annotated[Decimal, Field(allow_inf_nan=False)]


class Money(CanonicalModel):
    """An amount with the currency it was given in (a symbol such as ``"€"`` or a code)."""

    amount: FiniteDecimal
    currency: str | None = None


_TEXT = TypeAdapter(str)
_TEXTS = TypeAdapter(list[str])
_DECIMAL = TypeAdapter(FiniteDecimal)
_VALUE_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    **dict.fromkeys(("text", "textarea", "wysiwyg", "address", "url", "file", "image"), _TEXT),
    **dict.fromkeys(("file_multi", "image_multi"), _TEXTS),
    **dict.fromkeys(("number", "formatted_number"), _DECIMAL),
    "currency": TypeAdapter(Money),
    "select": TypeAdapter(Lookup),
    "select_multi": TypeAdapter(list[Lookup]),
    "checkbox": TypeAdapter(bool),
    "date": TypeAdapter(date),
    "datetime": TypeAdapter(UtcDateTime),
    **dict.fromkeys(("user", "contact"), TypeAdapter(Ref)),
    **dict.fromkeys(("user_multi", "contact_multi"), TypeAdapter(list[Ref])),
}


def normalise_custom_value(field_type: str | None, value: Any) -> Any:
    """The canonical value of a custom field of ``field_type`` (see the module docstring).

    Raises pydantic's ``ValidationError`` when ``value`` does not fit the type (or, untyped, is
    not JSON). :class:`CustomFieldValue` validates its ``value`` with this.
    """
    if value is None:
        return None
    adapter = _VALUE_ADAPTERS.get(field_type) if field_type else None
    return json_value(value) if adapter is None else adapter.validate_python(value)


class CustomFieldValue(CanonicalModel):
    """The value of one custom field on a record; ``field`` is the definition's Ref."""

    field: Ref
    name: str | None = None
    type: CustomFieldType | None = None
    value: Any = None

    @field_validator("value", mode="after")
    @classmethod
    def _normalise_by_type(cls, value: Any, info: ValidationInfo) -> Any:
        return normalise_custom_value(info.data.get("type"), value)
