"""``demo``, ``examples`` and ``schema``: the commands that need no CRM."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crmbridge._cli._app import app, err
from crmbridge._cli._errors import EXIT_FAILED, require_sandbox_extra
from crmbridge.adapters import available_systems, get_adapter
from crmbridge.canonical import check_schemas, write_schemas
from crmbridge.errors import MappingError

__all__ = ["demo", "examples", "schema"]

DEFAULT_SCHEMA_DIR = Path("canonical")


@app.command()
def demo(
    records: Annotated[int, typer.Option(metavar="N", help="EstatePrime contacts to generate.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the generated data.")] = 7,
) -> None:
    """Migrate a seeded EstatePrime sandbox into Activix and Rechat sandboxes, in-process, and show a feed."""
    require_sandbox_extra()
    from crmbridge._demo import run_demo

    reports = run_demo(Console(), records=records, seed=seed)
    if any(report.failures for report in reports):
        raise typer.Exit(EXIT_FAILED)


@app.command()
def examples() -> None:
    """Print the canonical JSON of every vendor example payload, one line per record."""
    require_sandbox_extra()
    from crmbridge.sandbox import example_payloads

    failures = 0
    for system in available_systems():
        adapter = get_adapter(system)
        count = 0
        for kind, name, payload in example_payloads(adapter.system, frozenset(adapter.kinds)):
            try:
                record = adapter.to_canonical(kind, payload)
            except MappingError as error:
                failures += 1
                err.print(f"[red]{system} {kind} {name}: {error}[/red]")
                continue
            line = {"system": system, "kind": kind, "example": name, "record": record.model_dump(mode="json")}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
        err.print(f"[bold]{system}[/bold]: {count} example records translated")
    if failures:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def schema(
    out: Annotated[Path, typer.Option(metavar="DIR", help="Folder of the schema files.")] = DEFAULT_SCHEMA_DIR,
    check: Annotated[bool, typer.Option("--check", help="Fail if the committed files differ.")] = False,
) -> None:
    """Write the JSON Schema of each canonical record kind (or check them with --check)."""
    if check:
        drifted = check_schemas(out)
        if drifted:
            err.print(f"[red]schema drift in {out}: {', '.join(drifted)}; run 'crmbridge schema'[/red]")
            raise typer.Exit(EXIT_FAILED)
        err.print(f"schemas in {out} match the code")
        return
    for path in write_schemas(out):
        err.print(f"wrote {path}")
