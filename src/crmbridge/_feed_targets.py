"""``crmbridge feed`` into a database (``--to``), to a webhook receiver (``--webhook``), and ``feed replay``.

Exit codes as for every command: 2 bad usage (a destination that is no URL we load into, a missing
secret), 3 a destination that cannot be reached, 1 changes that went to the dead letters.
"""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

import httpx
import typer
from rich.console import Console

from crmbridge._connection import Connection
from crmbridge.sync import StateStore, WebhookReport, WebhookSender, feed_webhooks, replay_webhooks

__all__ = ["feed_elsewhere", "replay"]

_err = Console(stderr=True)


def _fail(message: str, code: int) -> typer.Exit:
    _err.print(f"[red]{message}[/red]", markup=True, highlight=False)
    return typer.Exit(code)


def _redacted(url: str) -> str:
    """``url`` without user info, query or fragment (they may hold credentials)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    return str(parsed.copy_with(userinfo=b"", query=None, fragment=None))


def _sender(webhook: str, secret_env: str | None) -> WebhookSender:
    if not secret_env:
        raise _fail("--webhook needs --secret-env NAME (the variable that holds the signing secret)", 2)
    secret = os.environ.get(secret_env)
    if not secret:
        raise _fail(f"the environment variable {secret_env} holds no webhook secret", 2)
    try:
        return WebhookSender(webhook, secret)
    except ValueError as error:
        raise _fail(f"{secret_env}: {error}", 2) from None


def _account(system: str, base_url: str | None) -> str:
    """The account named in the CloudEvents source: the host of the CRM's base URL (option or environment)."""
    url = base_url or os.environ.get(f"CRMBRIDGE_{system.upper()}_BASE_URL")
    host = httpx.URL(url).host if url else ""
    return host or "default"


def _report(result: WebhookReport) -> None:
    read = "" if result.feed is None else f"upserts {sum(result.feed.upserts.values())}, "
    read += "" if result.feed is None else f"deletes {sum(result.feed.deletes.values())}, "
    _err.print(f"{read}delivered {result.delivered}, dead letters {len(result.dead)}", highlight=False)
    if result.dead:
        seqs = ", ".join(map(str, result.dead[:20])) + (" ..." if len(result.dead) > 20 else "")
        _err.print(f"dead letters (seq): {seqs}; re-deliver with 'crmbridge feed replay --from-seq N'")
        raise typer.Exit(1)


def feed_elsewhere(
    connection: Connection,
    state: str | Path,
    kinds_text: str | None,
    full_scan: bool,
    to: str | None,
    webhook: str | None,
    secret_env: str | None,
    base_url: str | None,
) -> None:
    """Load the changes into ``to`` (dlt) or deliver them to ``webhook``; exit with the documented codes."""
    kinds = kinds_text.split(",") if kinds_text else None
    if to is not None and webhook is not None:
        raise _fail("give --to or --webhook, not both", 2)
    if webhook is not None:
        sender = _sender(webhook, secret_env)
        with sender, _store(state) as store:
            account = _account(connection.system, base_url)
            _report(feed_webhooks(connection, sender, state=store, kinds=kinds, account=account, full_scan=full_scan))
        return
    assert to is not None
    _load(connection, to, state=state, kinds=kinds, full_scan=full_scan)


def _load(connection: Connection, to: str, *, state: str | Path, kinds: list[str] | None, full_scan: bool) -> None:
    try:
        from crmbridge import dlt as crm_dlt
    except ImportError:
        raise _fail('--to needs the dlt extra: pip install "crmbridge[dlt]"', 2) from None
    from dlt.pipeline.exceptions import PipelineStepFailed

    try:
        crm_dlt.destination_of(to)
    except ValueError as error:
        raise _fail(str(error), 2) from None
    with _store(state) as store:
        try:
            crm_dlt.load(connection, to, state=store, kinds=kinds, full_scan=full_scan)
        except PipelineStepFailed as error:
            cause = error.exception
            password = httpx.URL(to).password if "://" in to else ""
            text = f"{type(cause).__name__}: {cause}"
            text = text.replace(password, "***") if password else text
            raise _fail(f"loading into {_redacted(to)} failed at the {error.step} step: {text}", 3) from None
    _err.print(f"loaded the changes into {_redacted(to)}", highlight=False)


def _store(location: str | Path) -> closing[StateStore]:
    """The state store at ``location``, closed at the end of a ``with`` block."""
    return closing(StateStore(str(location)))


def replay(*, state: str | Path, webhook: str | None, secret_env: str | None, from_seq: int | None) -> None:
    """``crmbridge feed replay``: send every logged change from ``from_seq`` on to ``webhook`` again."""
    if webhook is None or from_seq is None:
        raise _fail("feed replay needs --webhook URL, --secret-env NAME and --from-seq N", 2)
    with _sender(webhook, secret_env) as sender, _store(state) as store:
        _report(replay_webhooks(store, sender, from_seq=from_seq))
