"""Identities of records in a CRM, and entries of a CRM's lookup lists."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from crmbridge.canonical._base import CanonicalModel

__all__ = ["Lookup", "Ref"]

_Name = Annotated[str, Field(min_length=1, pattern=r"^[a-z][a-z0-9_\-]*$")]


class Ref(CanonicalModel):
    """A record's identity in one CRM: ``Ref("estateprime", "contact", "1489")``.

    ``id`` is always a string; adapters convert to int or UUID at their edge. ``kind`` is the
    system's own name for the record type (Activix calls a contact a ``lead``). ``str(ref)`` is
    ``"estateprime:contact:1489"``; :meth:`parse` reads that back.
    """

    system: _Name
    kind: _Name
    id: Annotated[str, Field(min_length=1)]

    def __init__(self, system: str, kind: str, id: str) -> None:  # noqa: A002
        fields: dict[str, Any] = {"system": system, "kind": kind, "id": id}
        super().__init__(**fields)

    @model_validator(mode="before")
    @classmethod
    def _accept_string_form(cls, value: Any) -> Any:
        if isinstance(value, str):
            return cls._split(value)
        return value

    @classmethod
    def parse(cls, text: str) -> Ref:
        """Read the ``system:kind:id`` form (the id may itself contain colons)."""
        parts = cls._split(text)
        return cls(parts["system"], parts["kind"], parts["id"])

    @staticmethod
    def _split(text: str) -> dict[str, str]:
        system, sep1, rest = text.partition(":")
        kind, sep2, ident = rest.partition(":")
        if not (sep1 and sep2 and system and kind and ident):
            raise ValueError(f"a Ref is written 'system:kind:id', got {text!r}")
        return {"system": system, "kind": kind, "id": ident}

    def __str__(self) -> str:
        return f"{self.system}:{self.kind}:{self.id}"

    def __repr__(self) -> str:
        return f"Ref({self.system!r}, {self.kind!r}, {self.id!r})"


class Lookup(CanonicalModel):
    """An entry of a CRM's lookup list: a tag, a source, a channel, an event status or category.

    Either part may be missing (a tag known only by id until lookups are loaded; a Rechat tag
    known only by name), but not both.
    """

    ref: Ref | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Lookup:
        if self.ref is None and self.name is None:
            raise ValueError("a Lookup needs a ref, a name, or both")
        return self
