"""Sandbox tenants: brokerages made of loopback sandboxes, and the tenants file that names them.

Each tenant is a seeded EstatePrime sandbox moving its contacts and communications into an
Activix sandbox (its own, or one Activix sandbox shared by every tenant: one vendor account, one
rate budget). The servers run on loopback threads, so worker processes reach them too. Used by
the tests, the benchmark and the README's Dagster guide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp

from crmbridge.sandbox._faults import FaultConfig
from crmbridge.sandbox._sandbox import Sandbox, make_sandbox
from crmbridge.sandbox._serve import serve_in_thread

__all__ = ["SandboxTenants", "serve_sandbox_tenants"]

ESTATEPRIME_USERS = (2, 3, 5, 7, 10)
"""The EstatePrime users seeded records refer to (each gets an Activix counterpart in the links file)."""


@dataclass
class SandboxTenants:
    """Running sandbox tenants: the tenants file, the environment it needs, and the sandboxes."""

    tenants_file: Path
    environ: dict[str, str] = field(default_factory=dict)
    """Token variables the tenants file names (put them in ``os.environ``)."""
    sources: dict[str, Sandbox] = field(default_factory=dict)
    targets: dict[str, Sandbox] = field(default_factory=dict)
    """Each tenant's Activix sandbox (the same object for every tenant when it is shared)."""


def _served(stack: ExitStack, sandbox: Sandbox) -> str:
    return stack.enter_context(serve_in_thread(sandbox)) + urlsplit(sandbox.base_url).path


def _links(target: Sandbox) -> str:
    users = [user["id"] for user in target.store.scan("users")]
    pairs = [(user, users[i % len(users)]) for i, user in enumerate(ESTATEPRIME_USERS)]
    lines = [f'"estateprime:user:{source}" = "activix:user:{target}"' for source, target in pairs]
    return "\n".join(lines) + "\n"


def _tenant_toml(name: str, source_url: str, target_url: str, target_account: str) -> str:
    upper = name.upper().replace("-", "_")
    return f"""
[tenants.{name}]
kinds = ["contact", "activity"]
links = "{name}-links.toml"

[tenants.{name}.source]
system = "estateprime"
account = "estateprime-{name}"
token_env = "SANDBOX_{upper}_ESTATEPRIME_TOKEN"
base_url = "{source_url}"
options = {{ timezone = "Europe/Athens" }}

[tenants.{name}.target]
system = "activix"
account = "{target_account}"
token_env = "SANDBOX_{upper}_ACTIVIX_TOKEN"
base_url = "{target_url}"
options = {{ default_lead_type = "web_order", default_region = "US" }}
"""


@contextmanager
def serve_sandbox_tenants(
    folder: str | Path,
    names: Sequence[str] = ("north", "south", "east"),
    *,
    records: int = 4,
    shared_target: bool = False,
    account_limit: tuple[int, float] = (200, 60.0),
    server_rate_limit: float | None = None,
    wrap_target: Callable[[ASGIApp], ASGIApp] | None = None,
) -> Iterator[SandboxTenants]:
    """Serve one sandbox tenant per name and write ``tenants.toml`` (and links files) into ``folder``.

    ``records`` seeded contacts per tenant (each with communications). With ``shared_target``
    every tenant writes into one Activix sandbox through one account (``activix-shared``);
    ``account_limit`` is the Activix accounts' budget (requests, per seconds) and
    ``server_rate_limit`` makes the Activix sandboxes answer 429 above that many requests a second.
    ``wrap_target`` wraps each Activix sandbox's app before it is served (to observe its requests).
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    requests, per_seconds = account_limit
    faults = FaultConfig(rate_limit=server_rate_limit) if server_rate_limit else None
    with ExitStack() as stack:
        result = SandboxTenants(root / "tenants.toml")
        accounts = {}
        shared: tuple[Sandbox, str] | None = None
        parts = []
        for index, name in enumerate(names):
            source = make_sandbox("estateprime", seed_records=records, seed=index, timezone="Europe/Athens")
            if shared_target and shared is not None:
                target, target_url = shared
            else:
                target = make_sandbox("activix", faults=faults)
                if wrap_target is not None:
                    target.app = wrap_target(target.app)
                target_url = _served(stack, target)
                shared = (target, target_url)
            account = "activix-shared" if shared_target else f"activix-{name}"
            accounts[f"estateprime-{name}"] = "requests = 1000\nper_seconds = 1"
            accounts[account] = f"requests = {requests}\nper_seconds = {per_seconds}"
            (root / f"{name}-links.toml").write_text(_links(target), encoding="utf-8")
            parts.append(_tenant_toml(name, _served(stack, source), target_url, account))
            upper = name.upper().replace("-", "_")
            result.environ[f"SANDBOX_{upper}_ESTATEPRIME_TOKEN"] = source.token
            result.environ[f"SANDBOX_{upper}_ACTIVIX_TOKEN"] = target.token
            result.sources[name], result.targets[name] = source, target
        header = "".join(f"[accounts.{name}]\n{body}\n\n" for name, body in accounts.items())
        result.tenants_file.write_text(header + "".join(parts), encoding="utf-8")
        yield result
