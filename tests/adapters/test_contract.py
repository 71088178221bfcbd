"""The adapter contract is implementable: a tiny in-test adapter exercises every part of it."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import attrs
import pytest

import crmbridge
from crmbridge.adapters import Adapter, Resolver, available_systems, get_adapter, register_adapter
from crmbridge.adapters._support import (
    build_canonical,
    int_ref,
    make_strict_converter,
    pydantic_error_path,
    ref_int_id,
    structure,
    unknown_fields,
)
from crmbridge.canonical import Contact, Record, Ref, Task
from crmbridge.errors import CrmBridgeError, MappingError, UnresolvedReference, UnsupportedKind


@attrs.define
class ToyPhone:
    number: str
    label: str | None = None


@attrs.define
class ToyContact:
    id: int
    name: str
    owner_id: int | None = None
    phones: list[ToyPhone] = attrs.Factory(list)


_converter = make_strict_converter()


class ToyAdapter(Adapter):
    """A CRM with integer ids, a name and phones: just enough to exercise the contract."""

    system: ClassVar[str] = "toy"
    kinds: ClassVar[frozenset[str]] = frozenset({"contact"})

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        self.check_kind(kind)
        wire = structure(_converter, payload, ToyContact, system=self.system, kind=kind)
        return Contact(
            ref=int_ref(self.system, "contact", wire.id),
            display_name=wire.name,
            owners=[r for r in [int_ref(self.system, "user", wire.owner_id)] if r],
            phones=[{"number": p.number, "kind": p.label} for p in wire.phones],  # type: ignore[misc]
            extras=unknown_fields(payload, ToyContact),
        )

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        assert isinstance(record, Contact)
        body: dict[str, Any] = {"name": record.display_name}
        if record.owners:
            owner = self.local_ref(record.owners[0], path="owners[0]", record_kind="contact", resolve=resolve)
            body["owner_id"] = ref_int_id(owner, record_kind="contact", path="owners[0]")
        body["phones"] = [{"number": p.number, "label": p.kind} for p in record.phones]
        if self.owns(record):
            body.update(record.extras)
        return body

    def unsupported(self, record: Record) -> list[str]:
        assert isinstance(record, Contact)
        lost = [f"owners[{i}]" for i in range(1, len(record.owners))]
        return lost + self.foreign_extras(record)


@pytest.fixture(autouse=True)
def _register_toy() -> Iterator[None]:
    register_adapter("toy", ToyAdapter)
    return


PAYLOAD = {"id": 7, "name": "John Doe", "owner_id": 3, "phones": [{"number": "123", "label": "mobile"}], "vip": True}


def test_get_adapter_finds_a_registered_factory() -> None:
    """get_adapter returns the registered adapter, and the system is listed as available."""
    adapter = get_adapter("toy")
    assert isinstance(adapter, ToyAdapter)
    assert "toy" in available_systems()


def test_unknown_system_lists_the_known_ones() -> None:
    """Asking for an unknown system is a ValueError that names the known systems."""
    with pytest.raises(ValueError, match=r"unknown system 'nope'.*toy"):
        crmbridge.get_adapter("nope")


def test_to_canonical_maps_fields_and_keeps_unknown_ones() -> None:
    """The toy payload becomes a Contact with string Refs and its unknown field in extras."""
    contact = get_adapter("toy").to_canonical("contact", PAYLOAD)
    assert isinstance(contact, Contact)
    assert contact.ref == Ref("toy", "contact", "7")
    assert contact.owners == [Ref("toy", "user", "3")]
    assert contact.phones[0].number == "123"
    assert contact.phones[0].kind == "mobile"
    assert contact.extras == {"vip": True}


def test_same_system_round_trip_is_lossless() -> None:
    """Writing back a record read from the same system gives every writable field back."""
    adapter = get_adapter("toy")
    body = adapter.from_canonical(adapter.to_canonical("contact", PAYLOAD))
    assert body == {k: v for k, v in PAYLOAD.items() if k != "id"}


def test_wrong_type_is_a_mapping_error_with_the_path() -> None:
    """A wrong type deep in the payload raises MappingError naming system, kind and field path."""
    bad = {**PAYLOAD, "phones": [{"number": "1"}, {"number": 5}]}
    with pytest.raises(MappingError) as caught:
        get_adapter("toy").to_canonical("contact", bad)
    error = caught.value
    assert (error.system, error.kind, error.path) == ("toy", "contact", "phones[1].number")
    assert str(error).startswith("toy contact: phones[1].number: ")
    assert isinstance(error, ValueError)
    assert isinstance(error, CrmBridgeError)


@pytest.mark.parametrize(
    ("payload", "path"),
    [({"id": "7", "name": "x"}, "id"), ({"id": True, "name": "x"}, "id"), ({"name": "x"}, "id"), ("not an object", "")],
)
def test_strict_converter_refuses_coercion(payload: Any, path: str) -> None:
    """Strings, booleans and missing keys are never coerced into ids: each is a MappingError."""
    with pytest.raises(MappingError) as caught:
        get_adapter("toy").to_canonical("contact", payload)
    assert caught.value.path == path


def test_error_messages_never_quote_the_value() -> None:
    """A MappingError describes the problem without repeating the personal data that caused it."""
    with pytest.raises(MappingError) as caught:
        get_adapter("toy").to_canonical("contact", {**PAYLOAD, "name": {"secret": "sensitive-value"}})
    assert "sensitive-value" not in str(caught.value)


def test_batch_reports_bad_records_and_keeps_going() -> None:
    """A batch with a broken payload translates the good ones and reports the bad one by index."""
    result = get_adapter("toy").to_canonical_batch("contact", [PAYLOAD, {"id": "x"}, {**PAYLOAD, "id": 8}])
    assert [r.ref.id for r in result.records if r.ref] == ["7", "8"]
    assert [(f.index, f.error.path) for f in result.failures] == [(1, "id")]


def test_unsupported_kind_is_refused() -> None:
    """An adapter refuses a kind it does not support, naming the ones it does."""
    adapter = get_adapter("toy")
    with pytest.raises(UnsupportedKind, match="supports: contact"):
        adapter.to_canonical("task", {})
    with pytest.raises(UnsupportedKind):
        adapter.to_canonical_batch("task", [])


def test_foreign_reference_needs_a_resolver() -> None:
    """A Ref of another system without a resolver raises UnresolvedReference naming the field."""
    contact = Contact(display_name="x", owners=[Ref("other", "user", "u-1")])
    with pytest.raises(UnresolvedReference) as caught:
        get_adapter("toy").from_canonical(contact)
    assert caught.value.path == "owners[0]"
    assert caught.value.ref == Ref("other", "user", "u-1")
    assert "other:user:u-1" in str(caught.value)


def test_resolver_rewrites_foreign_references() -> None:
    """A resolver that knows the counterpart lets the write go through with the local id."""
    crosswalk = {Ref("other", "user", "u-1"): Ref("toy", "user", "42")}
    contact = Contact(display_name="x", owners=[Ref("other", "user", "u-1")])
    body = get_adapter("toy").from_canonical(contact, resolve=lambda ref, system: crosswalk.get(ref))
    assert body["owner_id"] == 42


def test_resolver_returning_none_or_another_system_is_unresolved() -> None:
    """A resolver that answers None, or a Ref of the wrong system, leaves the reference unresolved."""
    contact = Contact(display_name="x", owners=[Ref("other", "user", "u-1")])
    adapter = get_adapter("toy")
    with pytest.raises(UnresolvedReference):
        adapter.from_canonical(contact, resolve=lambda ref, system: None)
    with pytest.raises(UnresolvedReference):
        adapter.from_canonical(contact, resolve=lambda ref, system: Ref("third", "user", "1"))


def test_local_ref_with_non_integer_id_is_refused() -> None:
    """A local Ref whose id is not an integer cannot be written to an integer-id system."""
    contact = Contact(display_name="x", owners=[Ref("toy", "user", "../admin")])
    with pytest.raises(MappingError, match="must be a positive integer") as caught:
        get_adapter("toy").from_canonical(contact)
    assert caught.value.path == "owners[0]"


def test_foreign_extras_are_reported_and_not_written() -> None:
    """Extras of a record read from another system are reported as unsupported and left out of the body."""
    adapter = get_adapter("toy")
    foreign = Contact(
        ref=Ref("other", "contact", "1"),
        display_name="x",
        extras={"vip": True},
        owners=[Ref("toy", "user", "1"), Ref("toy", "user", "2")],
    )
    assert adapter.unsupported(foreign) == ["owners[1]", "extras.vip"]
    assert "vip" not in adapter.from_canonical(foreign)
    own = Contact(ref=Ref("toy", "contact", "1"), display_name="x", extras={"vip": True})
    assert adapter.unsupported(own) == []


def test_default_update_body_is_the_create_body() -> None:
    """An adapter that does not override to_update sends the full body."""
    adapter = get_adapter("toy")
    record = adapter.to_canonical("contact", PAYLOAD)
    assert adapter.to_update(record, fields={"display_name"}) == adapter.from_canonical(record)


def test_system_without_examples_yields_none() -> None:
    """A system whose emulator ships no examples folder (or that has no emulator) has no example payloads."""
    from crmbridge.sandbox import example_payloads

    assert list(example_payloads("toy")) == []


def test_mapping_errors_survive_pickling() -> None:
    """Errors cross process boundaries (worker pools) with their fields intact."""
    error = MappingError("toy", "contact", "phones[0]", "expected a string")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.system, copy.kind, copy.path, str(copy)) == ("toy", "contact", "phones[0]", str(error))
    unresolved = UnresolvedReference("toy", "task", "contacts[0]", Ref("x", "contact", "1"))
    assert pickle.loads(pickle.dumps(unresolved)).ref == Ref("x", "contact", "1")


def test_mapping_error_without_path_reads_well() -> None:
    """An error about the whole object leaves the path out of the message."""
    assert str(MappingError("toy", "contact", "", "expected a JSON object")) == "toy contact: expected a JSON object"


def test_ref_int_id_accepts_digits_only() -> None:
    """Integer ids are plain digit strings; anything else is refused before it reaches a URL."""
    assert ref_int_id(Ref("toy", "user", "42"), record_kind="contact", path="x") == 42
    for bad in ("1;DROP", "-1", "1.5", "٣", "9" * 19):
        with pytest.raises(MappingError):
            ref_int_id(Ref("toy", "user", bad), record_kind="contact", path="x")


def test_task_kind_record_is_not_a_contact() -> None:
    """The toy adapter is for contacts only: its kinds say so."""
    assert get_adapter("toy").kinds == frozenset({"contact"})
    assert Task.KIND not in get_adapter("toy").kinds


def test_strict_converter_refuses_strings_and_objects_as_lists() -> None:
    """A string or an object where a list belongs is a MappingError, not a list of characters or keys."""
    for bad in ("123", {"number": "1"}):
        with pytest.raises(MappingError) as caught:
            get_adapter("toy").to_canonical("contact", {**PAYLOAD, "phones": bad})
        assert caught.value.path == "phones"


def test_build_canonical_turns_validation_errors_into_mapping_errors() -> None:
    """A canonical record that fails validation is a MappingError with the field path and no input value."""
    with pytest.raises(MappingError) as caught:
        build_canonical(
            Contact,
            {"phones": [{"number": "1"}, {"number": "secret-number", "is_primary": "maybe"}]},
            system="toy",
            kind="contact",
            path="lead",
        )
    assert caught.value.path == "lead.phones[1].is_primary"
    assert "secret-number" not in str(caught.value)
    assert caught.value.message == "invalid value (bool_parsing)"
    assert build_canonical(Contact, {"first_name": "A"}, system="toy", kind="contact").first_name == "A"


def test_pydantic_error_path_formats_indexes_and_prefixes() -> None:
    """Locations become dotted paths with bracketed indexes, below an optional prefix."""
    assert pydantic_error_path(("phones", 1, "number")) == "phones[1].number"
    assert pydantic_error_path((0, "id"), "data") == "data[0].id"
    assert pydantic_error_path(()) == ""


def test_local_ref_checks_the_expected_kind() -> None:
    """A Ref of the wrong kind (a user where a contact belongs) is a MappingError naming the field."""
    adapter = get_adapter("toy")
    assert adapter.local_ref(
        Ref("toy", "user", "1"), path="owners[0]", record_kind="contact", resolve=None, expected_kind="user"
    ) == Ref("toy", "user", "1")
    with pytest.raises(MappingError, match="expected a user reference, got a contact") as caught:
        adapter.local_ref(
            Ref("toy", "contact", "1"), path="owners[0]", record_kind="contact", resolve=None, expected_kind="user"
        )
    assert caught.value.path == "owners[0]"


def test_int_refs_are_cached() -> None:
    """The same integer id of the same kind gives the very same Ref object (they are immutable)."""
    assert int_ref("toy", "user", 5) is int_ref("toy", "user", 5)
    assert int_ref("toy", "user", None) is None
