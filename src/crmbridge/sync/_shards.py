"""Many tenants as shards: ``plan`` cuts a tenants file into (tenant x kind) units, ``run_shard`` runs one.

A shard is the existing migration (or feed) of one kind of one tenant. It is idempotent and
resumable (the state store's crosswalk, intents and checkpoints), and it holds its job's lease
while it runs (a second run of it waits or raises ``JobLocked``; a killed run's lease expires),
so any engine may retry it after a crash: Dagster, Celery, cron, or ``crmbridge run``. Shards are planned in dependency
order: a tenant's contacts before the kinds that refer to them.

Each tenant keeps its own state (its record ids may collide with another tenant's): a schema
``crmbridge_<tenant>`` in the shared PostgreSQL, or ``<tenant>.db`` in the state folder. The rate
budgets of the vendor accounts live beside them (see :mod:`crmbridge.sync._budget`).
"""

from __future__ import annotations

import zlib
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import sqlalchemy as sa

from crmbridge._connection import Connection, connect
from crmbridge.adapters import get_adapter
from crmbridge.sync._budget import AccountBudget, budget_location
from crmbridge.sync._feed import feed
from crmbridge.sync._migrate import KIND_ORDER, KindReport, migrate
from crmbridge.sync._state import StateStore, engine_url
from crmbridge.sync._tenants import Account, Side, Tenant, Tenants

__all__ = ["REFERS_TO", "SHARD_WAIT", "Shard", "ShardReport", "plan", "run_shard", "tenant_state"]

SHARD_WAIT = 600.0
"""Seconds a shard waits for its tenant's job lease (held by a sibling shard, or a dead run's until it expires)."""

REFERS_TO: dict[str, tuple[str, ...]] = {"event": ("contact",), "task": ("contact",), "activity": ("contact",)}
"""The kinds whose records refer to records of other kinds (which must be moved first)."""


@dataclass(frozen=True)
class Shard:
    """One kind of one tenant: a migration (``mode="migrate"``) or a feed."""

    tenant: Tenant
    kind: str
    mode: Literal["migrate", "feed"]
    after: tuple[str, ...] = ()
    """The keys of the shards of the same tenant that must be done first."""
    limits: tuple[tuple[str, Account], ...] = ()
    """The rate budget of each account the shard draws on."""

    @property
    def key(self) -> str:
        """``tenant/kind``."""
        return f"{self.tenant.name}/{self.kind}"

    @property
    def accounts(self) -> tuple[str, ...]:
        """The vendor accounts whose budgets this shard draws on."""
        return tuple(name for name, _ in self.limits)


@dataclass
class ShardReport:
    """What running a shard did: the migration's counts of its kind (or the feed's), and its failures."""

    shard: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    dropped_fields: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "shard": self.shard,
            "read": self.read,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "dropped_fields": self.dropped_fields,
            "failures": self.failures,
            "skipped": self.skipped,
        }


def _kinds(tenant: Tenant) -> list[str]:
    source = get_adapter(tenant.source.system).kinds
    if tenant.kinds is not None:
        chosen = list(tenant.kinds)
    elif tenant.target is None:
        chosen = sorted(source)
    else:
        target = get_adapter(tenant.target.system).kinds
        chosen = sorted(kind for kind in source if kind in target or kind in tenant.conversions)
    return sorted(dict.fromkeys(chosen), key=lambda k: KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER))


def plan(tenants: Tenants) -> list[Shard]:
    """Every tenant's shards, tenant by tenant, each tenant's in dependency order (contacts first)."""
    shards: list[Shard] = []
    for tenant in tenants.tenants.values():
        kinds = _kinds(tenant)
        mode: Literal["migrate", "feed"] = "migrate" if tenant.target is not None else "feed"
        for kind in kinds:
            # A feed copies records as they are: nothing in it waits for another kind.
            needs = [f"{tenant.name}/{k}" for k in REFERS_TO.get(kind, ()) if k in kinds] if mode == "migrate" else []
            limits = tuple((account, tenants.accounts[account]) for account in tenant.accounts)
            shards.append(Shard(tenant, kind, mode, tuple(needs), limits))
    return shards


# -- state and budgets -------------------------------------------------------------------------


def _is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://", "postgresql+"))


def _schema(tenant: str) -> str:
    return "crmbridge_" + tenant.replace("-", "_")


def _create_schema(location: str, schema: str) -> None:
    engine = sa.create_engine(engine_url(location))
    try:
        with engine.begin() as connection:
            # Serialised: two workers creating the same schema at once would otherwise collide.
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(schema.encode())})
            connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        engine.dispose()


def tenant_state(state: str | Path, tenant: str) -> str:
    """The state location of one tenant: its schema of a PostgreSQL URL, or its file in a state folder."""
    text = str(state)
    if _is_postgres(text):
        schema = _schema(tenant)
        _create_schema(text, schema)
        return text + ("&" if "?" in text else "?") + "options=" + quote(f"-csearch_path={schema}")
    folder = Path(text)
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"{tenant}.db")


def _connect(side: Side, budget: AccountBudget) -> Connection:
    return connect(side.system, **side.connect_options(), rate_limit=budget)


def _budget(account: str, spec: Account, state: str | Path) -> AccountBudget:
    return AccountBudget(account, requests=spec.requests, per_seconds=spec.per_seconds, location=budget_location(state))


def _from_kind_report(report: ShardReport, counts: KindReport) -> None:
    report.read, report.created, report.updated = counts.read, counts.created, counts.updated
    report.unchanged, report.failed = counts.unchanged, counts.failed
    report.dropped_fields = dict(sorted(counts.dropped_fields.items()))


def run_shard(shard: Shard, state: str | Path, *, wait: float = SHARD_WAIT) -> ShardReport:
    """Run one shard against the shared ``state`` (a state folder or a ``postgresql://`` URL).

    Idempotent and resumable: running it again after a crash, or after it finished, moves only
    what is not moved yet. Its requests draw on the shared budgets of its accounts. It holds the
    job lease of its tenant's migration (or of its feed) while it runs: a shard of the same tenant
    and pair of CRMs running elsewhere is waited for ``wait`` seconds, then
    :class:`~crmbridge.errors.JobLocked` is raised (an engine retries it).
    """
    tenant = shard.tenant
    report = ShardReport(shard.key)
    with ExitStack() as stack:
        budgets = {a: stack.enter_context(_budget(a, spec, state)) for a, spec in shard.limits}
        store = StateStore(tenant_state(state, tenant.name))
        stack.callback(store.close)
        source = stack.enter_context(_connect(tenant.source, budgets[tenant.source.account]))
        if tenant.target is None:
            _run_feed(shard, source, store, report, wait)
            return report
        target = stack.enter_context(_connect(tenant.target, budgets[tenant.target.account]))
        result = migrate(
            source=source,
            target=target,
            kinds=[shard.kind],
            state=store,
            job=f"{tenant.name}:{tenant.source.system}->{tenant.target.system}",
            links=tenant.link_map(),
            conversions=tenant.conversions,
            dry_run=bool(tenant.options.get("dry_run", False)),
            wait=wait,
            field_mapping=tenant.field_mapping(),
        )
    report.failures = result.failures
    report.skipped = result.skipped_kinds.get(shard.kind)
    if shard.kind in result.kinds:
        _from_kind_report(report, result.kinds[shard.kind])
    return report


def _run_feed(shard: Shard, source: Connection, store: StateStore, report: ShardReport, wait: float) -> None:
    options = shard.tenant.feed
    assert options is not None
    options.output.mkdir(parents=True, exist_ok=True)
    result = feed(
        source,
        output=options.output / f"{shard.kind}.ndjson",
        state=store,
        kinds=[shard.kind],
        name=f"{shard.tenant.name}:{shard.kind}",
        full_scan=options.full_scan,
        wait=wait,
    )
    report.read = result.read.get(shard.kind, 0)
    report.created = result.upserts.get(shard.kind, 0)
    report.updated = result.deletes.get(shard.kind, 0)
