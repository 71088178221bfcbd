"""The CLI's pieces on their own: the error explanations, option typing, the sandbox banner and port binding."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc

from crmbridge._cli._errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE, UserError, explain
from crmbridge._cli._options import check_writable, connection_options, open_state, split_kinds
from crmbridge._cli._sandbox import _bind, banner
from crmbridge.errors import (
    AmbiguousWriteError,
    APIConnectionError,
    AuthenticationError,
    CrmBridgeError,
    InvalidIdError,
    InvalidResponseError,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UnsupportedKind,
    UnsupportedOperation,
)
from crmbridge.http import RetryPolicy
from crmbridge.sandbox import make_sandbox

WHERE: dict[str, Any] = {"system": "activix", "method": "GET", "url": "http://127.0.0.1:1/v2/leads"}


def _status(cls: Any, code: int) -> Any:
    return cls("refused", status_code=code, **WHERE)


@pytest.mark.parametrize(
    ("error", "code", "said", "hint"),
    [
        (_status(AuthenticationError, 401), EXIT_UNREACHABLE, "activix refused the credentials", "--to-token"),
        (_status(PermissionDeniedError, 403), EXIT_UNREACHABLE, "activix refused the credentials", "brand"),
        (APIConnectionError("connection failed", **WHERE), EXIT_UNREACHABLE, "cannot reach activix", "--to-url"),
        (_status(NotFoundError, 404), EXIT_FAILED, "activix has no such record", "/v2"),
        (InvalidResponseError("not JSON", **WHERE), EXIT_UNREACHABLE, "did not answer as its API does", "--to-url"),
        (_status(ServerError, 503), EXIT_FAILED, "activix answered with an error", None),
        (AmbiguousWriteError("lost answer", **WHERE), EXIT_FAILED, "lost answer", None),
        (UnsupportedKind("activix", "task", frozenset({"contact"})), EXIT_USAGE, "does not support kind", None),
        (InvalidIdError("activix", "lead", "an integer"), EXIT_USAGE, "must be an integer", None),
        (UnsupportedOperation("activix", "delete leads"), EXIT_USAGE, "cannot delete leads", None),
        (MappingError("activix", "contact", "phones[0]", "bad"), EXIT_FAILED, "phones[0]", None),
        (CrmBridgeError("something"), EXIT_FAILED, "something", None),
        (
            sqlalchemy.exc.OperationalError("SELECT", {}, Exception("disk I/O error")),
            EXIT_UNREACHABLE,
            "disk I/O",
            "--state",
        ),
        (OSError("No space left on device"), EXIT_USAGE, "No space left", None),
        (RuntimeError("oops"), EXIT_FAILED, "unexpected error: RuntimeError: oops", "--debug"),
        (KeyboardInterrupt(), EXIT_INTERRUPTED, "interrupted", "resume"),
        (UserError("bad --kinds", "give contact", code=EXIT_USAGE), EXIT_USAGE, "bad --kinds", "give contact"),
    ],
)
def test_every_error_kind_is_explained(error: BaseException, code: int, said: str, hint: str | None) -> None:
    """Each error a command can meet maps to its documented exit code, a message and (where useful) a hint."""
    meta = {"flags": {"activix": ("--to-token", "--to-url")}, "resume_hint": "run it again to resume"}
    got_code, message, got_hint = explain(error, meta)
    assert got_code == code
    assert said in message
    if hint is None:
        assert got_hint is None
    else:
        assert got_hint is not None
        assert hint in got_hint


def test_connection_options_are_typed_strictly() -> None:
    """Numbers, null, booleans and JSON are parsed; anything else meant as JSON or a number is refused."""
    typed = connection_options(
        ["timeout=2.5", "rate_limit=null", "verify=false", 'retry={"attempts": 2}', "page_size=50", "brand=abc"], "-o"
    )
    assert typed == {
        "timeout": 2.5,
        "rate_limit": None,
        "verify": False,
        "retry": RetryPolicy(attempts=2),
        "page_size": 50,
        "brand": "abc",
    }
    for bad, said in [
        ("timeout=0", "must be more than 0"),
        ("verify=maybe", "true or false"),
        ("retry=[1]", "JSON object"),
        ('retry={"tries": 2}', "unknown key 'tries'"),
        ('retry={"attempts": "x"}', "attempts must be a number"),
        ("token=secret", "cannot give the token"),
        ('lookups=["x"', "not valid JSON"),
    ]:
        with pytest.raises(UserError) as caught:
            connection_options([bad], "-o")
        assert said in caught.value.message


def test_state_and_file_checks(tmp_path: Path) -> None:
    """An unsupported state URL, an empty --kinds and an unwritable --report are usage errors."""
    with pytest.raises(UserError, match="unsupported URL scheme"):
        open_state("mysql://x@127.0.0.1/db")
    with pytest.raises(UserError, match="empty"):
        split_kinds(" , ")
    assert split_kinds(None) is None
    store = open_state(str(tmp_path / "fresh.db"))
    store.close()
    assert (tmp_path / "fresh.db").exists()
    check_writable(tmp_path / "fresh.db", "--report")  # an existing writable file is fine


@pytest.mark.parametrize("crm", ["estateprime", "activix", "rechat"])
def test_banner_names_what_to_use(crm: str) -> None:
    """The banner gives the URL with the API's own path, the token, and Rechat's brand and owner."""
    sandbox = make_sandbox(crm)
    lines = banner(sandbox, "http://127.0.0.1:9")
    text = "\n".join(lines)
    suffix = "/v2" if crm == "activix" else ""
    assert f"CRMBRIDGE_{crm.upper()}_BASE_URL=http://127.0.0.1:9{suffix} " in text
    assert f"CRMBRIDGE_{crm.upper()}_TOKEN={sandbox.token}" in text
    if crm == "rechat":
        assert f"--to-option brand={sandbox.brand}" in text  # type: ignore[attr-defined]
        assert f"default_owner={sandbox.user(sandbox.token).id}" in text  # type: ignore[attr-defined]
    if crm == "estateprime":
        assert "--option timezone=UTC" in text


def test_bind_refuses_a_public_host_and_a_busy_port() -> None:
    """Only loopback is served; a port in use is a usage error naming it; a free one is bound."""
    with pytest.raises(UserError, match="loopback only"):
        _bind("0.0.0.0", 0)
    sock = _bind("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        with pytest.raises(UserError, match=f"cannot listen on 127.0.0.1:{port}"):
            _bind("127.0.0.1", port)
    finally:
        sock.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # released on close
