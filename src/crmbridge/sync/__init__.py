"""Migration and feed machinery: the state store and the migration engine."""

from crmbridge.sync._budget import AccountBudget
from crmbridge.sync._feed import FeedReport, feed
from crmbridge.sync._migrate import KIND_ORDER, KindReport, MigrationReport, fingerprint, migrate
from crmbridge.sync._shards import REFERS_TO, Shard, ShardReport, plan, run_shard, tenant_state
from crmbridge.sync._state import Failure, Intent, StateStore, engine_url
from crmbridge.sync._tenants import Account, Side, Tenant, Tenants, TenantsFileError, load_tenants, parse_tenants

__all__ = [
    "KIND_ORDER",
    "REFERS_TO",
    "Account",
    "AccountBudget",
    "Failure",
    "FeedReport",
    "Intent",
    "KindReport",
    "MigrationReport",
    "Shard",
    "ShardReport",
    "Side",
    "StateStore",
    "Tenant",
    "Tenants",
    "TenantsFileError",
    "engine_url",
    "feed",
    "fingerprint",
    "load_tenants",
    "migrate",
    "parse_tenants",
    "plan",
    "run_shard",
    "tenant_state",
]
