"""The ``crmbridge`` command line.

Exit codes: 0 success; 1 the command ran and found a problem (schema drift, a payload that does
not translate); 2 bad usage (typer's own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crmbridge.adapters import available_systems, get_adapter
from crmbridge.canonical import check_schemas, write_schemas
from crmbridge.errors import MappingError

__all__ = ["app", "main"]

app = typer.Typer(help="Read and write several real-estate CRMs through one canonical model.", no_args_is_help=True)
_err = Console(stderr=True)

DEFAULT_SCHEMA_DIR = Path("canonical")


@app.command()
def demo() -> None:
    """Print the canonical JSON of every vendor example payload, one line per record."""
    failures = 0
    for system in available_systems():
        adapter = get_adapter(system)
        count = 0
        for kind, name, payload in adapter.example_payloads():
            try:
                record = adapter.to_canonical(kind, payload)
            except MappingError as error:
                failures += 1
                _err.print(f"[red]{system} {kind} {name}: {error}[/red]")
                continue
            line = {"system": system, "kind": kind, "example": name, "record": record.model_dump(mode="json")}
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            count += 1
        _err.print(f"[bold]{system}[/bold]: {count} example records translated")
    if failures:
        raise typer.Exit(1)


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Folder of the schema files.")] = DEFAULT_SCHEMA_DIR,
    check: Annotated[bool, typer.Option("--check", help="Fail if the committed files differ.")] = False,
) -> None:
    """Write the JSON Schema of each canonical record kind (or check them with --check)."""
    if check:
        drifted = check_schemas(out)
        if drifted:
            _err.print(f"[red]schema drift in {out}: {', '.join(drifted)}; run 'crmbridge schema'[/red]")
            raise typer.Exit(1)
        _err.print(f"schemas in {out} match the code")
        return
    for path in write_schemas(out):
        _err.print(f"wrote {path}")


def main() -> None:
    """Console-script entry point."""
    app()
