"""The ``crmbridge`` command line.

Exit codes: 0 success; 1 the command ran and found a problem (schema drift, a payload that does
not translate, records a migration could not move); 2 bad usage; 3 a CRM could not be reached or
refused the credentials, or a read kept failing (re-run to resume); 4 another run holds the job.

Credentials come from options or the environment (``CRMBRIDGE_<CRM>_TOKEN``,
``CRMBRIDGE_<CRM>_BASE_URL``) and are never printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import stamina
import typer
from rich.console import Console
from rich.text import Text

from crmbridge._shards_cli import register_shard_commands
from crmbridge.adapters import available_systems, get_adapter
from crmbridge.canonical import check_schemas, write_schemas
from crmbridge.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    JobLocked,
    MappingError,
    PermissionDeniedError,
    RunInterrupted,
)

__all__ = ["app", "main"]

app = typer.Typer(
    help="Read and write several real-estate CRMs through one canonical model.",
    no_args_is_help=True,
    # A traceback must not print local variables: they hold tokens (--token, the clients' headers).
    pretty_exceptions_show_locals=False,
)
sandbox_app = typer.Typer(help="Local emulators of the CRMs.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
register_shard_commands(app)
_err = Console(stderr=True)

DEFAULT_SCHEMA_DIR = Path("canonical")


def _print_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """One readable line on stderr per scheduled retry, instead of stamina's bare log record."""
    # The cause is a crmbridge error (or an httpx one it wraps): its text never holds the token.
    line = f"retry {details.retry_num} in {details.wait_for:.1f} s after: {details.caused_by}"
    _err.print(Text(line, style="yellow"), soft_wrap=True)


@app.callback()
def _report_retries(ctx: typer.Context) -> None:
    """Retries are reported on stderr while a command runs (the hooks before it are put back after)."""
    before = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([_print_retry])
    ctx.call_on_close(lambda: stamina.instrumentation.set_on_retry_hooks(before))


SANDBOX_EXTRA_HINT = "the sandboxes are an extra: pip install 'crmbridge[sandbox]'"


def _require_sandbox_extra() -> None:
    """Exit 2 with one line naming the extra when the emulators' packages are not installed."""
    try:
        import crmbridge.sandbox  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.partition(".")[0] == "crmbridge":
            raise
        _err.print(f"{SANDBOX_EXTRA_HINT} (missing: {error.name})", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def demo(
    records: Annotated[int, typer.Option(help="EstatePrime contacts to generate.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generated data.")] = 7,
) -> None:
    """Migrate a seeded EstatePrime sandbox into Activix and Rechat sandboxes, in-process, and show a feed."""
    _require_sandbox_extra()
    from crmbridge._demo import run_demo

    reports = run_demo(Console(), records=records, seed=seed)
    if any(report.failures for report in reports):
        raise typer.Exit(1)


@app.command()
def examples() -> None:
    """Print the canonical JSON of every vendor example payload, one line per record."""
    _require_sandbox_extra()
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
    _require_sandbox_extra()
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


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            _err.print(f"[red]{what} takes KEY=VALUE, got {value!r}[/red]")
            raise typer.Exit(2)
        pairs[key] = item
    return pairs


def _option_value(text: str) -> Any:
    """A connection option's value: JSON where it parses (``100``, ``null``, ``true``), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _credentials(system: str, token: str | None, base_url: str | None) -> dict[str, str]:
    prefix = f"CRMBRIDGE_{system.upper()}_"
    found = {
        "token": token or os.environ.get(prefix + "TOKEN"),
        "base_url": base_url or os.environ.get(prefix + "BASE_URL"),
    }
    if not found["token"]:
        _err.print(
            f"[red]{system}: no token (give --{'from' if token is None else 'to'}-token or set {prefix}TOKEN)[/red]"
        )
        raise typer.Exit(2)
    return {k: v for k, v in found.items() if v}


def _connect(system: str, token: str | None, base_url: str | None, options: list[str]) -> Any:
    if system not in available_systems():
        _err.print(f"[red]unknown CRM {system!r}; known: {', '.join(available_systems())}[/red]")
        raise typer.Exit(2)
    from crmbridge import connect

    extra = {key: _option_value(value) for key, value in _pairs(options, "--option").items()}
    return connect(system, **_credentials(system, token, base_url), **extra)


def _fail_on_api_error(error: APIError) -> NoReturn:
    """One line instead of a traceback for the failures a user can act on (exit 3)."""
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        _err.print(f"[red]the CRM refused the credentials: {error}[/red]")
        raise typer.Exit(3) from None
    if isinstance(error, APIConnectionError):
        _err.print(f"[red]cannot reach the CRM: {error}[/red]")
        raise typer.Exit(3) from None
    raise error


def _fail_on_stopped_run(error: JobLocked | RunInterrupted) -> NoReturn:
    """One line for a run that could not start (another holds its job: 4) or stopped on a read (3)."""
    _err.print(str(error), style="red", markup=False, soft_wrap=True)
    raise typer.Exit(4 if isinstance(error, JobLocked) else 3) from None


_STATE_HELP = "State store: a SQLite file or a postgresql:// URL."
_WAIT_HELP = "Seconds to wait for another run of the same job (default: refuse at once)."


@app.command("migrate")
def migrate_command(
    source: Annotated[str, typer.Option("--from", help="Source CRM.")],
    target: Annotated[str, typer.Option("--to", help="Target CRM.")],
    kinds: Annotated[str | None, typer.Option(help="Comma-separated kinds (default: all both have).")] = None,
    # A str, not a Path: a Path would fold "postgresql://" into "postgresql:/".
    state: Annotated[str, typer.Option(help=_STATE_HELP)] = "crmbridge-state.db",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and translate, write nothing.")] = False,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    link: Annotated[list[str], typer.Option(help="Fixed counterpart, SOURCE_REF=TARGET_REF (users).")] = [],  # noqa: B006
    convert: Annotated[list[str], typer.Option(help="Kind conversion, e.g. event=task.")] = [],  # noqa: B006
    from_token: Annotated[str | None, typer.Option(help="Source token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    to_token: Annotated[str | None, typer.Option(help="Target token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    from_url: Annotated[str | None, typer.Option(help="Source base URL.")] = None,
    to_url: Annotated[str | None, typer.Option(help="Target base URL.")] = None,
    from_option: Annotated[list[str], typer.Option(help="Source option KEY=VALUE (e.g. timezone=...).")] = [],  # noqa: B006
    to_option: Annotated[list[str], typer.Option(help="Target option KEY=VALUE (e.g. default_owner=...).")] = [],  # noqa: B006
    wait: Annotated[float, typer.Option(help=_WAIT_HELP, min=0)] = 0.0,
) -> None:
    """Move records from one CRM to another (resumable; see the README)."""
    from crmbridge._demo import progress_bars, report_table
    from crmbridge.canonical import Ref
    from crmbridge.sync import migrate

    try:
        links = {Ref.parse(a): Ref.parse(b) for a, b in _pairs(link, "--link").items()}
    except ValueError as error:
        _err.print(f"[red]--link: {error}[/red]")
        raise typer.Exit(2) from None
    with (
        _connect(source, from_token, from_url, from_option) as src,
        _connect(target, to_token, to_url, to_option) as dst,
    ):
        try:
            with progress_bars(_err, {}) as progress:
                result = migrate(
                    source=src,
                    target=dst,
                    kinds=kinds.split(",") if kinds else None,
                    state=str(state),
                    dry_run=dry_run,
                    links=links,
                    conversions=_pairs(convert, "--convert"),
                    progress=progress,
                    wait=wait,
                )
        except (JobLocked, RunInterrupted) as error:
            _fail_on_stopped_run(error)
        except APIError as error:
            _fail_on_api_error(error)
    Console().print(report_table(result))
    for failure in result.failures[:20]:
        _err.print(f"failed {failure['source'] or failure['kind']}: {failure['reason']}", markup=False)
    if len(result.failures) > 20:
        _err.print(f"... and {len(result.failures) - 20} more failures (all of them in --report)")
    if report is not None:
        result.write_json(report)
    if result.failures:
        raise typer.Exit(1)


@app.command("feed")
def feed_command(
    crm: Annotated[str, typer.Argument(help="The CRM to follow.")],
    output: Annotated[str, typer.Option(help="NDJSON file to append to, or - for standard output.")] = "-",
    kinds: Annotated[str | None, typer.Option(help="Comma-separated kinds (default: all).")] = None,
    # A str, not a Path: a Path would fold "postgresql://" into "postgresql:/".
    state: Annotated[str, typer.Option(help=_STATE_HELP)] = "crmbridge-feed.db",
    full_scan: Annotated[bool, typer.Option("--full-scan", help="Read everything (finds deletions).")] = False,
    token: Annotated[str | None, typer.Option(help="Token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL (else CRMBRIDGE_<CRM>_BASE_URL).")] = None,
    option: Annotated[list[str], typer.Option(help="Connection option KEY=VALUE.")] = [],  # noqa: B006
    to: Annotated[str | None, typer.Option(help="Load into duckdb:///FILE or postgresql://URL (dlt).")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST each change here (signed CloudEvents).")] = None,
    secret_env: Annotated[str | None, typer.Option(help="Variable holding the webhook secret.")] = None,
    from_seq: Annotated[int | None, typer.Option(help="'feed replay': re-deliver from this seq.", min=1)] = None,
    wait: Annotated[float, typer.Option(help=_WAIT_HELP, min=0)] = 0.0,
    report: Annotated[Path | None, typer.Option(help="Write the run's report (failures included) as JSON.")] = None,
) -> None:
    """Append the CRM's changes since the last run as NDJSON lines (or --to a database, or to a --webhook).

    Exit 1 when records failed to translate (each named on stderr, and in --report).

    'crmbridge feed replay --from-seq N --webhook URL --secret-env NAME' delivers the logged changes again.
    """
    from crmbridge._feed_targets import feed_elsewhere, replay
    from crmbridge.sync import feed

    if crm == "replay":
        replay(state=state, webhook=webhook, secret_env=secret_env, from_seq=from_seq)
        return
    with _connect(crm, token, base_url, option) as connection:
        try:
            if to or webhook:
                feed_elsewhere(connection, state, kinds, full_scan, to, webhook, secret_env, base_url)
                return
            result = feed(
                connection,
                output=sys.stdout if output == "-" else output,
                state=str(state),
                kinds=kinds.split(",") if kinds else None,
                full_scan=full_scan,
                wait=wait,
            )
        except (JobLocked, RunInterrupted) as error:
            _fail_on_stopped_run(error)
        except APIError as error:
            _fail_on_api_error(error)
    _err.print(
        f"upserts {sum(result.upserts.values())}, deletes {sum(result.deletes.values())}, last seq {result.last_seq}"
    )
    for failure in result.failures:
        _err.print(f"failed {failure['source'] or failure['kind']}: {failure['reason']}", markup=False)
    if report is not None:
        result.write_json(report)
    if result.failures:
        raise typer.Exit(1)


@app.command()
def inspect(
    crm: Annotated[str, typer.Argument(help="The CRM.")],
    kind: Annotated[str, typer.Argument(help="contact, activity, task or event.")],
    ident: Annotated[str, typer.Argument(help="The record's id in that CRM.")],
    token: Annotated[str | None, typer.Option(help="Token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Base URL (else CRMBRIDGE_<CRM>_BASE_URL).")] = None,
    option: Annotated[list[str], typer.Option(help="Connection option KEY=VALUE.")] = [],  # noqa: B006
) -> None:
    """Print the canonical JSON of one live record."""
    with _connect(crm, token, base_url, option) as connection:
        try:
            record = connection.get(kind, ident)
        except (MappingError, ValueError) as error:
            _err.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        except APIError as error:
            _fail_on_api_error(error)
    sys.stdout.write(record.model_dump_json(indent=2) + "\n")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m crmbridge.cli`
    main()
