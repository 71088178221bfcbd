"""``crmbridge migrate``: options checked first, both ends checked next, then the records move."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crmbridge._cli._app import app, err, set_flags, set_resume_hint
from crmbridge._cli._errors import EXIT_FAILED, EXIT_UNREACHABLE, UserError
from crmbridge._cli._mapping import load_mapping
from crmbridge._cli._options import check_kinds, check_writable, open_connection, open_state, pairs, split_kinds

__all__ = ["migrate_command", "read_links"]

DEFAULT_BREAKER = 5
"""Connection failures in a row after which a migration stops (each has already been retried)."""


def read_links(path: Path | None, given: list[str]) -> dict[Any, Any]:
    """Fixed counterparts from ``--links FILE`` (a JSON object ``{"source ref": "target ref"}``) and ``--link``."""
    from crmbridge.canonical import Ref

    texts: dict[str, str] = {}
    if path is not None:
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise UserError(f"--links {path}: {error.strerror}", "write one with: crmbridge links suggest") from None
        except ValueError as error:
            raise UserError(f"--links {path}: not JSON ({error})") from None
        loaded = loaded.get("links", loaded) if isinstance(loaded, dict) else loaded
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise UserError(f'--links {path}: expected a JSON object {{"estateprime:user:3": "activix:user:77", ...}}')
        texts.update(loaded)
    texts.update(pairs(given, "--link"))
    try:
        return {Ref.parse(a): Ref.parse(b) for a, b in texts.items()}
    except ValueError as error:
        raise UserError(f"--link: {error}", "a ref is SYSTEM:KIND:ID, e.g. estateprime:user:3") from None


def _conversions(values: list[str], source: Any, target: Any) -> dict[str, str]:
    from crmbridge.sync._convert import CONVERSIONS

    conversions = pairs(values, "--convert")
    known = ", ".join(f"{a}={b}" for a, b in CONVERSIONS)
    for kind, into in conversions.items():
        if (kind, into) not in CONVERSIONS:
            raise UserError(f"--convert {kind}={into}: no such conversion", f"known: {known}")
        check_kinds([kind], source.adapter.kinds, source.system)
        check_kinds([into], target.adapter.kinds, target.system)
    return conversions


def _kinds(text: str | None, source: Any, target: Any, conversions: dict[str, str]) -> list[str]:
    """The kinds to move: checked against both CRMs; by default every shared kind plus the converted ones."""
    chosen = split_kinds(text)
    if chosen is None:
        return sorted((source.adapter.kinds & target.adapter.kinds) | set(conversions))
    check_kinds(chosen, source.adapter.kinds, source.system)
    for kind in chosen:
        if kind not in target.adapter.kinds and kind not in conversions:
            hint = (
                "convert it, e.g. --convert event=task"
                if kind == "event"
                else f"{target.system} has: {', '.join(sorted(target.adapter.kinds))}"
            )
            raise UserError(f"{target.system} has no {kind}", hint)
    return chosen


@app.command("migrate")
def migrate_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Option("--from", metavar="CRM", help="Source CRM.")],
    target: Annotated[str, typer.Option("--to", metavar="CRM", help="Target CRM.")],
    kinds: Annotated[
        str | None,
        typer.Option(metavar="KIND,...", help="Comma-separated kinds (default: all both have, and converted ones)."),
    ] = None,
    state: Annotated[
        str, typer.Option(metavar="FILE|URL", help="State store: a SQLite file or a postgresql:// URL.")
    ] = "crmbridge-state.db",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and translate, write nothing.")] = False,
    full_scan: Annotated[
        bool, typer.Option("--full-scan", help="Read everything, not only what changed since the last run.")
    ] = False,
    report: Annotated[Path | None, typer.Option(metavar="FILE", help="Write the JSON report here.")] = None,
    links: Annotated[
        Path | None, typer.Option("--links", metavar="FILE", help="Links file (JSON) from 'crmbridge links suggest'.")
    ] = None,
    link: Annotated[
        list[str], typer.Option(metavar="REF=REF", help="Fixed counterpart, SOURCE_REF=TARGET_REF (users).")
    ] = [],  # noqa: B006
    convert: Annotated[list[str], typer.Option(metavar="KIND=KIND", help="Kind conversion, e.g. event=task.")] = [],  # noqa: B006
    mapping: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Field mapping file (TOML) from 'crmbridge mapping suggest'."),
    ] = None,
    from_token: Annotated[
        str | None, typer.Option(metavar="TOKEN", help="Source token (else CRMBRIDGE_<CRM>_TOKEN).")
    ] = None,
    to_token: Annotated[
        str | None, typer.Option(metavar="TOKEN", help="Target token (else CRMBRIDGE_<CRM>_TOKEN).")
    ] = None,
    from_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Source base URL (else CRMBRIDGE_<CRM>_BASE_URL).")
    ] = None,
    to_url: Annotated[
        str | None, typer.Option(metavar="URL", help="Target base URL (else CRMBRIDGE_<CRM>_BASE_URL).")
    ] = None,
    from_option: Annotated[
        list[str], typer.Option(metavar="KEY=VALUE", help="Source option KEY=VALUE (e.g. timezone=...).")
    ] = [],  # noqa: B006
    to_option: Annotated[
        list[str], typer.Option(metavar="KEY=VALUE", help="Target option KEY=VALUE (e.g. default_owner=...).")
    ] = [],  # noqa: B006
    max_connection_failures: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Stop after this many writes in a row fail to connect (exit 3; run again to resume).",
            min=1,
        ),
    ] = DEFAULT_BREAKER,
    preflight: Annotated[
        bool, typer.Option(help="Check both CRMs answer and take the tokens before moving records.")
    ] = True,
    wait: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Seconds to wait for another run of the same job (default: refuse at once).", min=0
        ),
    ] = 0.0,
) -> None:
    """Move records from one CRM to another (resumable: run it again to go on; see the README)."""
    from crmbridge._cli._guard import CircuitOpen, GuardedConnection

    if source == target:
        raise UserError("--from and --to are the same CRM", "crmbridge migrates between two different CRMs")
    fixed = read_links(links, link)
    field_mapping = load_mapping(mapping)
    if report is not None:
        check_writable(report, "--report")
    ends = {
        "source": (source, from_token, from_url, from_option, ("--from-token", "--from-url", "--from-option")),
        "target": (target, to_token, to_url, to_option, ("--to-token", "--to-url", "--to-option")),
    }
    for system, _, _, _, flags in ends.values():
        set_flags(ctx, system, token=flags[0], url=flags[1])
    with (
        open_connection(*ends["source"][:4], flags=ends["source"][4]) as src,
        open_connection(*ends["target"][:4], flags=ends["target"][4]) as dst,
    ):
        conversions = _conversions(convert, src, dst)
        chosen = _kinds(kinds, src, dst, conversions)
        store = open_state(state)
        try:
            if preflight:
                _preflight(ends, chosen)
            set_resume_hint(ctx, "run the same command again to resume: what was moved is not moved twice")
            result = _run(
                src,
                GuardedConnection(dst, max_connection_failures),
                store,
                chosen,
                fixed,
                conversions,
                dry_run,
                full_scan,
                wait,
                field_mapping,
            )
        except CircuitOpen as error:
            hint = "run the same command again once it answers: the migration resumes where it stopped"
            raise UserError(str(error), hint, code=EXIT_UNREACHABLE) from None
        finally:
            store.close()
    _show(result, report)


def _preflight(ends: dict[str, Any], kinds: list[str]) -> None:
    from crmbridge._cli._guard import PREFLIGHT_TIMEOUT_S, preflight
    from crmbridge.http import RetryPolicy

    quick = {
        "retry": RetryPolicy(attempts=6, timeout=PREFLIGHT_TIMEOUT_S, wait_max=1.0),
        "timeout": PREFLIGHT_TIMEOUT_S / 2,
    }
    for system, token, url, options, flags in ends.values():
        with open_connection(system, token, url, options, flags=flags, overrides=quick) as probe:
            preflight(probe, kinds, flags[:2])


def _run(
    src: Any,
    dst: Any,
    store: Any,
    kinds: list[str],
    links: Any,
    conversions: Any,
    dry_run: bool,
    full_scan: bool,
    wait: float,
    field_mapping: Any = None,
) -> Any:
    from crmbridge._cli._progress import progress_bars, source_totals
    from crmbridge.sync import migrate

    job = f"{src.system}->{dst.system}"
    full_read = {kind for kind in kinds if full_scan or store.checkpoint(job, kind) is None}
    with progress_bars(err, source_totals(src, kinds, full_read)) as progress:
        return migrate(
            source=src,
            target=dst,
            kinds=kinds,
            state=store,
            dry_run=dry_run,
            full_scan=full_scan,
            links=links,
            conversions=conversions,
            progress=progress,
            wait=wait,
            field_mapping=field_mapping,
        )


def _show(result: Any, report: Path | None) -> None:
    from rich.console import Console

    from crmbridge._reports import mapping_table, report_table

    Console().print(report_table(result))
    if result.field_mapping:
        Console().print(mapping_table(result))
    for failure in result.failures[:20]:
        err.print(f"failed {failure['source'] or failure['kind']}: {failure['reason']}", markup=False)
    if len(result.failures) > 20:
        err.print(f"... and {len(result.failures) - 20} more failures (all of them in --report)")
    if report is not None:
        result.write_json(report)
    if any("has no counterpart" in f["reason"] and ":user:" in f["reason"] for f in result.failures):
        err.print("map the users with --links FILE (write one: crmbridge links suggest --from A --to B) or --link")
    if result.failures:
        err.print("fix what the failures say and run the same command again: only those records are retried")
        raise typer.Exit(EXIT_FAILED)
