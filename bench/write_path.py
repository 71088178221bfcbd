"""Benchmark 2, the write path: canonical records to request body bytes.

Per CRM and kind, the 50 canonical records of the read benchmark's page, timed round-robin:

- ``json.dumps`` of the equivalent body dicts, built beforehand (the baseline);
- ``json.dumps(adapter.from_canonical(record))`` (what ``Connection.create`` sends).

The ratio is throughput relative to the baseline: ``t(json.dumps) / t(crmbridge)``.
"""

from __future__ import annotations

import json
from typing import Any

from bench._common import Row, Settings, interleaved_medians
from bench._pages import PAGE_SIZE, cases
from crmbridge import Adapter, Record

__all__ = ["TARGET", "run"]

NAME = "write"
TARGET = 0.25
"""crmbridge writes at least 25 % of json.dumps throughput for the same bodies."""


def run(settings: Settings) -> list[Row]:
    """One row per CRM and kind."""
    rows = []
    for case in cases():
        adapter = case.adapter
        records = [adapter.to_canonical(case.kind, item) for item in case.items()]
        prebuilt = [adapter.from_canonical(record) for record in records]

        def json_only(prebuilt: list[dict[str, Any]] = prebuilt) -> list[bytes]:
            return [json.dumps(body).encode() for body in prebuilt]

        def crmbridge_path(records: list[Record] = records, adapter: Adapter = adapter) -> list[bytes]:
            return [json.dumps(adapter.from_canonical(record)).encode() for record in records]

        medians = interleaved_medians(
            {"json.dumps": json_only, "crmbridge": crmbridge_path}, reps=settings.reps, quick=settings.quick
        )
        per_record = {name: seconds / PAGE_SIZE * 1e6 for name, seconds in medians.items()}
        body_bytes = sum(len(b) for b in json_only())
        rows.append(
            Row(
                benchmark=NAME,
                case=case.label,
                ratio=medians["json.dumps"] / medians["crmbridge"],
                meaning="throughput vs json.dumps",
                target=TARGET,
                detail=f"µs/record: json {per_record['json.dumps']:.1f}, crmbridge {per_record['crmbridge']:.1f}",
                raw={
                    "records": PAGE_SIZE,
                    "body_bytes": body_bytes,
                    "median_s_per_page": medians,
                    "us_per_record": per_record,
                },
            )
        )
    return rows
