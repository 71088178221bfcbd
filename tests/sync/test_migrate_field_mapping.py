"""Migrations with a field mapping: custom field values arrive in the target's fields instead of being dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

import crmbridge
from crmbridge import Connection, Contact, Ref
from crmbridge.canonical import Money
from crmbridge.errors import FieldMappingError
from crmbridge.sandbox import Sandbox, make_sandbox
from crmbridge.sync import migrate
from crmbridge.sync._field_mapping import parse_field_mapping, suggest_field_mapping

ACTIVIX_USERS = {Ref("estateprime", "user", str(i)): Ref("activix", "user", str(1 + i % 3)) for i in range(1, 40)}


def connect(sandbox: Sandbox, **options: object) -> Connection:
    """A connection to ``sandbox`` with what each target needs to create contacts."""
    if sandbox.system == "activix":
        options = {"default_lead_type": "web_order", "default_region": "US", **options}
    return crmbridge.connect(sandbox.system, **sandbox.client_options(), **options)


def custom_values(contact: Contact) -> dict[str, object]:
    """A contact's custom field values by field name."""
    return {c.name or str(c.field): c.value for c in contact.custom_fields}


def test_a_suggested_mapping_moves_every_matched_value_into_activix(tmp_path: Path) -> None:
    """EstatePrime -> Activix with the suggested mapping: matched fields arrive typed; only unmatched ones drop."""
    ep, ax = make_sandbox("estateprime", seed_records=12, seed=3), make_sandbox("activix")
    with connect(ep) as src, connect(ax) as dst:
        text = suggest_field_mapping("estateprime", "activix", src.custom_field_defs(), dst.custom_field_defs())
        report = migrate(
            source=src,
            target=dst,
            kinds=["contact"],
            state=tmp_path / "s.db",
            links=ACTIVIX_USERS,
            field_mapping=parse_field_mapping(text),
        )
        sources = {c.ref: c for c in src.list("contact") if isinstance(c, Contact)}
        crosswalk = crmbridge.StateStore(tmp_path / "s.db")
        moved = 0
        for ref, contact in sources.items():
            assert ref is not None
            target_ref = crosswalk.resolve(ref, "activix")
            assert target_ref is not None
            lead = dst.get("contact", target_ref)
            assert isinstance(lead, Contact)
            have, want = custom_values(lead), custom_values(contact)
            if "Available Budget" in want:
                budget = want["Available Budget"]
                assert isinstance(budget, Money)
                assert have["Budget"] == Money(amount=budget.amount)
                moved += 1
            if "Bank Accounts" in want:
                assert have["Bank accounts"] == want["Bank Accounts"]
            if "Preferred Contact Methods" in want:
                names = [o.name for o in want["Preferred Contact Methods"]]  # type: ignore[attr-defined]
                assert have["Preferred contact"] == ", ".join(names)
        crosswalk.close()
    assert report.failures == []
    assert moved == report.field_mapping["Available Budget -> Budget"].moved > 0
    dropped = report.kinds["contact"].dropped_fields
    # The one field with no Activix match (Lawyer's Phone) is the only custom value dropped.
    lawyers = sum(1 for c in sources.values() if "Lawyer's Phone" in custom_values(c))
    assert dropped.get("custom_fields[*]", 0) == lawyers
    assert dropped["custom_fields[*].value.currency"] == moved  # Activix keeps the amount, not the code


def test_create_missing_defines_rechat_fields_once_and_drops_nothing(tmp_path: Path) -> None:
    """With create_missing, Rechat gets one attribute def per unmatched field; a re-run defines none again."""
    ep, rc = make_sandbox("estateprime", seed_records=8, seed=5), make_sandbox("rechat")
    owner = Ref("rechat", "user", rc.user(rc.token).id)  # type: ignore[attr-defined]
    users = {Ref("estateprime", "user", str(i)): owner for i in range(1, 40)}
    mapping = parse_field_mapping("create_missing = true\n")
    with connect(ep) as src, connect(rc, default_owner=owner.id) as dst:
        first = migrate(
            source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=users, field_mapping=mapping
        )
        defs = [d.name for d in dst.custom_field_defs()["contact"]]
        second = migrate(
            source=src, target=dst, kinds=["contact"], state=tmp_path / "s.db", links=users, field_mapping=mapping
        )
        again = [d.name for d in dst.custom_field_defs()["contact"]]
        ep_names = [d.name for d in src.custom_field_defs()["contact"]]
    assert first.failures == []
    assert sorted(defs) == sorted(again) == sorted(ep_names)
    budgets = first.field_mapping["Available Budget -> Available Budget"].moved
    assert "custom_fields[*]" not in first.kinds["contact"].dropped_fields
    # Rechat numbers hold the amount; the currency code is the one part reported lost.
    assert first.kinds["contact"].dropped_fields["custom_fields[*].value.currency"] == budgets > 0
    assert second.kinds["contact"].created == 0
    assert sum(stats.moved for stats in first.field_mapping.values()) > 0


def test_a_mapping_naming_a_missing_field_stops_before_any_write(tmp_path: Path) -> None:
    """A line naming a field the target lacks raises FieldMappingError with its line, and nothing is created."""
    ep, ax = make_sandbox("estateprime", seed_records=4, seed=3), make_sandbox("activix")
    text = "auto = false\n\n[[field]]\nfrom = 'Available Budget'\nto = 'Net worth'\n"
    with connect(ep) as src, connect(ax) as dst:
        before = len(list(dst.list("contact")))
        with pytest.raises(
            FieldMappingError, match=r"mapping\.toml:3: activix has no contact custom field 'Net worth'"
        ):
            migrate(
                source=src,
                target=dst,
                kinds=["contact"],
                state=tmp_path / "s.db",
                links=ACTIVIX_USERS,
                field_mapping=parse_field_mapping(text, path="mapping.toml"),
            )
        assert len(list(dst.list("contact"))) == before


def test_create_missing_where_the_target_cannot_define_fields_is_a_mapping_error(tmp_path: Path) -> None:
    """Activix custom fields are set up in Activix itself: create_missing says so instead of dropping silently."""
    ep, ax = make_sandbox("estateprime", seed_records=2, seed=3), make_sandbox("activix")
    with (
        connect(ep) as src,
        connect(ax) as dst,
        pytest.raises(FieldMappingError, match="create_missing: activix cannot"),
    ):
        migrate(
            source=src,
            target=dst,
            kinds=["contact"],
            state=tmp_path / "s.db",
            links=ACTIVIX_USERS,
            field_mapping=parse_field_mapping("create_missing = true\n"),
        )


def test_a_dry_run_counts_per_line_and_defines_nothing(tmp_path: Path) -> None:
    """A dry run reports how many values each line would move, and creates no Rechat definitions."""
    ep, rc = make_sandbox("estateprime", seed_records=6, seed=5), make_sandbox("rechat")
    owner = Ref("rechat", "user", rc.user(rc.token).id)  # type: ignore[attr-defined]
    users = {Ref("estateprime", "user", str(i)): owner for i in range(1, 40)}
    with connect(ep) as src, connect(rc, default_owner=owner.id) as dst:
        dst.create_custom_field_def("contact", "Website", "url")
        report = migrate(
            source=src,
            target=dst,
            kinds=["contact"],
            state=tmp_path / "s.db",
            links=users,
            dry_run=True,
            field_mapping=parse_field_mapping("create_missing = true\n"),
        )
        names = [d.name for d in dst.custom_field_defs()["contact"]]
        websites = sum(1 for c in src.list("contact") if isinstance(c, Contact) and "Website" in custom_values(c))
    assert names == ["Website"]
    assert report.field_mapping["Website -> Website"].moved == websites > 0
    assert report.as_dict()["field_mapping"]["Website -> Website"]["moved"] == websites
