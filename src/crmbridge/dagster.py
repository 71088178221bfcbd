"""crmbridge on Dagster: one asset per kind, partitioned by tenant (the ``[dagster]`` extra).

:func:`definitions` turns a tenants file into a :class:`dagster.Definitions`:

- one asset per kind (``crmbridge/contact``, ``crmbridge/activity``, ...) over the dynamic
  partitions ``crmbridge_tenants``; a materialization of one partition is
  :func:`crmbridge.sync.run_shard` of that tenant and kind, so it is idempotent and may be retried
  (each asset has a :class:`dagster.RetryPolicy`);
- contacts upstream of the kinds that refer to them;
- the sensor ``crmbridge_tenants_sensor``, which adds and removes tenant partitions when the tenants
  file changes and requests a run for each tenant it adds;
- the job ``crmbridge_tenants``, whose runs carry the tags ``crmbridge/tenant`` and
  ``crmbridge/account.<account>`` (from the partition, backfills included), so that the instance's
  run queue holds one run per tenant at a time and a limit per vendor account
  (:data:`RUN_QUEUE_LIMITS`); each asset is also in the concurrency pool ``crmbridge``;
- materialization metadata with the shard's report (read / created / updated / unchanged /
  failed / dropped fields) and the asset check ``no_failed_records``, failing when records failed.

The state (crosswalk, checkpoints) and the rate budgets live at ``state_url``: a PostgreSQL URL
for workers on several machines, a folder for one machine.
"""

# No ``from __future__ import annotations``: Dagster inspects the real annotation of ``context``.
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext, SensorEvaluationContext

from crmbridge.sync import REFERS_TO, Shard, ShardReport, TenantsFileError, load_tenants, plan, run_shard

__all__ = [
    "PARTITIONS",
    "POOL",
    "RUN_QUEUE_LIMITS",
    "RETRY_POLICY",
    "definitions",
    "definitions_from_environment",
    "kind_assets",
    "tenant_tags",
    "tenants_job",
    "tenants_sensor",
]

PARTITIONS = dg.DynamicPartitionsDefinition(name="crmbridge_tenants")
"""The tenant partitions every kind asset shares."""

POOL = "crmbridge"
"""The concurrency pool of every kind asset (its limit: how many shards run at once in the deployment)."""

RETRY_POLICY = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
"""Retries of a failed shard: safe, since a shard is idempotent."""

JOB = "crmbridge_tenants"
TENANTS_FILE_ENV = "CRMBRIDGE_TENANTS_FILE"
STATE_URL_ENV = "CRMBRIDGE_STATE_URL"
TENANT_TAG = "crmbridge/tenant"
ACCOUNT_TAG = "crmbridge/account."
CHECK = "no_failed_records"

RUN_QUEUE_LIMITS: list[dict[str, Any]] = [
    {"key": TENANT_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
]
"""The ``concurrency.runs.tag_concurrency_limits`` of the instance's dagster.yaml: one run per tenant.

Add one ``{"key": "crmbridge/account.<account>", "limit": N}`` per vendor account to bound how many
tenants draw on it at once (the shared rate budget keeps them within its limit whatever N is).
"""


def tenant_tags(tenants_file: str | Path, tenant: str) -> dict[str, str]:
    """The run tags of a tenant's runs: the tenant, and each vendor account it draws on."""
    tenants = load_tenants(tenants_file)
    found = tenants.tenants.get(tenant)
    accounts = found.accounts if found is not None else ()
    return {TENANT_TAG: tenant, **{ACCOUNT_TAG + account: "true" for account in accounts}}


def _metadata(report: Mapping[str, Any]) -> dict[str, Any]:
    counts = {name: int(report[name]) for name in ("read", "created", "updated", "unchanged", "failed")}
    return {
        **counts,
        "dropped_fields": dg.MetadataValue.json(report["dropped_fields"]),
        "failures": dg.MetadataValue.json(report["failures"][:50]),
        "skipped": report["skipped"] or "",
    }


def _shard(tenants_file: Path, tenant: str, kind: str) -> Shard | None:
    """The shard of ``tenant`` and ``kind`` in the tenants file as it is now (None: the tenant has no such kind)."""
    for shard in plan(load_tenants(tenants_file).only(tenant)):
        if shard.kind == kind:
            return shard
    return None


def _kind_asset(kind: str, kinds: set[str], tenants_file: Path, state_url: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["crmbridge", kind])
    upstream = [dg.AssetKey(["crmbridge", k]) for k in REFERS_TO.get(kind, ()) if k in kinds]

    @dg.asset(
        key=key,
        deps=upstream,
        partitions_def=PARTITIONS,
        retry_policy=RETRY_POLICY,
        pool=POOL,
        check_specs=[dg.AssetCheckSpec(CHECK, asset=key, description="No record of this kind failed to move.")],
        description=f"The {kind} records of each tenant, moved (or fed) by crmbridge.",
        kinds={"python"},
    )
    def _move(context: AssetExecutionContext) -> dg.MaterializeResult:  # type: ignore[type-arg]  # Dagster reads this annotation: no parameter
        shard = _shard(tenants_file, context.partition_key, kind)
        if shard is None:
            report = ShardReport(f"{context.partition_key}/{kind}", skipped=f"the tenant has no {kind} shard").as_dict()
        else:
            report = run_shard(shard, state_url).as_dict()
        context.log.info(f"{context.partition_key}/{kind}: {report['created']} created, {report['failed']} failed")
        check = dg.AssetCheckResult(
            check_name=CHECK, passed=report["failed"] == 0, metadata={"failed": int(report["failed"])}
        )
        return dg.MaterializeResult(metadata=_metadata(report), check_results=[check])

    return _move


def kind_assets(tenants_file: str | Path, state_url: str | Path) -> list[dg.AssetsDefinition]:
    """One asset per kind any tenant of the file moves, partitioned by tenant (for :func:`dagster.materialize`)."""
    path = Path(tenants_file).resolve()
    kinds = {shard.kind for shard in plan(load_tenants(path))}
    return [_kind_asset(kind, kinds, path, str(state_url)) for kind in sorted(kinds)]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tenants_sensor(tenants_file: str | Path, job: "dg.UnresolvedAssetJobDefinition") -> dg.SensorDefinition:
    """A sensor that keeps the tenant partitions equal to the tenants file's tenants (and runs new ones)."""
    path = Path(tenants_file).resolve()

    @dg.sensor(name="crmbridge_tenants_sensor", job=job, minimum_interval_seconds=30)
    def _sync_tenants(context: SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        digest = _digest(path)
        if context.cursor == digest:
            return dg.SkipReason("the tenants file has not changed")
        wanted = set(load_tenants(path).tenants)
        have = set(context.instance.get_dynamic_partitions(PARTITIONS.name or ""))
        added, removed = sorted(wanted - have), sorted(have - wanted)
        requests: list[dg.AddDynamicPartitionsRequest | dg.DeleteDynamicPartitionsRequest] = []
        if added:
            requests.append(PARTITIONS.build_add_request(added))
        if removed:
            requests.append(PARTITIONS.build_delete_request(removed))
        runs = [dg.RunRequest(partition_key=name, tags=tenant_tags(path, name)) for name in added]
        return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=requests, cursor=digest)

    return _sync_tenants


def _tenants_job(tenants_file: Path) -> "dg.UnresolvedAssetJobDefinition":
    config = dg.PartitionedConfig(
        partitions_def=PARTITIONS,
        run_config_for_partition_key_fn=lambda _key: {},
        tags_for_partition_key_fn=lambda key: tenant_tags(tenants_file, key),
    )
    return dg.define_asset_job(
        JOB,
        selection=dg.AssetSelection.key_prefixes("crmbridge"),
        config=config,
    )


def definitions(tenants_file: str | Path, state_url: str | Path) -> dg.Definitions:
    """The Dagster definitions of a tenants file: kind assets, the tenants job and its sensor."""
    path = Path(tenants_file).resolve()
    job = _tenants_job(path)
    return dg.Definitions(assets=kind_assets(path, state_url), jobs=[job], sensors=[tenants_sensor(path, job)])


def definitions_from_environment() -> dg.Definitions:
    """:func:`definitions` of ``$CRMBRIDGE_TENANTS_FILE`` and ``$CRMBRIDGE_STATE_URL`` (a code location's one line)."""
    missing = [name for name in (TENANTS_FILE_ENV, STATE_URL_ENV) if not os.environ.get(name)]
    if missing:
        raise TenantsFileError(f"set {' and '.join(missing)} (the tenants file, the state folder or URL)")
    return definitions(os.environ[TENANTS_FILE_ENV], os.environ[STATE_URL_ENV])


def tenants_job() -> dg.JobDefinition:
    """The job ``crmbridge_tenants`` of :func:`definitions_from_environment` (``dagster.reconstructable`` takes it)."""
    return definitions_from_environment().resolve_job_def(JOB)
