"""Record-by-record comparison of an EstatePrime source and its Activix copy, through the canonical model."""

from __future__ import annotations

from typing import Any

from crmbridge import Record, Ref


def by_ref(records: list[Record]) -> dict[Ref, Record]:
    """Records keyed by ref (asserting that no record was listed twice)."""
    refs = [r.ref for r in records]
    assert len(set(refs)) == len(refs), "no record is listed twice"
    return {r.ref: r for r in records if r.ref is not None}


def contact_differences(source: Any, target: Any) -> list[str]:
    """The canonical contact fields both CRMs carry that differ between the two records."""
    names = ("first_name", "last_name", "is_company")
    differences = [name for name in names if getattr(source, name) != getattr(target, name)]
    if source.is_company and source.company_name != target.company_name:
        differences.append("company_name")
    # Activix keeps one phone and one email per type (the rest is reported as dropped): what it
    # holds must come from the source.
    if not {p.number for p in target.phones} <= {p.number for p in source.phones}:
        differences.append("phones")
    if not {e.address for e in target.emails} <= {e.address for e in source.emails}:
        differences.append("emails")
    return differences


def activity_differences(source: Any, target: Any, lead: Ref | None) -> list[str]:
    """The canonical communication fields both CRMs carry that differ (``lead``: the contact's copy)."""
    names = ("occurred_at", "direction", "channel", "notes")
    differences = [name for name in names if getattr(source, name) != getattr(target, name)]
    if target.contact != lead:
        differences.append("contact")
    return differences


def mismatches(
    contacts: dict[Ref, Record],
    activities: dict[Ref, Record],
    leads: dict[Ref, Record],
    calls: dict[Ref, Record],
    crosswalk: dict[Ref, Ref],
) -> dict[Ref, list[str]]:
    """Every source record whose copy differs from it, with the differing fields."""
    found: dict[Ref, list[str]] = {}
    for ref, contact in contacts.items():
        differences = contact_differences(contact, leads[crosswalk[ref]])
        if differences:
            found[ref] = differences
    for ref, activity in activities.items():
        lead = crosswalk.get(activity.contact)  # type: ignore[attr-defined]
        differences = activity_differences(activity, calls[crosswalk[ref]], lead)
        if differences:
            found[ref] = differences
    return found
