"""``feed`` and ``inspect``: one CRM, read."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from crmbridge._cli._app import app, err, set_flags, set_resume_hint
from crmbridge._cli._errors import EXIT_FAILED, UserError
from crmbridge._cli._options import check_kinds, check_writable, open_connection, open_state, split_kinds

__all__ = ["feed_command", "inspect"]


@app.command("feed")
def feed_command(
    ctx: typer.Context,
    crm: Annotated[str, typer.Argument(metavar="CRM", help="The CRM to follow.", show_default=False)],
    output: Annotated[
        str, typer.Option(metavar="FILE|-", help="NDJSON file to append to, or - for standard output.")
    ] = "-",
    kinds: Annotated[str | None, typer.Option(metavar="KIND,...", help="Comma-separated kinds (default: all).")] = None,
    state: Annotated[
        str, typer.Option(metavar="FILE|URL", help="State store: a SQLite file or a postgresql:// URL.")
    ] = "crmbridge-feed.db",
    full_scan: Annotated[bool, typer.Option("--full-scan", help="Read everything (finds deletions).")] = False,
    token: Annotated[str | None, typer.Option(metavar="TOKEN", help="Token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    base_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Base URL (else CRMBRIDGE_<CRM>_BASE_URL).")
    ] = None,
    option: Annotated[list[str], typer.Option(metavar="KEY=VALUE", help="Connection option KEY=VALUE.")] = [],  # noqa: B006
    to: Annotated[
        str | None, typer.Option(metavar="URL", help="Load into duckdb:///FILE or postgresql://URL (dlt).")
    ] = None,
    webhook: Annotated[
        str | None, typer.Option(metavar="URL", help="POST each change here (signed CloudEvents).")
    ] = None,
    secret_env: Annotated[str | None, typer.Option(metavar="NAME", help="Variable holding the webhook secret.")] = None,
    wait: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Seconds to wait for another run of the same job (default: refuse at once).", min=0
        ),
    ] = 0.0,
    report: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write the run's report (failures included) as JSON.")
    ] = None,
    from_seq: Annotated[
        int | None, typer.Option(metavar="N", help="'feed replay': re-deliver from this seq.", min=1)
    ] = None,
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
    set_flags(ctx, crm, token="--token", url="--base-url")
    if output != "-":
        check_writable(Path(output), "--output")
    if report is not None:
        check_writable(report, "--report")
    chosen = split_kinds(kinds)
    with open_connection(crm, token, base_url, option) as connection:
        if chosen is not None:
            check_kinds(chosen, connection.adapter.kinds, crm)
        if to or webhook:
            feed_elsewhere(connection, state, kinds, full_scan, to, webhook, secret_env, base_url)
            return
        store = open_state(state)
        set_resume_hint(ctx, "run the same command again: a feed writing to a file resumes without losing a line")
        try:
            result = feed(
                connection,
                output=sys.stdout if output == "-" else output,
                state=store,
                kinds=chosen,
                full_scan=full_scan,
                wait=wait,
            )
        finally:
            store.close()
    changes = sum(result.upserts.values()) + sum(result.deletes.values())
    if not changes:
        err.print("no changes since the last run")
    else:
        upserts, deletes = sum(result.upserts.values()), sum(result.deletes.values())
        err.print(f"upserts {upserts}, deletes {deletes}, last seq {result.last_seq}")
    for failure in result.failures:
        err.print(f"failed {failure['source'] or failure['kind']}: {failure['reason']}", markup=False)
    if report is not None:
        result.write_json(report)
    if result.failures:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def inspect(
    ctx: typer.Context,
    crm: Annotated[str, typer.Argument(metavar="CRM", help="The CRM.")],
    kind: Annotated[str, typer.Argument(metavar="KIND", help="contact, activity, task or event (what the CRM has).")],
    ident: Annotated[str, typer.Argument(metavar="ID", help="The record's id in that CRM.")],
    token: Annotated[str | None, typer.Option(metavar="TOKEN", help="Token (else CRMBRIDGE_<CRM>_TOKEN).")] = None,
    base_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Base URL (else CRMBRIDGE_<CRM>_BASE_URL).")
    ] = None,
    option: Annotated[list[str], typer.Option(metavar="KEY=VALUE", help="Connection option KEY=VALUE.")] = [],  # noqa: B006
) -> None:
    """Print the canonical JSON of one live record."""
    from crmbridge.errors import NotFoundError, UnsupportedOperation

    set_flags(ctx, crm, token="--token", url="--base-url")
    with open_connection(crm, token, base_url, option) as connection:
        check_kinds([kind], connection.adapter.kinds, crm)
        try:
            record = connection.get(kind, ident)
        except NotFoundError as error:
            raise UserError(
                f"{crm} has no {kind} {ident}", f"list what it has: crmbridge feed {crm} --kinds {kind}", code=1
            ) from error
        except UnsupportedOperation as error:
            raise UserError(f"{crm}: {error}", "read it through the record it belongs to") from None
    sys.stdout.write(record.model_dump_json(indent=2) + "\n")
