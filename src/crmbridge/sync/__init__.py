"""Migration and feed machinery: the state store, the migration engine, the feed and its transports, shards."""

from crmbridge.sync._budget import AccountBudget
from crmbridge.sync._feed import FeedReport, envelope, feed, feed_to_log
from crmbridge.sync._field_mapping import (
    FieldMapping,
    load_field_mapping,
    parse_field_mapping,
    suggest_field_mapping,
)
from crmbridge.sync._migrate import KIND_ORDER, KindReport, MigrationReport, fingerprint, migrate
from crmbridge.sync._shards import REFERS_TO, Shard, ShardReport, plan, run_shard, tenant_state
from crmbridge.sync._state import DeadLetter, Failure, Intent, LogEntry, StateStore, engine_url
from crmbridge.sync._tenants import Account, Side, Tenant, Tenants, TenantsFileError, load_tenants, parse_tenants
from crmbridge.sync._webhooks import (
    DeliveryFailed,
    WebhookReport,
    WebhookSender,
    cloudevent,
    feed_webhooks,
    replay_webhooks,
    webhook_source,
)

__all__ = [
    "KIND_ORDER",
    "REFERS_TO",
    "Account",
    "AccountBudget",
    "DeadLetter",
    "DeliveryFailed",
    "Failure",
    "FeedReport",
    "FieldMapping",
    "Intent",
    "KindReport",
    "LogEntry",
    "MigrationReport",
    "Shard",
    "ShardReport",
    "Side",
    "StateStore",
    "Tenant",
    "Tenants",
    "TenantsFileError",
    "WebhookReport",
    "WebhookSender",
    "cloudevent",
    "engine_url",
    "envelope",
    "feed",
    "feed_to_log",
    "feed_webhooks",
    "fingerprint",
    "load_field_mapping",
    "load_tenants",
    "migrate",
    "parse_field_mapping",
    "parse_tenants",
    "plan",
    "replay_webhooks",
    "run_shard",
    "suggest_field_mapping",
    "tenant_state",
    "webhook_source",
]
