"""Checking option values before any work starts: pairs, typed connection options, credentials, files, kinds."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from crmbridge._cli._errors import UserError

__all__ = [
    "check_kinds",
    "check_writable",
    "connection_options",
    "open_connection",
    "open_state",
    "pairs",
    "split_kinds",
]

_SQLITE_MAGIC = b"SQLite format 3\x00"


def pairs(values: Iterable[str], flag: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict (a usage error naming ``flag`` otherwise)."""
    found = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise UserError(f"{flag} takes KEY=VALUE, got {value!r}")
        found[key] = item
    return found


def _json(text: str, flag: str, key: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{flag} {key}: not valid JSON ({error.msg} at character {error.pos})") from None


def _number(text: str, flag: str, key: str, *, nullable: bool) -> float | None:
    if nullable and text in ("", "null", "none", "None"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{flag} {key}: expected a number, got {text!r}") from None
    if not value > 0:
        raise UserError(f"{flag} {key}: must be more than 0, got {text}")
    return value


def _retry(text: str, flag: str) -> Any:
    from dataclasses import fields

    from crmbridge.http import RetryPolicy

    given = _json(text, flag, "retry")
    known = {f.name for f in fields(RetryPolicy)}
    if not isinstance(given, dict):
        raise UserError(f"{flag} retry: expected a JSON object such as '{{\"attempts\": 3}}'")
    unknown = sorted(set(given) - known)
    if unknown:
        raise UserError(f"{flag} retry: unknown key {unknown[0]!r}; known: {', '.join(sorted(known))}")
    for key, value in given.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise UserError(f"{flag} retry: {key} must be a number of 0 or more, got {json.dumps(value)}")
    try:
        return RetryPolicy(**given)
    except (TypeError, ValueError) as error:
        raise UserError(f"{flag} retry: {error}") from None


def _value(key: str, text: str, flag: str) -> Any:
    """One connection option's value, typed by what the option is (JSON parsed strictly)."""
    if key == "timeout":
        return _number(text, flag, key, nullable=False)
    if key == "rate_limit":
        return _number(text, flag, key, nullable=True)
    if key == "retry":
        return _retry(text, flag)
    if key == "verify":
        if text.lower() not in ("true", "false"):
            raise UserError(f"{flag} verify: expected true or false, got {text!r}")
        return text.lower() == "true"
    if text[:1] in ("{", "[", '"'):  # JSON is meant: it must parse
        return _json(text, flag, key)
    if text in ("null", "true", "false") or re.fullmatch(r"-?\d+(\.\d+)?", text):
        return json.loads(text)
    return text


def connection_options(values: Iterable[str], flag: str) -> dict[str, Any]:
    """``--option KEY=VALUE`` values checked and typed (``timeout``/``rate_limit`` numbers, ``retry`` JSON)."""
    if any(value.partition("=")[0] in ("token", "base_url") for value in values):
        raise UserError(f"{flag} cannot give the token or base URL: use their own options or the environment")
    return {key: _value(key, text, flag) for key, text in pairs(values, flag).items()}


def _credentials(system: str, token: str | None, base_url: str | None, flags: tuple[str, str]) -> dict[str, str]:
    prefix = f"CRMBRIDGE_{system.upper()}_"
    token = token or os.environ.get(prefix + "TOKEN")
    base_url = base_url or os.environ.get(prefix + "BASE_URL")
    if not token:
        raise UserError(f"{system}: no token", f"give {flags[0]} or set {prefix}TOKEN")
    if not base_url:
        return {"token": token}  # a CRM whose client has no default base URL says so: see open_connection
    if not base_url.startswith(("http://", "https://")):
        raise UserError(f"{system}: the base URL must start with http:// or https://", f"check {flags[1]}")
    return {"token": token, "base_url": base_url}


def open_connection(
    system: str,
    token: str | None,
    base_url: str | None,
    options: Iterable[str],
    *,
    flags: tuple[str, str, str] = ("--token", "--base-url", "--option"),
    overrides: dict[str, Any] | None = None,
) -> Any:
    """A :class:`crmbridge.Connection` from checked options; a usage error names the option at fault."""
    from crmbridge import available_systems, connect

    if system not in available_systems():
        raise UserError(f"unknown CRM {system!r}", f"known: {', '.join(available_systems())}")
    extra = connection_options(options, flags[2])
    credentials = _credentials(system, token, base_url, flags[:2])
    try:
        return connect(system, **credentials, **(extra | (overrides or {})))
    except TypeError as error:
        if "base_url" in str(error):
            prefix = f"CRMBRIDGE_{system.upper()}_"
            hint = (
                f"give {flags[1]} or set {prefix}BASE_URL (a sandbox prints its URL: crmbridge sandbox serve {system})"
            )
            raise UserError(f"{system}: no base URL", hint) from None
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(error))
        if unknown:
            raise UserError(
                f"{system} has no option {unknown.group(1)!r}",
                "see 'Connecting to a CRM' and 'The CRMs' in the README for each CRM's options",
            ) from None
        raise UserError(f"{flags[2]}: {error}") from None
    except ValueError as error:
        if "base_url" in str(error):  # user info or a query in the URL: the token has its own option
            raise UserError(f"{flags[1]}: {str(error).split('; ')[0]}", f"give the token with {flags[0]}") from None
        raise UserError(f"{flags[2]} ({system}): {error}") from None


Options = Annotated[list[str], typer.Option(metavar="KEY=VALUE", help="Connection option KEY=VALUE.")]
FromCrm = Annotated[str, typer.Option("--from", metavar="CRM", help="Source CRM.")]
ToCrm = Annotated[str, typer.Option("--to", metavar="CRM", help="Target CRM.")]
FromToken = Annotated[str | None, typer.Option(metavar="TOKEN", help="Source token.")]
ToToken = Annotated[str | None, typer.Option(metavar="TOKEN", help="Target token.")]
FromUrl = Annotated[str | None, typer.Option(metavar="URL", help="Source base URL.")]
ToUrl = Annotated[str | None, typer.Option(metavar="URL", help="Target base URL.")]
"""The options of a command with two ends (``--from A --to B``), each with its token, URL and options."""

FROM_FLAGS = ("--from-token", "--from-url", "--from-option")
TO_FLAGS = ("--to-token", "--to-url", "--to-option")


@contextmanager
def open_both_ends(
    ctx: Any,
    source: tuple[str, str | None, str | None, Iterable[str]],
    target: tuple[str, str | None, str | None, Iterable[str]],
) -> Iterator[tuple[Any, Any]]:
    """Connections to both CRMs of a two-ended command (``--from``/``--to`` with their tokens, URLs, options).

    Each end is ``(system, token, base_url, options)``; messages name that end's own flags.
    """
    from crmbridge._cli._app import set_flags

    set_flags(ctx, source[0], token=FROM_FLAGS[0], url=FROM_FLAGS[1])
    set_flags(ctx, target[0], token=TO_FLAGS[0], url=TO_FLAGS[1])
    with open_connection(*source, flags=FROM_FLAGS) as src, open_connection(*target, flags=TO_FLAGS) as dst:
        yield src, dst


def _check_sqlite_file(path: Path) -> None:
    if path.is_dir():
        raise UserError(f"--state {path}: is a directory", "give a file name, e.g. --state state.db")
    if not path.parent.is_dir():
        raise UserError(f"--state {path}: the folder {path.parent} does not exist", "create it, or give another path")
    if path.exists():
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
        if head and head != _SQLITE_MAGIC:
            raise UserError(f"--state {path}: is not a crmbridge state file (not SQLite)", "give another path")
    elif not os.access(path.parent, os.W_OK):
        raise UserError(f"--state {path}: cannot create a file in {path.parent}")


def open_state(location: str) -> Any:
    """The :class:`crmbridge.sync.StateStore` at ``location`` (a SQLite path or a ``postgresql://`` URL), checked."""
    from sqlalchemy.exc import SQLAlchemyError

    from crmbridge.sync import StateStore

    is_url = "://" in location
    if is_url and not location.startswith(("postgresql://", "postgres://", "postgresql+", "sqlite:")):
        raise UserError(
            f"--state: unsupported URL scheme in {location.split('://')[0]!r}", "give a file or a postgresql:// URL"
        )
    if not is_url:
        _check_sqlite_file(Path(location).expanduser())
    try:
        return StateStore(location)
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("psycopg"):
            raise
        raise UserError(
            "--state postgresql://... needs the postgres extra: pip install 'crmbridge[postgres]'"
        ) from None
    except SQLAlchemyError as error:
        text = str(getattr(error, "orig", None) or error).splitlines()[0]
        where = _without_password(location)
        if is_url:
            raise UserError(
                f"cannot open the state store {where}: {text}", "check the URL and that PostgreSQL runs", code=3
            ) from None
        raise UserError(f"cannot open the state store {where}: {text}", "give another --state") from None


def _without_password(location: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", location)


def check_writable(path: Path, flag: str) -> None:
    """A file ``flag`` will write: its folder exists and is writable, and it is not a folder itself."""
    if path.is_dir():
        raise UserError(f"{flag} {path}: is a directory", "give a file name")
    if not path.parent.is_dir():
        raise UserError(f"{flag} {path}: the folder {path.parent} does not exist", "create it, or give another path")
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise UserError(f"{flag} {path}: not writable")


def split_kinds(text: str | None) -> list[str] | None:
    """``--kinds a,b`` as a list (None when not given)."""
    if text is None:
        return None
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    if not kinds:
        raise UserError("--kinds is empty", "give kinds separated by commas, e.g. --kinds contact,activity")
    return kinds


def check_kinds(kinds: Collection[str], known: Collection[str], where: str) -> None:
    """Every kind is one ``where`` knows (a usage error naming the first that is not)."""
    for kind in kinds:
        if kind not in known:
            close = [k for k in known if k.rstrip("s") == kind.rstrip("s")]
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(known))}"
            raise UserError(f"{where} has no kind {kind!r}", hint)
