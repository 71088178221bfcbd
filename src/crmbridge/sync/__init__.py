"""Migration and feed machinery: the state store and the migration engine."""

from crmbridge.sync._feed import FeedReport, feed
from crmbridge.sync._field_mapping import (
    FieldMapping,
    load_field_mapping,
    parse_field_mapping,
    suggest_field_mapping,
)
from crmbridge.sync._migrate import KIND_ORDER, KindReport, MigrationReport, fingerprint, migrate
from crmbridge.sync._state import Failure, Intent, StateStore, engine_url

__all__ = [
    "KIND_ORDER",
    "Failure",
    "FeedReport",
    "FieldMapping",
    "Intent",
    "KindReport",
    "MigrationReport",
    "StateStore",
    "engine_url",
    "feed",
    "fingerprint",
    "load_field_mapping",
    "migrate",
    "parse_field_mapping",
    "suggest_field_mapping",
]
