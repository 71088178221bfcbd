"""crmbridge on Dagster: kind assets over tenant partitions, in-process against sandbox tenants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

dg = pytest.importorskip("dagster")

from crmbridge.dagster import (  # noqa: E402 - only once dagster is known to be installed
    PARTITIONS,
    POOL,
    RETRY_POLICY,
    RUN_QUEUE_LIMITS,
    definitions,
    kind_assets,
    tenant_tags,
)
from crmbridge.sandbox import SandboxTenants, serve_sandbox_tenants  # noqa: E402

NAMES = ("north", "south", "east")


@pytest.fixture
def instance() -> Iterator[object]:
    """An ephemeral Dagster instance, disposed of after the test."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def tenants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxTenants]:
    """Three sandbox tenants on loopback, their tokens in the environment."""
    with serve_sandbox_tenants(tmp_path / "tenants", NAMES, records=3) as served:
        for name, value in served.environ.items():
            monkeypatch.setenv(name, value)
        yield served


def _created(result: object) -> dict[str, int]:
    events = result.get_asset_materialization_events()  # type: ignore[attr-defined]
    return {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata["created"].value
        for event in events
    }


def test_three_tenants_land_exactly_once(tenants: SandboxTenants, tmp_path: Path, instance: Any) -> None:
    """Materializing each tenant's partition moves its records once; materializing again creates nothing."""
    instance.add_dynamic_partitions(PARTITIONS.name, list(NAMES))
    assets = kind_assets(tenants.tenants_file, tmp_path / "state")
    contacts = {name: tenants.sources[name].store.count("contacts") for name in NAMES}
    for name in NAMES:
        result = dg.materialize(assets, instance=instance, partition_key=name)
        assert result.success
        assert _created(result)["crmbridge/contact"] == contacts[name]
        checks = result.get_asset_check_evaluations()
        assert {c.check_name for c in checks} == {"no_failed_records"}
        assert all(c.passed for c in checks)
    assert {name: tenants.targets[name].store.count("leads") for name in NAMES} == contacts
    for name in NAMES:
        again = dg.materialize(assets, instance=instance, partition_key=name)
        assert _created(again) == {"crmbridge/contact": 0, "crmbridge/activity": 0}
    assert {name: tenants.targets[name].store.count("leads") for name in NAMES} == contacts


def test_the_asset_check_fails_when_records_failed(tenants: SandboxTenants, tmp_path: Path, instance: Any) -> None:
    """Records that cannot move (their owner has no counterpart) fail the check; the report says how many."""
    (tenants.tenants_file.parent / "east-links.toml").write_text("", encoding="utf-8")
    instance.add_dynamic_partitions(PARTITIONS.name, ["east"])
    assets = kind_assets(tenants.tenants_file, tmp_path / "state")
    result = dg.materialize(assets, instance=instance, partition_key="east", selection=["crmbridge/contact"])
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    (event,) = result.get_asset_materialization_events()
    metadata = event.step_materialization_data.materialization.metadata
    assert metadata["failed"].value == check.metadata["failed"].value > 0
    assert metadata["failures"].value


def test_definitions_wire_partitions_deps_retries_pools_and_tags(
    tenants: SandboxTenants, tmp_path: Path, instance: Any
) -> None:
    """One asset per kind over tenant partitions, contacts upstream, retried, pooled, tagged per tenant and account."""
    defs = definitions(tenants.tenants_file, tmp_path / "state")
    graph = defs.resolve_asset_graph()
    contact, activity = dg.AssetKey(["crmbridge", "contact"]), dg.AssetKey(["crmbridge", "activity"])
    assert set(graph.get_all_asset_keys()) == {contact, activity}
    assert graph.get(activity).parent_keys == {contact}
    for assets_def in defs.resolve_all_asset_specs():
        assert assets_def.partitions_def == PARTITIONS
    for key in (contact, activity):
        node = defs.resolve_assets_def(key)
        assert node.op.retry_policy == RETRY_POLICY
        assert node.op.pool == POOL
    assert tenant_tags(tenants.tenants_file, "north") == {
        "crmbridge/tenant": "north",
        "crmbridge/account.estateprime-north": "true",
        "crmbridge/account.activix-north": "true",
    }
    job = defs.resolve_job_def("crmbridge_tenants")
    instance.add_dynamic_partitions(PARTITIONS.name, ["south"])
    tags = job.partitioned_config.get_tags_for_partition_key("south", job_name=job.name)  # type: ignore[union-attr]
    assert tags["crmbridge/tenant"] == "south"
    assert RUN_QUEUE_LIMITS[0]["key"] == "crmbridge/tenant"


def test_the_sensor_follows_the_tenants_file(tenants: SandboxTenants, tmp_path: Path, instance: Any) -> None:
    """The sensor adds the file's tenants as partitions (and runs them), removes dropped ones, skips when unchanged."""
    defs = definitions(tenants.tenants_file, tmp_path / "state")
    sensor = defs.resolve_sensor_def("crmbridge_tenants_sensor")
    instance.add_dynamic_partitions(PARTITIONS.name, ["gone"])
    result = sensor(dg.build_sensor_context(instance=instance))
    added = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.AddDynamicPartitionsRequest)]
    removed = [r for r in result.dynamic_partitions_requests if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
    assert sorted(added[0].partition_keys) == sorted(NAMES)
    assert removed[0].partition_keys == ["gone"]
    assert sorted(r.partition_key for r in result.run_requests) == sorted(NAMES)
    assert all(r.tags["crmbridge/tenant"] == r.partition_key for r in result.run_requests)
    unchanged = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
    assert isinstance(unchanged, dg.SkipReason)


def test_a_tenant_without_the_kind_is_a_skipped_materialization(
    tenants: SandboxTenants, tmp_path: Path, instance: Any
) -> None:
    """A partition whose tenant lacks the kind materializes as skipped, with nothing moved; its tags are bare."""
    text = tenants.tenants_file.read_text(encoding="utf-8")
    tenants.tenants_file.write_text(
        text.replace('kinds = ["contact", "activity"]', 'kinds = ["contact"]', 1), encoding="utf-8"
    )
    assets = kind_assets(tenants.tenants_file, tmp_path / "state")
    instance.add_dynamic_partitions(PARTITIONS.name, ["north"])
    result = dg.materialize(assets, instance=instance, partition_key="north", selection=["crmbridge/activity"])
    (event,) = result.get_asset_materialization_events()
    metadata = event.step_materialization_data.materialization.metadata
    assert metadata["skipped"].value == "the tenant has no activity shard"
    assert metadata["read"].value == 0
    assert metadata["created"].value == 0
    assert tenant_tags(tenants.tenants_file, "nobody") == {"crmbridge/tenant": "nobody"}
