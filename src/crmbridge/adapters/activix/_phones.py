"""Phone numbers to E.164, with the phonenumbers library set up once per adapter."""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["PhoneNormaliser"]

# Activix stores E.164; a number already in that shape needs no (slow) parse.
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class PhoneNormaliser:
    """Turns phone numbers into E.164, reading numbers without ``+`` in ``default_region``.

    With ``default_region=None`` only numbers written with a leading ``+`` can be normalised.
    """

    __slots__ = ("default_region",)

    def __init__(self, default_region: str | None = None) -> None:
        if default_region is not None and default_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("default_region must be a two-letter region code known to phonenumbers, e.g. 'CA'")
        self.default_region = None if default_region is None else default_region.upper()

    def to_e164(self, number: str) -> str | None:
        """``number`` in E.164 (``+15145550123``), or None when it cannot be read as a phone number."""
        text = number.strip()
        if _E164.fullmatch(text):
            return text
        try:
            parsed = phonenumbers.parse(text, self.default_region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(parsed):
            return None
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
