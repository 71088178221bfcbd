"""Benchmark 1, the read path: raw bytes of a page of 50 objects to canonical records.

Per CRM and kind, three ways over the same bytes, timed round-robin in one process:

- ``json.loads`` only (the baseline the target is stated against);
- ``json.loads`` + the hand-written dict-to-dict mapping of :mod:`bench._handmaps` (no validation);
- ``json.loads`` + ``adapter.to_canonical`` for each object (what ``Connection.list`` does).

The ratio is throughput relative to ``json.loads``: ``t(json.loads) / t(crmbridge)``.
"""

from __future__ import annotations

import json

from bench._common import Row, Settings, interleaved_medians
from bench._pages import PAGE_SIZE, Case, cases

__all__ = ["TARGET", "run"]

NAME = "read"
TARGET = 0.25
"""crmbridge reads at least 25 % of json.loads throughput on the same bytes."""


def _runs(case: Case) -> dict[str, object]:
    body, key, kind = case.body, case.items_key, case.kind
    to_canonical, hand = case.adapter.to_canonical, case.hand

    def json_only() -> object:
        return json.loads(body)

    def hand_mapping() -> object:
        return [hand(item) for item in json.loads(body)[key]]

    def crmbridge_path() -> object:
        return [to_canonical(kind, item) for item in json.loads(body)[key]]

    return {"json.loads": json_only, "hand mapping": hand_mapping, "crmbridge": crmbridge_path}


def run(settings: Settings) -> list[Row]:
    """One row per CRM and kind."""
    rows = []
    for case in cases():
        medians = interleaved_medians(_runs(case), reps=settings.reps, quick=settings.quick)  # type: ignore[arg-type]
        per_record = {name: seconds / PAGE_SIZE * 1e6 for name, seconds in medians.items()}
        crm = medians["crmbridge"]
        rows.append(
            Row(
                benchmark=NAME,
                case=case.label,
                ratio=medians["json.loads"] / crm,
                meaning="throughput vs json.loads",
                target=TARGET,
                detail=(
                    f"µs/record: json {per_record['json.loads']:.1f}, hand {per_record['hand mapping']:.1f}, "
                    f"crmbridge {per_record['crmbridge']:.1f}; vs hand {medians['hand mapping'] / crm:.2f}"
                ),
                raw={
                    "source_example": case.source,
                    "page_bytes": len(case.body),
                    "records": PAGE_SIZE,
                    "median_s_per_page": medians,
                    "us_per_record": per_record,
                    "ratio_vs_json_loads": medians["json.loads"] / crm,
                    "ratio_vs_hand_mapping": medians["hand mapping"] / crm,
                    "hand_mapping_vs_json_loads": medians["json.loads"] / medians["hand mapping"],
                },
            )
        )
    return rows
