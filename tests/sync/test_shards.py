"""Shards: the plan of a tenants file, running shards exactly once, feeds as shards, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import crmbridge.sync
from crmbridge.cli import app
from crmbridge.errors import APIConnectionError, APIError, JobLocked, RunInterrupted
from crmbridge.sandbox import SandboxTenants, serve_sandbox_tenants
from crmbridge.sync import StateStore, load_tenants, parse_tenants, plan, run_shard, tenant_state

NAMES = ("north", "south", "east")


@pytest.fixture
def tenants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxTenants]:
    """Three sandbox tenants on loopback, their tokens in the environment."""
    with serve_sandbox_tenants(tmp_path / "tenants", NAMES, records=3) as served:
        for name, value in served.environ.items():
            monkeypatch.setenv(name, value)
        yield served


def _leads(served: SandboxTenants) -> dict[str, int]:
    return {name: served.targets[name].store.count("leads") for name in NAMES}


def test_plan_is_tenant_by_tenant_contacts_first() -> None:
    """Contacts come before the kinds that refer to them (listed as `after`); kinds default to what both sides have."""
    text = """
[accounts.a]
requests = 10
[tenants.one]
conversions = { event = "task" }
[tenants.one.source]
system = "estateprime"
account = "a"
token_env = "X"
[tenants.one.target]
system = "rechat"
account = "a"
token_env = "Y"
[tenants.two]
kinds = ["activity", "contact", "activity"]
feed = { output = "out" }
[tenants.two.source]
system = "activix"
account = "a"
token_env = "Z"
"""
    shards = plan(parse_tenants(text))
    assert [(s.key, s.mode, s.after) for s in shards] == [
        ("one/contact", "migrate", ()),
        ("one/event", "migrate", ("one/contact",)),
        ("two/contact", "feed", ()),
        ("two/activity", "feed", ()),
    ]
    assert shards[0].accounts == ("a",)


def test_shards_move_every_tenants_records_exactly_once(tenants: SandboxTenants, tmp_path: Path) -> None:
    """Running every shard moves each tenant's contacts once into its own target; running again creates nothing."""
    shards = plan(load_tenants(tenants.tenants_file))
    first = [run_shard(shard, tmp_path / "state") for shard in shards]
    expected = {name: tenants.sources[name].store.count("contacts") for name in NAMES}
    assert _leads(tenants) == expected
    assert [r.failed for r in first] == [0] * len(shards)
    assert sum(r.created for r in first if r.shard.endswith("/contact")) == sum(expected.values())
    again = [run_shard(shard, tmp_path / "state") for shard in shards]
    assert [r.created for r in again] == [0] * len(shards)
    assert _leads(tenants) == expected
    # Each tenant has its own state: the same source ids in two tenants are two records.
    assert sorted(p.name for p in (tmp_path / "state").glob("*.db")) == sorted(
        [f"{n}.db" for n in NAMES] + ["rate-budget.db"]
    )


def test_a_feed_tenant_is_sharded_by_kind(tenants: SandboxTenants, tmp_path: Path) -> None:
    """A feed tenant appends each kind to its own NDJSON file, once."""
    north = load_tenants(tenants.tenants_file).tenants["north"].source
    text = tenants.tenants_file.read_text(encoding="utf-8")
    text += '[tenants.watch]\nkinds = ["contact"]\nfeed = { output = "feed-out" }\n[tenants.watch.source]\n'
    text += f'system = "estateprime"\naccount = "estateprime-north"\ntoken_env = "{north.token_env}"\n'
    text += f'base_url = "{north.base_url}"\n'
    tenants.tenants_file.write_text(text, encoding="utf-8")
    (shard,) = plan(load_tenants(tenants.tenants_file).only("watch"))
    report = run_shard(shard, tmp_path / "state")
    lines = (tenants.tenants_file.parent / "feed-out" / "contact.ndjson").read_text(encoding="utf-8").splitlines()
    assert report.created == len(lines) == tenants.sources["north"].store.count("contacts")
    assert run_shard(shard, tmp_path / "state").created == 0


def test_each_tenant_gets_its_own_postgresql_schema(postgres_url: str) -> None:
    """On PostgreSQL a tenant's state is its own schema: one tenant's crosswalk is not another's."""
    north = StateStore(tenant_state(postgres_url, "north-1"))
    south = StateStore(tenant_state(postgres_url, "south"))
    try:
        north.set_checkpoint("job", "contact", datetime(2024, 1, 1, tzinfo=UTC))
        assert north.checkpoint("job", "contact") is not None
        assert south.checkpoint("job", "contact") is None
    finally:
        north.close()
        south.close()


def test_cli_plans_and_runs_a_tenant(tenants: SandboxTenants, tmp_path: Path) -> None:
    """`crmbridge plan` lists the shards; `crmbridge run --tenant` moves that tenant only."""
    runner = CliRunner()
    planned = runner.invoke(app, ["plan", "--tenants", str(tenants.tenants_file), "--json"])
    assert planned.exit_code == 0, planned.output
    assert [json.loads(line)["shard"] for line in planned.stdout.splitlines()] == [
        f"{n}/{k}" for n in NAMES for k in ("contact", "activity")
    ]
    assert runner.invoke(app, ["plan", "--tenants", str(tenants.tenants_file)]).exit_code == 0
    report = tmp_path / "report.json"
    args = ["run", "--tenants", str(tenants.tenants_file), "--tenant", "south", "--state", str(tmp_path / "s")]
    ran = runner.invoke(app, [*args, "--report", str(report)])
    assert ran.exit_code == 0, ran.output
    assert [r["shard"] for r in json.loads(report.read_text(encoding="utf-8"))] == ["south/contact", "south/activity"]
    assert _leads(tenants) == {"north": 0, "south": tenants.sources["south"].store.count("contacts"), "east": 0}


def test_cli_exit_codes(tenants: SandboxTenants, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad file or tenant is usage (2), a refused token 3, records that failed 1; no traceback."""
    runner = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text('[tenants.x]\ntoken = "inline"\n', encoding="utf-8")
    for args in (["plan", "--tenants", str(bad)], ["run", "--tenants", str(tenants.tenants_file), "--tenant", "zed"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert result.exception is None or isinstance(result.exception, SystemExit)
    run = ["run", "--tenants", str(tenants.tenants_file), "--tenant", "east", "--state", str(tmp_path / "s")]
    monkeypatch.delenv("SANDBOX_EAST_ACTIVIX_TOKEN")
    assert runner.invoke(app, run).exit_code == 2
    monkeypatch.setenv("SANDBOX_EAST_ACTIVIX_TOKEN", tenants.environ["SANDBOX_EAST_ACTIVIX_TOKEN"])
    monkeypatch.setenv("SANDBOX_EAST_ESTATEPRIME_TOKEN", "wrong-token")
    refused = runner.invoke(app, run)
    assert refused.exit_code == 3
    assert "refused the credentials" in refused.stderr
    monkeypatch.setenv("SANDBOX_EAST_ESTATEPRIME_TOKEN", tenants.environ["SANDBOX_EAST_ESTATEPRIME_TOKEN"])
    (tenants.tenants_file.parent / "east-links.toml").write_text("", encoding="utf-8")
    failed = runner.invoke(app, run)
    assert failed.exit_code == 1, failed.output


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (JobLocked("migrate a->b", "host pid 1 run x", datetime(2030, 1, 1, tzinfo=UTC)), 4, "host pid 1"),
        (RunInterrupted("migrate a->b", RuntimeError("read failed")), 3, "run again to resume"),
        (APIConnectionError("refused", system="activix", method="GET", url="/v2/leads"), 3, "cannot reach"),
        (APIError("odd answer", system="activix", method="GET", url="/v2/leads"), 1, "odd answer"),
    ],
)
def test_cli_run_maps_stopped_shards_to_exit_codes(
    tenants: SandboxTenants, monkeypatch: pytest.MonkeyPatch, error: Exception, code: int, said: str
) -> None:
    """A shard held elsewhere exits 4; interrupted or unreachable 3; another API error 1; one line, no traceback."""

    def stopped(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(crmbridge.sync, "run_shard", stopped)
    result = CliRunner().invoke(app, ["run", "--tenants", str(tenants.tenants_file), "--tenant", "north"])
    assert result.exit_code == code
    assert said in result.stderr
    assert "Traceback" not in result.output


def test_a_second_run_of_a_tenant_waits_for_its_lease(tenants: SandboxTenants, tmp_path: Path) -> None:
    """While a tenant's migration job is held, its shard raises JobLocked naming the holder (wait=0)."""
    shard = plan(load_tenants(tenants.tenants_file).only("north"))[0]
    store = StateStore(tenant_state(tmp_path / "state", "north"))
    try:
        store.take_lease("migrate estateprime->activix", "elsewhere", timedelta(minutes=5))
        with pytest.raises(JobLocked, match="elsewhere"):
            run_shard(shard, tmp_path / "state", wait=0)
        store.release_lease("migrate estateprime->activix", "elsewhere")
        assert run_shard(shard, tmp_path / "state", wait=0).created == tenants.sources["north"].store.count("contacts")
    finally:
        store.close()
