"""The feed as a dlt source: a CRM's canonical records loaded into DuckDB, PostgreSQL or any dlt destination.

Needs the ``dlt`` extra (``pip install "crmbridge[dlt]"``). :func:`crm_source` has one resource
per canonical kind (table ``contact``, ``activity``, ``task``, ``event``):

- primary key ``ref`` (the record's ref as text, ``estateprime:contact:12``), ``merge`` write
  disposition: a record changed in the CRM replaces its row;
- tombstones are hard deletes: a record deleted in the CRM (seen by a full scan) removes its row,
  and its rows in the child tables;
- incremental on the feed's cursor: the changes come from the feed's log in the state store
  (:func:`crmbridge.sync.feed_to_log`), and dlt keeps the last ``_crmbridge_seq`` it loaded with
  the destination, so a re-run loads only the changes since; a load that fails is loaded again;
- the canonical JSON Schema (``crmbridge.canonical.render_schemas``) is the column contract:
  typed columns (text, bool, bigint, double, date, timestamp), nested objects flattened into
  ``parent__child`` columns, open objects (``extras``) as JSON, lists as child tables, as dlt does.

:func:`load` runs a pipeline into a destination URL: ``duckdb:///path.duckdb`` (embedded, no
server) or ``postgresql://user@host/db``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import dlt
from dlt.sources import DltResource, DltSource

from crmbridge._connection import Connection
from crmbridge.canonical import render_schemas
from crmbridge.sync import StateStore, feed_to_log

__all__ = ["DELETED", "SEQ", "columns", "crm_source", "destination_of", "load"]

SEQ = "_crmbridge_seq"
"""The column holding the feed seq of the change a row came from (the incremental cursor)."""
DELETED = "_crmbridge_deleted"
"""The hard-delete column: true on a tombstone, whose row dlt then removes."""

_TYPES = {"boolean": "bool", "integer": "bigint", "number": "double", "object": "json"}
_FORMATS = {"date-time": "timestamp", "date": "date"}


def columns(kind: str) -> dict[str, dict[str, Any]]:
    """dlt column hints of ``kind`` from its canonical JSON Schema, plus the key, cursor and delete columns."""
    schema = json.loads(render_schemas()[f"{kind}.schema.json"])
    # The record's ref is the key, as text: not flattened like the other refs.
    hints = {k: v for k, v in _hints(schema, schema.get("$defs", {}), "").items() if not k.startswith("ref__")}
    hints["ref"] = {"data_type": "text", "nullable": False, "primary_key": True}
    hints[SEQ] = {"data_type": "bigint", "nullable": False, "dedup_sort": "desc"}
    hints[DELETED] = {"data_type": "bool", "nullable": True, "hard_delete": True}
    return hints


def _hints(schema: dict[str, Any], defs: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    hints: dict[str, dict[str, Any]] = {}
    for name, prop in schema.get("properties", {}).items():
        column = prefix + name
        concrete = [v for v in prop.get("anyOf", [prop]) if v.get("type") != "null"]
        first = concrete[0] if concrete else {}
        if "$ref" in first:
            first = defs[first["$ref"].rsplit("/", 1)[1]]
            if "properties" in first and prefix.count("__") < 2:
                # dlt flattens a nested object into parent__child columns: type those too.
                hints.update(_hints(first, defs, column + "__"))
                continue
        kind = first.get("type")
        if kind == "array":
            continue  # a list becomes a child table, typed by dlt from its values
        if kind == "string":
            data_type = _FORMATS.get(first.get("format", ""), "text")
        else:
            # An object without fixed properties (extras, a JSON value) is kept whole as JSON.
            data_type = _TYPES.get(kind, "json") if isinstance(kind, str) else "json"
        hints[column] = {"data_type": data_type, "nullable": True}
    return hints


def _without_nulls(value: Any) -> Any:
    """``value`` with null members of objects left out, at every depth but inside ``extras``."""
    # A merge replaces the whole row (delete-insert), so an absent member loads as NULL all the
    # same; a null nested object would otherwise be a column of its own that dlt cannot type.
    # ``extras`` is loaded whole as JSON, unknown fields and their nulls as the CRM sent them.
    if isinstance(value, dict):
        return {k: v if k == "extras" else _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """The table row of one feed line: the canonical JSON with ``ref`` as text, or a tombstone."""
    if entry["op"] == "delete":
        return {"ref": entry["ref"], SEQ: entry["seq"], DELETED: True}
    record = _without_nulls(entry["record"])
    return {**record, "ref": entry["ref"], SEQ: entry["seq"], DELETED: False}


def _resource(connection: Connection, store: StateStore, feed: str, kind: str, full_scan: bool) -> DltResource:
    # dlt's way to declare an incremental cursor is a default argument of the resource function.
    def changes(cursor: Any = dlt.sources.incremental(SEQ, initial_value=0)) -> Iterator[list[dict[str, Any]]]:  # noqa: B008
        feed_to_log(connection, state=store, kinds=[kind], name=feed, full_scan=full_scan)
        after = int(cursor.start_value or 0)
        while entries := store.log_read(feed, after=after, kind=kind):
            yield [_row(json.loads(entry.entry)) for entry in entries]
            after = entries[-1].seq

    hints: Any = columns(kind)
    return dlt.resource(changes, name=kind, primary_key="ref", write_disposition="merge", columns=hints)


def crm_source(
    connection: Connection,
    *,
    state: StateStore,
    kinds: Sequence[str] | None = None,
    name: str | None = None,
    full_scan: bool = False,
) -> DltSource:
    """A dlt source with one merge resource per canonical kind of ``connection`` (default: all it has).

    ``state`` keeps the feed (named ``name``, default ``dlt:<crm>``): what was emitted and the log
    of changes. A full scan (``full_scan=True``, the first run, or a CRM without an update filter)
    also finds deletions.
    """
    feed = name or f"dlt:{connection.system}"
    chosen = list(kinds) if kinds is not None else sorted(connection.adapter.kinds)
    for kind in chosen:
        connection.adapter.check_kind(kind)

    def resources() -> list[DltResource]:
        return [_resource(connection, state, feed, kind, full_scan) for kind in chosen]

    source: DltSource = dlt.source(resources, name=f"crmbridge_{connection.system}")()
    return source


def destination_of(url: str) -> Any:
    """The dlt destination of ``duckdb:///path`` or ``postgresql://...``; ValueError for anything else."""
    if url.startswith("duckdb:///"):
        path = url.removeprefix("duckdb:///")
        if not path:
            raise ValueError("duckdb:/// needs a file path, e.g. duckdb:///crm.duckdb")
        return dlt.destinations.duckdb(str(Path(path).expanduser().resolve()))
    if url.startswith(("postgresql://", "postgres://")):
        return dlt.destinations.postgres(_with_password("postgresql://" + url.split("://", 1)[1]))
    raise ValueError("--to takes duckdb:///path.duckdb or postgresql://user@host/database")


def _with_password(url: str) -> str:
    """``url`` with an empty password where it names none: dlt requires one, libpq reads ``''`` as none.

    A server trusting local users, or a password from ``~/.pgpass`` or ``PGPASSWORD``, then works
    as it does for psql.
    """
    rest = url.removeprefix("postgresql://")
    user_info, at, host = rest.rpartition("@")
    if not at or ":" in user_info:
        return url
    return f"postgresql://{user_info}:@{host}"


def load(
    connection: Connection,
    destination: str,
    *,
    state: StateStore | str | Path = "crmbridge-feed.db",
    kinds: Sequence[str] | None = None,
    full_scan: bool = False,
    dataset_name: str | None = None,
    pipelines_dir: str | Path | None = None,
) -> Any:
    """Load the changes of ``connection`` into ``destination`` (a URL, see :func:`destination_of`); dlt's LoadInfo.

    One pipeline per CRM and destination; its working folder is under ``pipelines_dir`` (dlt's
    default when None), and dlt restores its state from the destination when that folder is gone.
    """
    # Telemetry would send data from this machine to a third party: only when asked for.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    target = destination_of(destination)
    store = state if isinstance(state, StateStore) else StateStore(state)
    where = hashlib.sha256(destination.encode()).hexdigest()[:12]
    try:
        pipeline = dlt.pipeline(
            pipeline_name=f"crmbridge_{connection.system}_{where}",
            destination=target,
            dataset_name=dataset_name or f"crmbridge_{connection.system}",
            pipelines_dir=None if pipelines_dir is None else str(pipelines_dir),  # type: ignore[arg-type]
        )
        return pipeline.run(crm_source(connection, state=store, kinds=kinds, full_scan=full_scan))
    finally:
        if store is not state:
            store.close()
