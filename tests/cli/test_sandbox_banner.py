"""`crmbridge sandbox serve` prints what to use as is (base URL, token, Rechat brand and owner), once bound."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

import crmbridge


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _serve(crm: str, port: int) -> Any:
    command = [
        sys.executable,
        "-m",
        "crmbridge.cli",
        "sandbox",
        "serve",
        crm,
        "--port",
        str(port),
        "--seed-records",
        "2",
    ]
    env = os.environ | {"COLUMNS": "300"}
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)


def _banner(server: Any) -> dict[str, str]:
    """The exported variables and options of the banner (read until its last line)."""
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        assert line, f"the server ended: {lines}"
        lines.append(line)
        if "crmbridge users" in line:
            break
    text = "".join(lines)
    found = dict(re.findall(r"(\w+)=(\S+)", text))
    found["text"] = text
    return found


@pytest.mark.parametrize("crm", ["activix", "rechat", "estateprime"])
def test_banner_values_work_as_printed(crm: str) -> None:
    """The base URL and token of the banner (and Rechat's brand and owner) work unchanged with a client."""
    port = _free_port()
    with _serve(crm, port) as server:
        try:
            banner = _banner(server)
            prefix = f"CRMBRIDGE_{crm.upper()}_"
            url, token = banner[prefix + "BASE_URL"], banner[prefix + "TOKEN"]
            assert url.startswith(f"http://127.0.0.1:{port}")
            options = {k: banner[k] for k in ("brand", "default_owner") if crm == "rechat"}
            with crmbridge.connect(crm, base_url=url, token=token, **options) as connection:
                assert len(list(connection.list("contact"))) == 2
        finally:
            server.terminate()
            server.wait(timeout=10)
    if crm == "activix":
        assert url.endswith("/v2")


def test_a_busy_port_prints_no_banner() -> None:
    """A port already in use is one error line (exit 2), and no banner was printed before it."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        command = [sys.executable, "-m", "crmbridge.cli", "sandbox", "serve", "activix", "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "cannot listen on 127.0.0.1" in done.stderr
    assert "sandbox on" not in done.stderr
    assert "Traceback" not in done.stderr
