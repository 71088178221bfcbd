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
sandbox_app = typer.Typer(help="Local emulators of the CRMs.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
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


@sandbox_app.command("serve")
def sandbox_serve(
    crm: Annotated[str, typer.Argument(help="estateprime, rechat or activix.")],
    port: Annotated[int, typer.Option(help="Loopback port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Loopback address (127.0.0.1, localhost or ::1).")] = "127.0.0.1",
    seed_records: Annotated[int, typer.Option(help="How many records to generate.", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 0,
    db: Annotated[Path | None, typer.Option(help="SQLite file that keeps the state across restarts.")] = None,
    latency_ms: Annotated[float, typer.Option(help="Latency added to every request.", min=0)] = 0.0,
    error_rate: Annotated[float, typer.Option(help="Share of requests that fail (0..1).", min=0, max=1)] = 0.0,
    rate_limit: Annotated[float | None, typer.Option(help="Requests per second before 429s.", min=0.001)] = None,
) -> None:
    """Serve one CRM's sandbox over loopback until interrupted."""
    from crmbridge.sandbox import FaultConfig, make_sandbox, serve

    faults = None
    if latency_ms or error_rate or rate_limit:
        faults = FaultConfig(latency_ms=latency_ms, error_rate=error_rate, rate_limit=rate_limit, seed=seed)
    try:
        sandbox = make_sandbox(crm, seed_records=seed_records, seed=seed, db=db, faults=faults)
    except ValueError as error:
        _err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    _err.print(f"{crm} sandbox on http://{host}:{port} (token: {sandbox.token}); Ctrl-C stops it")
    try:
        serve(sandbox, host=host, port=port)
    except ValueError as error:
        _err.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m crmbridge.cli`
    main()
