"""``crmbridge plan`` and ``crmbridge run``: many tenants from a tenants file, without any engine.

``plan`` prints the shards (tenant x kind, in dependency order); ``run`` runs them one after the
other (or one tenant's with ``--tenant``), which is all a cron job or a Celery task needs. Exit
codes as for every command: 2 a bad tenants file or option, 3 a CRM unreachable or refusing the
credentials (or a read that ran out of retries: run again to resume), 4 a shard's job held by
another run, 1 records that could not be moved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crmbridge.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    JobLocked,
    PermissionDeniedError,
    RunInterrupted,
)

__all__ = ["register_shard_commands"]

_err = Console(stderr=True)

TenantsOption = Annotated[Path, typer.Option("--tenants", help="The tenants file (TOML).")]
StateOption = Annotated[str, typer.Option(help="Shared state: a folder (SQLite, one machine) or a postgresql:// URL.")]


def _load(path: Path, tenant: str | None = None) -> object:
    from crmbridge.sync import TenantsFileError, load_tenants

    try:
        tenants = load_tenants(path)
        return tenants.only(tenant) if tenant is not None else tenants
    except TenantsFileError as error:
        _err.print(f"[red]{path}: {error}[/red]", markup=True, highlight=False)
        raise typer.Exit(2) from None


def plan_command(
    tenants: TenantsOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per shard.")] = False,
) -> None:
    """Print the shards of a tenants file (tenant x kind, contacts before the kinds that refer to them)."""
    from crmbridge.sync import Tenants, plan

    loaded = _load(tenants)
    assert isinstance(loaded, Tenants)
    shards = plan(loaded)
    if as_json:
        for shard in shards:
            line = {"shard": shard.key, "mode": shard.mode, "accounts": shard.accounts, "after": shard.after}
            sys.stdout.write(json.dumps(line) + "\n")
        return
    table = Table(title=f"{len(shards)} shards of {len(loaded.tenants)} tenants")
    for column in ("shard", "mode", "accounts", "after"):
        table.add_column(column)
    for shard in shards:
        table.add_row(shard.key, shard.mode, ", ".join(shard.accounts), ", ".join(shard.after) or "-")
    Console().print(table)


def run_command(
    tenants: TenantsOption,
    tenant: Annotated[str | None, typer.Option(help="Run this tenant's shards only.")] = None,
    state: StateOption = "crmbridge-state",
    report: Annotated[Path | None, typer.Option(help="Write the shard reports here (JSON).")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a shard's job held by another run.", min=0)] = 0.0,
) -> None:
    """Run the shards of a tenants file one after the other (resumable: run again after a crash)."""
    from crmbridge.sync import Tenants, TenantsFileError, plan, run_shard

    loaded = _load(tenants, tenant)
    assert isinstance(loaded, Tenants)
    table = Table(title="shards")
    for column in ("shard", "read", "created", "updated", "same", "failed"):
        table.add_column(column, justify="left" if column == "shard" else "right")
    results = []
    for shard in plan(loaded):
        try:
            result = run_shard(shard, state, wait=wait)
        except TenantsFileError as error:
            _err.print(f"[red]{shard.key}: {error}[/red]", highlight=False)
            raise typer.Exit(2) from None
        except (AuthenticationError, PermissionDeniedError) as error:
            _err.print(f"[red]{shard.key}: the CRM refused the credentials: {error}[/red]", highlight=False)
            raise typer.Exit(3) from None
        except APIConnectionError as error:
            _err.print(f"[red]{shard.key}: cannot reach the CRM: {error}[/red]", highlight=False)
            raise typer.Exit(3) from None
        except RunInterrupted as error:
            _err.print(f"[red]{shard.key}: {error}; run again to resume[/red]", highlight=False)
            raise typer.Exit(3) from None
        except JobLocked as error:
            _err.print(f"[red]{shard.key}: {error}[/red]", highlight=False)
            raise typer.Exit(4) from None
        except APIError as error:
            _err.print(f"[red]{shard.key}: {error}[/red]", highlight=False)
            raise typer.Exit(1) from None
        results.append(result)
        counts = (result.read, result.created, result.updated, result.unchanged, result.failed)
        table.add_row(shard.key + (f" (skipped: {result.skipped})" if result.skipped else ""), *map(str, counts))
    Console().print(table)
    if report is not None:
        report.write_text(json.dumps([r.as_dict() for r in results], indent=2) + "\n", encoding="utf-8")
    if any(r.failed for r in results):
        raise typer.Exit(1)


def register_shard_commands(app: typer.Typer) -> None:
    """Add ``plan`` and ``run`` to the ``crmbridge`` command line."""
    app.command("plan")(plan_command)
    app.command("run")(run_command)
