"""Ref and Lookup: identities and lookup entries."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crmbridge.canonical import Lookup, Ref


def test_ref_string_form_round_trips() -> None:
    """str(ref) is system:kind:id and Ref.parse reads it back to an equal, equally hashed Ref."""
    ref = Ref("estateprime", "contact", "1489")
    assert str(ref) == "estateprime:contact:1489"
    parsed = Ref.parse(str(ref))
    assert parsed == ref
    assert hash(parsed) == hash(ref)
    assert {ref, parsed} == {ref}


def test_ref_keyword_and_positional_construction_agree() -> None:
    """Positional and keyword construction build the same Ref."""
    assert Ref("rechat", "task", "736ddda0") == Ref(system="rechat", kind="task", id="736ddda0")


def test_ref_id_may_contain_colons() -> None:
    """Only the first two colons separate system and kind; the id keeps the rest."""
    assert Ref.parse("x:y:a:b:c").id == "a:b:c"


@pytest.mark.parametrize("text", ["", "estateprime", "estateprime:contact", "estateprime::1", ":contact:1"])
def test_ref_parse_rejects_incomplete_text(text: str) -> None:
    """A text without all three parts is a ValueError."""
    with pytest.raises(ValueError, match="system:kind:id"):
        Ref.parse(text)


def test_ref_validates_from_string_form() -> None:
    """A Ref field accepts the string form, so JSON written by hand can use it."""
    assert Ref.model_validate("activix:lead:7") == Ref("activix", "lead", "7")


@pytest.mark.parametrize(
    ("system", "kind", "ident"), [("Estate Prime", "contact", "1"), ("a", "", "1"), ("a", "b", "")]
)
def test_ref_rejects_bad_parts(system: str, kind: str, ident: str) -> None:
    """System and kind are lowercase names and the id is not empty."""
    with pytest.raises(ValidationError):
        Ref(system, kind, ident)


def test_ref_is_immutable() -> None:
    """A Ref cannot be changed after construction."""
    ref = Ref("a", "b", "c")
    with pytest.raises(ValidationError):
        ref.id = "d"  # type: ignore[misc]


def test_lookup_needs_ref_or_name() -> None:
    """A Lookup with neither ref nor name is refused; either alone is enough."""
    with pytest.raises(ValidationError, match="needs a ref, a name"):
        Lookup()
    assert Lookup(name="VIP").name == "VIP"
    assert Lookup(ref=Ref("estateprime", "contact_tag", "1")).ref == Ref("estateprime", "contact_tag", "1")
