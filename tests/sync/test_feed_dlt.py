"""The feed as a dlt source (crmbridge.dlt): DuckDB and PostgreSQL loads, merged, incremental, hard deletes."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dlt")
import duckdb
import psycopg

import crmbridge
from crmbridge import dlt as crm_dlt
from crmbridge.sandbox import Sandbox, make_sandbox
from crmbridge.sync import StateStore

KINDS = ["contact", "event"]

Query = Callable[[str], list[dict[str, Any]]]


@pytest.fixture(autouse=True)
def _no_telemetry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")


def _duckdb_query(path: Path) -> Query:
    def query(sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(path), read_only=True) as db:
            cursor = db.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return query


def _postgres_query(url: str) -> Query:
    def query(sql: str) -> list[dict[str, Any]]:
        with psycopg.connect(url) as db, db.cursor() as cursor:
            cursor.execute(sql.encode())
            assert cursor.description is not None
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    return query


@pytest.fixture(params=["duckdb", "postgresql"])
def destination(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Query]]:
    """A destination URL and a way to query it: a DuckDB file, or the throwaway PostgreSQL server."""
    if request.param == "duckdb":
        path = tmp_path / "crm.duckdb"
        yield f"duckdb:///{path}", _duckdb_query(path)
        return
    url = request.getfixturevalue("postgres_url")
    yield url, _postgres_query(url)


def _flatten(data: dict[str, Any], prefix: str, into: dict[str, Any]) -> dict[str, Any]:
    """The canonical record as dlt lays out its root row: nested objects as a__b, lists left to child tables."""
    for key, value in data.items():
        if isinstance(value, dict) and key != "extras":
            _flatten(value, f"{prefix}{key}__", into)
        elif not isinstance(value, list) and value is not None:
            into[prefix + key] = value
    return into


def _lists(record: crmbridge.Record) -> dict[str, int]:
    return {k: len(v) for k, v in record.model_dump().items() if isinstance(v, list) and v}


def assert_tables_match(query: Query, dataset: str, crm: crmbridge.Connection) -> None:
    """Each table holds exactly the CRM's records, row for row and column for column, lists as child rows."""
    for kind in KINDS:
        records = {str(r.ref): r for r in crm.list(kind)}
        rows = {row["ref"]: row for row in query(f"select * from {dataset}.{kind}")}
        assert sorted(rows) == sorted(records)
        for ref, record in records.items():
            row = rows[ref]
            expected = _flatten(record.model_dump(mode="python", exclude={"ref"}), "", {"ref": ref})
            loaded = {
                k: json.loads(v) if k == "extras" and isinstance(v, str) else v
                for k, v in row.items()
                if v is not None and not k.startswith(("_dlt", "_crmbridge"))
            }
            assert loaded == expected, ref
            assert row[crm_dlt.DELETED] is False
            for field, count in _lists(record).items():
                children = query(
                    f"select count(*) as n from {dataset}.{kind}__{field} where _dlt_parent_id = '{row['_dlt_id']}'"
                )
                assert children[0]["n"] == count, (ref, field)
        tables = query(f"select table_name from information_schema.tables where table_schema = '{dataset}'")
        roots = {row["_dlt_id"] for row in rows.values()}
        for table in (t["table_name"] for t in tables if t["table_name"].startswith(f"{kind}__")):
            orphans = [
                r for r in query(f"select _dlt_root_id from {dataset}.{table}") if r["_dlt_root_id"] not in roots
            ]
            assert orphans == [], table  # a deleted record's list items went with it


def loads_of(query: Query, dataset: str, kind: str) -> list[str]:
    return sorted({row["_dlt_load_id"] for row in query(f"select _dlt_load_id from {dataset}.{kind}")})


def test_first_load_edit_delete_and_quiet_rerun(
    destination: tuple[str, Query], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A first load, an edit, a deletion and a run with no change each leave the tables equal to the CRM."""
    url, query = destination
    dataset = f"crm_{zlib.crc32(request.node.name.encode())}"
    sandbox: Sandbox = make_sandbox("estateprime", seed_records=4, seed=5)
    state = StateStore(tmp_path / "feed.db")
    options = {"state": state, "kinds": KINDS, "dataset_name": dataset, "pipelines_dir": tmp_path / "dlt"}
    with crmbridge.connect("estateprime", **sandbox.client_options()) as crm:
        crm_dlt.load(crm, url, **options)
        assert_tables_match(query, dataset, crm)
        first_loads = loads_of(query, dataset, "contact")

        document = sandbox.store.get("contacts", "2")
        assert document is not None
        sandbox.store.put("contacts", "2", {**document, "notes": "edited", "date_updated": "2031-01-01 00:00:00"})
        crm_dlt.load(crm, url, **options)
        assert_tables_match(query, dataset, crm)
        rows = query(f"select ref, notes, _dlt_load_id from {dataset}.contact")
        reloaded = [(r["ref"], r["notes"]) for r in rows if r["_dlt_load_id"] not in first_loads]
        assert reloaded == [("estateprime:contact:2", "edited")]  # the re-run loaded the change alone

        crm.delete(crmbridge.Ref("estateprime", "contact", "3"))
        crm.delete(crmbridge.Ref("estateprime", "event", "1"))
        crm_dlt.load(crm, url, **{**options, "full_scan": True})
        assert_tables_match(query, dataset, crm)
        assert "estateprime:contact:3" not in {r["ref"] for r in query(f"select ref from {dataset}.contact")}

        before = {kind: query(f"select * from {dataset}.{kind} order by ref") for kind in KINDS}
        crm_dlt.load(crm, url, **options)
        assert {kind: query(f"select * from {dataset}.{kind} order by ref") for kind in KINDS} == before
    state.close()


def test_columns_follow_the_canonical_schema() -> None:
    """The column hints type every scalar of the canonical schema, key the ref and hard-delete on the flag."""
    hints = crm_dlt.columns("contact")
    assert hints["ref"] == {"data_type": "text", "nullable": False, "primary_key": True}
    assert hints[crm_dlt.DELETED]["hard_delete"] is True
    assert hints[crm_dlt.SEQ]["dedup_sort"] == "desc"
    assert (hints["updated_at"]["data_type"], hints["birthday"]["data_type"]) == ("timestamp", "date")
    assert (hints["is_lead"]["data_type"], hints["extras"]["data_type"]) == ("bool", "json")
    assert hints["created_by__system"]["data_type"] == "text"
    assert "emails" not in hints  # a list: a child table
    assert not any(name.startswith("ref__") for name in hints)


@pytest.mark.parametrize("url", ["sqlite:///x.db", "duckdb:///", "mysql://h/db"])
def test_unknown_destinations_are_refused(url: str) -> None:
    """Only duckdb:///path and postgresql:// URLs are destinations; anything else is a clear ValueError."""
    with pytest.raises(ValueError, match="duckdb"):
        crm_dlt.destination_of(url)


def test_cli_feed_to_duckdb_and_its_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`feed --to duckdb:///FILE` loads the CRM; other URLs and --to with --webhook exit 2; a dead server exits 3."""
    from typer.testing import CliRunner

    from crmbridge.cli import app
    from crmbridge.sandbox import serve_in_thread

    runner = CliRunner()
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))  # dlt's pipelines folder, out of the home folder
    sandbox = make_sandbox("estateprime", seed_records=3, seed=5)
    database = tmp_path / "crm.duckdb"
    state = ["--state", str(tmp_path / "s.db"), "--kinds", "contact"]
    with serve_in_thread(sandbox) as base_url:
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", sandbox.token)
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", base_url)
        loaded = runner.invoke(app, ["feed", "estateprime", "--to", f"duckdb:///{database}", *state])
        other = runner.invoke(app, ["feed", "estateprime", "--to", "mysql://h/db", *state])
        both = runner.invoke(
            app, ["feed", "estateprime", "--to", f"duckdb:///{database}", "--webhook", "http://x/", *state]
        )
        dead = runner.invoke(app, ["feed", "estateprime", "--to", "postgresql://u:pw-s3cret@127.0.0.1:1/db", *state])
    assert loaded.exit_code == 0, loaded.output
    rows = _duckdb_query(database)("select ref from crmbridge_estateprime.contact order by ref")
    assert [row["ref"] for row in rows] == [f"estateprime:contact:{i}" for i in (1, 2, 3)]
    assert (other.exit_code, both.exit_code) == (2, 2)
    assert "duckdb:///" in other.output
    assert dead.exit_code == 3, dead.output
    assert "pw-s3cret" not in dead.output


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://me@db/crm", "postgresql://me:@db/crm"),
        ("postgresql://me:pw@db/crm", "postgresql://me:pw@db/crm"),
        ("postgresql://db/crm", "postgresql://db/crm"),
    ],
)
def test_postgres_urls_get_an_empty_password_where_they_name_none(url: str, expected: str) -> None:
    """dlt requires a password: a URL without one gets an empty one (libpq then uses .pgpass or trust)."""
    assert crm_dlt._with_password(url) == expected
