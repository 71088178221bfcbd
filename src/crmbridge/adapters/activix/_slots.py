"""Placing a contact's emails and phones in a lead's typed slots (one per type).

A lead holds one email per type (``home``, ``work``) and one phone per type (``home``,
``work``, ``mobile``). Canonical kinds are matched to a type through an alias table; an item
whose kind names no Activix type (``None``, ``"other"``, ``"fax"``) takes the first free type in
the order above. The first item of a type wins; what finds no free slot is *overflow*, reported
by ``unsupported()`` and not written.

A record read from Activix keeps a type Activix sent even when it is unknown here (the type
enums are open), so it is written back unchanged; an item it sent without a type is not given
one (it would be a guess): it is reported with the overflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["EMAIL_ALIASES", "EMAIL_TYPES", "PHONE_ALIASES", "PHONE_TYPES", "Placement", "place"]

EMAIL_TYPES: tuple[str, ...] = ("home", "work")
PHONE_TYPES: tuple[str, ...] = ("home", "work", "mobile")

EMAIL_ALIASES: Mapping[str, str] = {
    "home": "home",
    "personal": "home",
    "private": "home",
    "work": "work",
    "business": "work",
    "office": "work",
}
PHONE_ALIASES: Mapping[str, str] = {
    "home": "home",
    "personal": "home",
    "private": "home",
    "work": "work",
    "business": "work",
    "office": "work",
    "mobile": "mobile",
    "cell": "mobile",
    "cellphone": "mobile",
    "cell_phone": "mobile",
}


class Placement:
    """Where each item goes: ``types[index]`` is its Activix type; ``overflow`` lists the rest."""

    __slots__ = ("overflow", "types")

    def __init__(self, types: dict[int, str], overflow: list[int]) -> None:
        self.types = types
        self.overflow = overflow


def place(
    kinds: Sequence[str | None],
    slot_types: Sequence[str],
    aliases: Mapping[str, str],
    *,
    keep_unknown: bool,
) -> Placement:
    """Assign each kind a slot type: named kinds first (in order), then the unnamed ones."""
    taken: set[str] = set()
    types: dict[int, str] = {}
    overflow: list[int] = []
    floating: list[int] = []
    for index, kind in enumerate(kinds):
        wanted = _wanted_type(kind, aliases, keep_unknown=keep_unknown)
        if kind is None and keep_unknown:
            # Activix sent it without a type and its create needs one (api/resources/email.md,
            # phone.md today): reported as not writable rather than written under an invented type.
            overflow.append(index)
        elif wanted is None:
            floating.append(index)
        elif wanted in taken:
            overflow.append(index)
        else:
            taken.add(wanted)
            types[index] = wanted
    for index in floating:
        free = next((t for t in slot_types if t not in taken), None)
        if free is None:
            overflow.append(index)
        else:
            taken.add(free)
            types[index] = free
    overflow.sort()
    return Placement(types, overflow)


def _wanted_type(kind: str | None, aliases: Mapping[str, str], *, keep_unknown: bool) -> str | None:
    if kind is None:
        return None
    alias = aliases.get(kind.strip().lower())
    if alias is not None:
        return alias
    return kind if keep_unknown else None
