"""Local emulators of the CRMs, so everything runs offline.

Each CRM's sandbox lives in ``crmbridge.sandbox.<system>`` (importing nothing from
``crmbridge.adapters``) and is built from the shared pieces here: a document store (memory or
SQLite), fault injection, seed data and an in-process httpx transport.
"""

from crmbridge.sandbox._examples import example_payloads
from crmbridge.sandbox._faults import (
    ALL_FAULT_KINDS,
    FAULT_KINDS,
    DroppedConnection,
    FaultConfig,
    FaultInjector,
    SimulatedTimeout,
    TokenBucket,
)
from crmbridge.sandbox._sandbox import (
    DEFAULT_TOKEN,
    Sandbox,
    SandboxFactory,
    bearer_token_matches,
    make_sandbox,
    read_json_body,
    wrap_with_faults,
)
from crmbridge.sandbox._seed import SEED_EPOCH, SeedData
from crmbridge.sandbox._serve import LOOPBACK_HOSTS, serve, serve_in_thread
from crmbridge.sandbox._store import DocumentStore
from crmbridge.sandbox._tenants import SandboxTenants, serve_sandbox_tenants
from crmbridge.sandbox._transport import SandboxTransport

__all__ = [
    "ALL_FAULT_KINDS",
    "DEFAULT_TOKEN",
    "FAULT_KINDS",
    "LOOPBACK_HOSTS",
    "SEED_EPOCH",
    "DocumentStore",
    "DroppedConnection",
    "FaultConfig",
    "FaultInjector",
    "Sandbox",
    "SandboxTenants",
    "SandboxFactory",
    "SandboxTransport",
    "SeedData",
    "SimulatedTimeout",
    "TokenBucket",
    "bearer_token_matches",
    "example_payloads",
    "make_sandbox",
    "read_json_body",
    "serve",
    "serve_in_thread",
    "serve_sandbox_tenants",
    "wrap_with_faults",
]
