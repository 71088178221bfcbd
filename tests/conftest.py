"""Test-wide settings: hypothesis profiles that never depend on machine speed."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

import stamina  # noqa: E402

# Retries run for real in tests (attempt counts are asserted), but never sleep.
stamina.set_testing(True, attempts=10, cap=True)
# stamina logs through structlog when that is installed (dagster brings it in), to stdout;
# the tests read retries from the standard logging records, whatever else is installed.
stamina.instrumentation.set_on_retry_hooks([stamina.instrumentation.LoggingOnRetryHook])

import re  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import AbstractContextManager, contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
import vcr  # noqa: E402

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
RECORDING = os.environ.get("CRMBRIDGE_RECORD") == "1"
"""Set CRMBRIDGE_RECORD=1 to re-record the cassettes from the sandboxes over loopback."""

from crmbridge.http import SENSITIVE_QUERY_KEYS  # noqa: E402

_SECRET_QUERY = re.compile(rf"(?i)([?&](?:{'|'.join(sorted(map(re.escape, SENSITIVE_QUERY_KEYS)))}))=[^&#]*")
"""A query parameter the HTTP core redacts from error messages (token, api_key, password, ...)."""


def _scrub_request(request: Any) -> Any:
    # Credentials never reach a cassette: the Authorization header goes (filter_headers), and so
    # does anything token-like in the query string.
    request.uri = _SECRET_QUERY.sub(r"\1=SCRUBBED", request.uri)
    return request


RECORDER = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORDING else "none",
    match_on=["method", "path", "query", "body"],
    filter_headers=["authorization", "x-api-key", "cookie", "set-cookie"],
    before_record_request=_scrub_request,
    decode_compressed_response=True,
)


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Any:
    """``with cassette(): ...`` replays (or, when recording, records) ``cassettes/<module>.yaml``."""

    def open_cassette() -> AbstractContextManager[Any]:
        return RECORDER.use_cassette(f"{request.module.__name__.rpartition('.')[2]}.yaml")

    return open_cassette


@contextmanager
def _recording_server(sandbox: Any) -> Iterator[str]:
    if not RECORDING:
        yield "http://127.0.0.1:8999"  # replay: nothing listens; the cassette answers
        return
    from crmbridge.sandbox import serve_in_thread

    with serve_in_thread(sandbox) as url:
        yield url


@pytest.fixture
def recording_server() -> Any:
    """``with recording_server(sandbox) as base_url``: a loopback server when recording, else a placeholder."""
    return _recording_server
