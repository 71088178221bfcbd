"""Migration and feed machinery: the state store and the migration engine."""

from crmbridge.sync._feed import FeedReport, envelope, feed, feed_to_log
from crmbridge.sync._migrate import KIND_ORDER, KindReport, MigrationReport, fingerprint, migrate
from crmbridge.sync._state import DeadLetter, Failure, Intent, LogEntry, StateStore, engine_url
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
    "DeadLetter",
    "DeliveryFailed",
    "Failure",
    "FeedReport",
    "Intent",
    "KindReport",
    "LogEntry",
    "MigrationReport",
    "StateStore",
    "WebhookReport",
    "WebhookSender",
    "cloudevent",
    "engine_url",
    "envelope",
    "feed",
    "feed_to_log",
    "fingerprint",
    "feed_webhooks",
    "migrate",
    "replay_webhooks",
    "webhook_source",
]
