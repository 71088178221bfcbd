"""Cassettes never contain credentials: neither the committed ones nor any the recorder would write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
import yaml

from crmbridge.http import SENSITIVE_QUERY_KEYS, SyncAPIClient
from crmbridge.sandbox import DEFAULT_TOKEN
from crmbridge.sandbox.rechat._users import default_users

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
FORBIDDEN = ("authorization", "bearer ", DEFAULT_TOKEN.lower())
SANDBOX_TOKENS = sorted({DEFAULT_TOKEN, *(user.token for user in default_users(DEFAULT_TOKEN, 0, None))})
"""Every token the recorded sandboxes accept (Rechat's other users derive theirs from the main one)."""
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie", "set-cookie"})
SECRET = "tok-SECRET-cassette-9f3a"


def cassette_files() -> list[Path]:
    return sorted(CASSETTES.glob("**/*.yaml"))


def test_there_are_cassettes() -> None:
    """The checks below have something to check: the three recorded sessions."""
    assert [p.name for p in cassette_files()] == [
        "test_activix_recorded.yaml",
        "test_estateprime_recorded.yaml",
        "test_rechat_recorded.yaml",
    ]


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.name)
def test_cassette_holds_no_token(path: Path) -> None:
    """No cassette holds an Authorization header, a bearer token or the sandbox token."""
    text = path.read_text(encoding="utf-8").lower()
    for needle in FORBIDDEN:
        assert needle not in text, f"{path.name} contains {needle!r}"


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: p.name)
def test_cassette_requests_carry_no_credentials(path: Path) -> None:
    """No recorded exchange has a credential header, URL user info, an unscrubbed secret query or a sandbox token."""
    text = path.read_text(encoding="utf-8")
    assert [token for token in SANDBOX_TOKENS if token in text] == []
    interactions = yaml.safe_load(text)["interactions"]
    assert interactions
    for interaction in interactions:
        request, response = interaction["request"], interaction["response"]
        headers = {name.lower() for name in [*request["headers"], *response["headers"]]}
        assert headers & CREDENTIAL_HEADERS == set()
        url = httpx.URL(request["uri"])
        assert url.userinfo == b""
        assert all(
            value == "SCRUBBED" for key, value in url.params.multi_items() if key.lower() in SENSITIVE_QUERY_KEYS
        )


def _recorder(config: pytest.Config) -> vcr.VCR:
    """The VCR that tests/conftest.py records cassettes with."""
    for plugin in config.pluginmanager.get_plugins():
        found = getattr(plugin, "RECORDER", None)
        if isinstance(found, vcr.VCR):
            return found
    raise LookupError("tests/conftest.py defines no RECORDER")


def test_the_recorder_scrubs_credentials(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Recording a request with a bearer token and secret-looking query values writes none of them."""
    sent: list[httpx.Request] = []

    def handler(exchange: httpx.Request) -> httpx.Response:
        sent.append(exchange)
        return httpx.Response(200, json={"data": []})

    params: list[tuple[str, Any]] = [(key, SECRET) for key in sorted(SENSITIVE_QUERY_KEYS)]
    params += [("Access_Token", SECRET), ("page", 2)]
    cassette = tmp_path / "recorded.yaml"
    with _recorder(request.config).use_cassette(str(cassette), record_mode="all"):
        client = SyncAPIClient(base_url="https://crm.example/api", token=SECRET, transport=httpx.MockTransport(handler))
        assert client.request("GET", "contacts", params=params) == {"data": []}
        client.close()
    assert sent[0].headers["authorization"] == f"Bearer {SECRET}", "the request itself did carry the token"
    text = cassette.read_text(encoding="utf-8")
    assert SECRET not in text
    assert "authorization" not in text.lower()
    [interaction] = yaml.safe_load(text)["interactions"]
    recorded = httpx.URL(interaction["request"]["uri"])
    assert recorded.params.get("page") == "2"
    assert {value for key, value in recorded.params.multi_items() if key != "page"} == {"SCRUBBED"}
