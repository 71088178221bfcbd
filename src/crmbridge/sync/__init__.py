"""Migration and feed machinery: the state store and the migration engine."""

from crmbridge.sync._feed import FeedReport, feed
from crmbridge.sync._migrate import KIND_ORDER, KindReport, MigrationReport, fingerprint, migrate
from crmbridge.sync._state import Failure, Intent, StateStore, engine_url

__all__ = [
    "KIND_ORDER",
    "Failure",
    "FeedReport",
    "Intent",
    "KindReport",
    "MigrationReport",
    "StateStore",
    "engine_url",
    "feed",
    "fingerprint",
    "migrate",
]
