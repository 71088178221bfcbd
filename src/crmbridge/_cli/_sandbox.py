"""``crmbridge sandbox serve``: one CRM's emulator over loopback, with a banner saying how to use it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from crmbridge._cli._app import err, sandbox_app
from crmbridge._cli._errors import UserError, require_sandbox_extra

__all__ = ["banner", "sandbox_serve"]


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is printed (a busy port is a usage error)."""
    from crmbridge.sandbox import LOOPBACK_HOSTS

    if host not in LOOPBACK_HOSTS:
        raise UserError("sandboxes serve on loopback only (127.0.0.1, localhost or ::1)", "give --host 127.0.0.1")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise UserError(
            f"cannot listen on {host}:{port}: {error.strerror}", "give another --port (0 picks a free one)"
        ) from None
    sock.listen(128)
    return sock


def banner(sandbox: Any, url: str) -> list[str]:
    """What a user needs to point crmbridge at this sandbox: base URL as is, token, and CRM specifics."""
    system = sandbox.system
    base_url = url + urlsplit(sandbox.base_url).path
    env = f"CRMBRIDGE_{system.upper()}_"
    lines = [
        f"{system} sandbox on {base_url} (Ctrl-C stops it)",
        f"  export {env}BASE_URL={base_url} {env}TOKEN={sandbox.token}",
    ]
    extra = {k: v for k, v in sandbox.extra_client_options.items() if k != "transport"}
    if system == "rechat":
        owner = sandbox.user(sandbox.token).id
        lines.append(f"  brand {sandbox.brand}; a user to own contacts: {owner}")
        lines.append(f"  as a target: --to-option brand={sandbox.brand} --to-option default_owner={owner}")
    elif extra:
        lines.append("  options: " + " ".join(f"--option {k}={v}" for k, v in extra.items()))
    lines.append(f"  its users: crmbridge users {system}; its lookups: crmbridge lookups {system}")
    return lines


@sandbox_app.command("serve")
def sandbox_serve(
    crm: Annotated[str, typer.Argument(metavar="CRM", help="estateprime, rechat or activix.")],
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Loopback port to listen on (0: a free one).", min=0, max=65535)
    ] = 8000,
    host: Annotated[
        str, typer.Option(metavar="HOST", help="Loopback address (127.0.0.1, localhost or ::1).")
    ] = "127.0.0.1",
    seed_records: Annotated[int, typer.Option(metavar="N", help="How many records to generate.", min=0)] = 0,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the generated data.")] = 0,
    db: Annotated[
        Path | None, typer.Option(metavar="FILE", help="SQLite file that keeps the state across restarts.")
    ] = None,
    latency_ms: Annotated[float, typer.Option(metavar="MS", help="Latency added to every request.", min=0)] = 0.0,
    error_rate: Annotated[
        float, typer.Option(metavar="RATE", help="Share of requests that fail (0..1).", min=0, max=1)
    ] = 0.0,
    rate_limit: Annotated[
        float | None, typer.Option(metavar="N", help="Requests per second before 429s.", min=0.001)
    ] = None,
) -> None:
    """Serve one CRM's sandbox over loopback until interrupted."""
    require_sandbox_extra()
    import uvicorn

    from crmbridge.sandbox import FaultConfig, make_sandbox

    faults = None
    if latency_ms or error_rate or rate_limit:
        faults = FaultConfig(latency_ms=latency_ms, error_rate=error_rate, rate_limit=rate_limit, seed=seed)
    if db is not None and (db.is_dir() or not db.parent.is_dir()):
        raise UserError(f"--db {db}: not a file in an existing folder")
    try:
        sandbox = make_sandbox(crm, seed_records=seed_records, seed=seed, db=db, faults=faults)
    except ValueError as error:
        raise UserError(str(error), "known: estateprime, rechat, activix") from None
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    for line in banner(sandbox, f"http://{shown}:{bound}"):
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    config = uvicorn.Config(sandbox.app, log_level="warning", lifespan="off")
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
