"""The Typer application, its global options, and what turns a user's mistake into one line and an exit code."""

from __future__ import annotations

import os
from typing import Annotated, Any

import stamina
import typer
import typer.core
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from crmbridge._cli._errors import EXIT_INTERRUPTED, explain

__all__ = ["app", "err", "links_app", "sandbox_app", "set_flags", "set_resume_hint"]


class _Group(typer.core.TyperGroup):
    """The top-level group: any error escaping a command becomes a short message and its exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # typer's own: usage errors, exits
            raise
        except (Exception, KeyboardInterrupt) as error:
            if ctx.params.get("debug") or os.environ.get("CRMBRIDGE_DEBUG"):
                err.print_exception(show_locals=False)  # never locals: they hold tokens
            code, message, hint = explain(error, ctx.meta)
            err.print(
                f"[red]error:[/red] {escape(message)}" if code != EXIT_INTERRUPTED else escape(message), soft_wrap=True
            )
            if hint:
                err.print(escape(hint), soft_wrap=True)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_Group,
    help="Read and write several real-estate CRMs through one canonical model.",
    epilog="Exit codes: 0 done; 1 records failed (or schema drift); 2 bad usage; "
    "3 a CRM could not be reached or refused the credentials; 4 another run holds the job; 130 interrupted. "
    "--debug shows tracebacks.",
    no_args_is_help=True,
    # Plain help: rich's shows "<bool>" after every flag.
    rich_markup_mode=None,
    # A traceback must not print local variables: they hold tokens (--token, the clients' headers).
    pretty_exceptions_show_locals=False,
)
sandbox_app = typer.Typer(help="Local emulators of the CRMs.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(sandbox_app, name="sandbox")
links_app = typer.Typer(
    help="Fixed counterparts (users) for migrations: propose them as a links file.", rich_markup_mode=None
)
app.add_typer(links_app, name="links", no_args_is_help=True)

err = Console(stderr=True)
"""Messages, progress and errors go to stderr; stdout carries only data (JSON, NDJSON, tables)."""


def set_flags(ctx: typer.Context, system: str, *, token: str, url: str) -> None:
    """Remember which options give ``system``'s token and URL in this command, for error hints."""
    ctx.find_root().meta.setdefault("flags", {})[system] = (token, url)


def set_resume_hint(ctx: typer.Context, hint: str) -> None:
    """What to tell the user when this command is interrupted (Ctrl-C)."""
    ctx.find_root().meta["resume_hint"] = hint


def _print_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """One readable line on stderr per scheduled retry, instead of stamina's bare log record."""
    # The cause is a crmbridge error (or an httpx one it wraps): its text never holds the token.
    line = f"retry {details.retry_num} in {details.wait_for:.1f} s after: {details.caused_by}"
    err.print(Text(line, style="yellow"), soft_wrap=True)


def _show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"crmbridge {version('crmbridge')}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_show_version, is_eager=True)
    ] = False,
) -> None:
    """Read and write several real-estate CRMs through one canonical model."""
    # Retries are reported on stderr while a command runs (the hooks before it are put back after).
    before = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([_print_retry])
    ctx.call_on_close(lambda: stamina.instrumentation.set_on_retry_hooks(before))
