"""A throwaway PostgreSQL server for the state-store tests (skipped where none can be started)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _server_binary(name: str) -> str | None:
    # Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<version>/bin.
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    return str(candidates[0]) if candidates else None


def _as_postgres_user(*command: str) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, so the server runs as `postgres`.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A ``postgresql://`` URL: CRMBRIDGE_TEST_POSTGRES_URL, or a server started on loopback for the session."""
    given = os.environ.get("CRMBRIDGE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    initdb, pg_ctl = _server_binary("initdb"), _server_binary("pg_ctl")
    if not (initdb and pg_ctl) or (os.geteuid() == 0 and shutil.which("runuser") is None):
        pytest.skip("no PostgreSQL server binaries here (set CRMBRIDGE_TEST_POSTGRES_URL)")
    folder = Path(tempfile.mkdtemp(prefix="crmbridge-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres_user(initdb, "-D", str(data), "-U", "crmbridge", "--auth=trust"), check=True, capture_output=True
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user(pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://crmbridge@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres_user(pg_ctl, "-D", str(data), "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
