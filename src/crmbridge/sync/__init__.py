"""Migration and feed machinery. So far: the state store (crosswalk, intents, checkpoints, failures)."""

from crmbridge.sync._state import Failure, Intent, StateStore, engine_url

__all__ = ["Failure", "Intent", "StateStore", "engine_url"]
