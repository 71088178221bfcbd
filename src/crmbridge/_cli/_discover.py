"""Discovery: ``users``, ``lookups``, ``links suggest`` and ``crosswalk``, so ids are found without Python."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from crmbridge._cli._app import app, err, links_app, set_flags
from crmbridge._cli._errors import EXIT_FAILED, UserError
from crmbridge._cli._options import (
    FromCrm,
    FromToken,
    FromUrl,
    Options,
    ToCrm,
    ToToken,
    ToUrl,
    check_writable,
    open_both_ends,
    open_connection,
    open_state,
)

__all__ = ["User", "crosswalk", "list_users", "lookup_rows", "lookups", "match_users", "suggest_links", "users"]

USER_FIELDS = ("owners", "users", "assignees", "user", "created_by", "updated_by")
"""Canonical fields that hold user Refs (scanned where a CRM has no user list)."""

SCAN_LIMIT = 1000
"""Records read per kind when users are found by scanning records."""


@dataclass(frozen=True)
class User:
    """A user of a CRM: its Ref, and what the CRM tells of them (name, email; records referring to them)."""

    ref: str
    name: str = ""
    email: str = ""
    records: int = 0


def _refs_in(value: Any) -> Iterator[str]:
    from crmbridge.canonical import Ref

    if isinstance(value, Ref) and value.kind == "user":
        yield str(value)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs_in(item)


def _account_users(connection: Any) -> list[User] | None:
    """The users an account lookup lists (Activix), or None where the CRM has no such list."""
    account = connection.lookups().get("account")
    if not account:
        return None
    accounts = account if isinstance(account, list) else [account]
    found = []
    for entry in accounts:
        for user in entry.get("users") or []:
            name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
            found.append(User(f"{connection.system}:user:{user['id']}", name, user.get("email") or ""))
    return found


def list_users(connection: Any, limit: int = SCAN_LIMIT) -> tuple[list[User], str]:
    """The CRM's users, and how they were found (its user list, or the records that refer to them)."""
    listed = _account_users(connection)
    if listed is not None:
        return listed, "the account's user list"
    seen: Counter[str] = Counter()
    for kind in sorted(connection.adapter.kinds):
        for count, record in enumerate(connection.list(kind, on_error="skip")):
            if count >= limit:
                break
            seen.update({ref for name in USER_FIELDS for ref in _refs_in(getattr(record, name, None))})
    users = [User(ref, records=n) for ref, n in sorted(seen.items(), key=lambda item: (-item[1], item[0]))]
    return users, f"the users its records refer to ({connection.system} has no user list; first {limit} of each kind)"


def _connect(ctx: typer.Context, crm: str, token: str | None, base_url: str | None, option: list[str]) -> Any:
    set_flags(ctx, crm, token="--token", url="--base-url")
    return open_connection(crm, token, base_url, option)


Token = Annotated[str | None, typer.Option(metavar="TOKEN", help="Token (else CRMBRIDGE_<CRM>_TOKEN).")]
BaseUrl = Annotated[str | None, typer.Option(metavar="URL", help="Base URL (else CRMBRIDGE_<CRM>_BASE_URL).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON on standard output instead of a table.")]
Crm = Annotated[str, typer.Argument(metavar="CRM", help="estateprime, rechat or activix.")]


@app.command()
def users(
    ctx: typer.Context,
    crm: Crm,
    as_json: AsJson = False,
    token: Token = None,
    base_url: BaseUrl = None,
    option: Options = [],  # noqa: B006
) -> None:
    """List a CRM's users (ids, names, emails): what --link and links files map."""
    with _connect(ctx, crm, token, base_url, option) as connection:
        found, how = list_users(connection)
    if as_json:
        sys.stdout.write(json.dumps([asdict(user) for user in found], indent=2) + "\n")
        return
    table = Table(title=f"{crm} users, from {how}")
    for column in ("ref", "name", "email", "records"):
        table.add_column(column)
    for user in found:
        table.add_row(user.ref, user.name or "-", user.email or "-", str(user.records) if user.records else "-")
    Console().print(table)


def lookup_rows(data: Any, name: str = "") -> Iterator[tuple[str, str, str]]:
    """``(list, id, name)`` of every entry of a CRM's lookup lists, however nested."""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, list | dict):
                yield from lookup_rows(value, f"{name}.{key}" if name else key)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and ("id" in item or "name" in item or "tag" in item):
                label = next((str(item[k]) for k in ("name", "label", "tag", "title", "email") if item.get(k)), "")
                yield name, "" if item.get("id") is None else str(item["id"]), label
                yield from lookup_rows({k: v for k, v in item.items() if isinstance(v, list)}, name)
            else:
                yield from lookup_rows(item, name)


@app.command()
def lookups(
    ctx: typer.Context,
    crm: Crm,
    as_json: AsJson = False,
    token: Token = None,
    base_url: BaseUrl = None,
    option: Options = [],  # noqa: B006
) -> None:
    """List a CRM's lookup lists: sources, tags, channels, statuses, custom fields, account users."""
    with _connect(ctx, crm, token, base_url, option) as connection:
        data = connection.lookups()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{crm} lookups")
    for column in ("list", "id", "name"):
        table.add_column(column)
    for row in lookup_rows(data):
        table.add_row(*(cell or "-" for cell in row))
    Console().print(table)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def match_users(sources: list[User], targets: list[User], fallback: str | None) -> dict[str, tuple[str, str]]:
    """``{source ref: (target ref, how)}``: same email first, then same name, else ``fallback`` (when given)."""
    by_email = {_key(t.email): t.ref for t in targets if t.email}
    by_name = {_key(t.name): t.ref for t in targets if t.name}
    found: dict[str, tuple[str, str]] = {}
    for user in sources:
        if user.email and _key(user.email) in by_email:
            found[user.ref] = (by_email[_key(user.email)], "email")
        elif user.name and _key(user.name) in by_name:
            found[user.ref] = (by_name[_key(user.name)], "name")
        elif fallback is not None:
            found[user.ref] = (fallback, "fallback")
    return found


def _fallback_ref(text: str | None, target: str) -> str | None:
    from crmbridge.canonical import Ref

    if text is None:
        return None
    ref = Ref.parse(text) if text.count(":") == 2 else Ref(target, "user", text)
    if ref.system != target or ref.kind != "user":
        raise UserError(f"--fallback {text}: not a {target} user", f"give an id from: crmbridge users {target}")
    return str(ref)


@links_app.command("suggest")
def suggest_links(
    ctx: typer.Context,
    source: FromCrm,
    target: ToCrm,
    output: Annotated[Path, typer.Option(metavar="FILE", help="Links file to write.")] = Path("links.json"),
    fallback: Annotated[
        str | None, typer.Option(metavar="USER", help="Target user id for source users that match no one.")
    ] = None,
    from_token: FromToken = None,
    to_token: ToToken = None,
    from_url: FromUrl = None,
    to_url: ToUrl = None,
    from_option: Options = [],  # noqa: B006
    to_option: Options = [],  # noqa: B006
) -> None:
    """Propose user links (same email, else same name) as a links file for 'migrate --links FILE'."""
    check_writable(output, "--output")
    wanted = _fallback_ref(fallback, target)
    ends = (source, from_token, from_url, from_option), (target, to_token, to_url, to_option)
    with open_both_ends(ctx, *ends) as (src, dst):
        sources, _ = list_users(src)
        targets, _ = list_users(dst)
    if wanted is not None and targets and wanted not in {t.ref for t in targets}:
        raise UserError(f"--fallback {fallback}: {target} has no such user", f"see: crmbridge users {target}")
    matched = match_users(sources, targets, wanted)
    links = {source_ref: target_ref for source_ref, (target_ref, _) in matched.items()}
    how = {source_ref: method for source_ref, (_, method) in matched.items()}
    output.write_text(json.dumps({"links": links, "matched_by": how}, indent=2) + "\n", encoding="utf-8")
    counts = Counter(how.values())
    err.print(f"wrote {output}: {len(links)} links ({', '.join(f'{n} by {m}' for m, n in counts.items()) or 'none'})")
    unmatched = [user.ref for user in sources if user.ref not in matched]
    if unmatched:
        err.print(f"{len(unmatched)} {source} users match no {target} user: {', '.join(unmatched[:10])}")
        err.print(f"map them to one user with --fallback ID (ids: crmbridge users {target}), or edit {output}")
        raise typer.Exit(EXIT_FAILED)


@app.command()
def crosswalk(
    ref: Annotated[
        str | None, typer.Argument(metavar="REF", help="A source record, e.g. estateprime:contact:5.")
    ] = None,
    target: Annotated[str | None, typer.Option("--to", metavar="CRM", help="Only links into this CRM.")] = None,
    state: Annotated[
        str, typer.Option(metavar="FILE|URL", help="State store of the migration.")
    ] = "crmbridge-state.db",
    as_json: AsJson = False,
) -> None:
    """Show what source records became in the target (from a migration's state store)."""
    from crmbridge import available_systems
    from crmbridge.canonical import Ref

    location = Path(state)
    if "://" not in state and not location.exists():
        raise UserError(f"--state {state}: no such state file", "give the --state the migration used")
    store = open_state(state)
    try:
        wanted = Ref.parse(ref) if ref else None
    except ValueError as error:
        raise UserError(f"{ref}: {error}", "a ref is SYSTEM:KIND:ID, e.g. estateprime:contact:5") from None
    try:
        systems = [target] if target else list(available_systems())
        rows = [
            (str(source), str(into))
            for system in systems
            for source, into in store.links(system)
            if wanted is None or source == wanted
        ]
    finally:
        store.close()
    if wanted is not None and not rows:
        raise UserError(
            f"{wanted} has not been migrated (yet)", "see the failures in the migration report", code=EXIT_FAILED
        )
    if as_json:
        sys.stdout.write(json.dumps(dict(rows), indent=2) + "\n")
        return
    table = Table(title="crosswalk")
    table.add_column("source")
    table.add_column("became")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
