"""Webhooks: signed CloudEvents to a receiver on 127.0.0.1, checked with independent implementations.

The receiver verifies every signature with the ``standardwebhooks`` package and parses every
body with the CloudEvents SDK; neither shares code with crmbridge's sender.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook
from typer.testing import CliRunner

import crmbridge
from crmbridge.cli import app
from crmbridge.sandbox import Sandbox, make_sandbox, serve_in_thread
from crmbridge.sync import StateStore, WebhookSender, feed_webhooks, replay_webhooks
from crmbridge.sync import _webhooks as webhooks_module

SECRET = "whsec_" + base64.b64encode(b"crmbridge-test-secret-0123456789").decode()


@dataclass
class Receiver:
    """What the receiver saw: verified, parsed events in arrival order, and the failures it answered."""

    url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0
    drops: int = 0
    bad_signatures: int = 0


@contextmanager
def receiver(*, fail_rate: float = 0.0, down_for: int = 0, seed: int = 11) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1: fails ``fail_rate`` of requests (503), drops the first ``down_for`` connections."""
    seen = Receiver()
    chance = random.Random(seed)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            with lock:
                if seen.drops < down_for:  # down: the connection closes with no answer
                    seen.drops += 1
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                failing = chance.random() < fail_rate
                if failing:
                    seen.failures += 1
            if failing:
                self.send_response(503)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                Webhook(SECRET).verify(body, headers)
            except Exception:
                with lock:
                    seen.bad_signatures += 1
                self.send_response(401)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            event = from_http_event(HTTPMessage(headers={"content-type": headers["content-type"]}, body=body))
            parsed = {
                "id": event.get_id(),
                "type": event.get_type(),
                "source": event.get_source(),
                "subject": event.get_subject(),
                "seq": event.get_extension("crmbridgeseq"),
                "data": event.get_data(),
                "webhook_id": headers["webhook-id"],
            }
            with lock:
                seen.events.append(parsed)
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


def estateprime(records: int) -> Sandbox:
    return make_sandbox("estateprime", seed_records=records, seed=5)


def logged(state: StateStore) -> list[dict[str, Any]]:
    """Every change in the webhook feeds' logs, as feed lines."""
    return [
        json.loads(entry.entry) for feed in state.log_feeds("webhook:") for entry in state.log_read(feed, limit=10_000)
    ]


def assert_all_arrived_in_order(seen: Receiver, changes: list[dict[str, Any]]) -> None:
    """Every change arrived at least once; per record, the first arrivals follow the feed order."""
    first: dict[str, int] = {}
    for event in seen.events:
        first.setdefault(event["id"], len(first))
    assert set(first) == {change["id"] for change in changes}, "a change was lost"
    by_ref: dict[str, list[int]] = {}
    seq_of = {change["id"]: change["seq"] for change in changes}
    for event_id in sorted(first, key=first.__getitem__):
        by_ref.setdefault(next(c["ref"] for c in changes if c["id"] == event_id), []).append(seq_of[event_id])
    for ref, seqs in by_ref.items():
        assert seqs == sorted(seqs), ref
    assert seen.bad_signatures == 0


def edit_and_delete(sandbox: Sandbox, crm: crmbridge.Connection) -> None:
    for ident in ("1", "2"):
        document = sandbox.store.get("contacts", ident)
        assert document is not None
        sandbox.store.put("contacts", ident, {**document, "notes": "edited", "date_updated": "2031-01-01 00:00:00"})
    crm.delete(crmbridge.Ref("estateprime", "event", "1"))


def test_each_change_arrives_as_a_signed_cloudevent(tmp_path: Path) -> None:
    """Each change is one verified CloudEvent: id, type, source, subject and data as the feed line says."""
    sandbox = estateprime(3)
    state = StateStore(tmp_path / "s.db")
    with (
        receiver() as seen,
        WebhookSender(seen.url, SECRET) as sender,
        crmbridge.connect("estateprime", **sandbox.client_options()) as crm,
    ):
        report = feed_webhooks(crm, sender, state=state, kinds=["contact", "event"], account="acme")
        edit_and_delete(sandbox, crm)
        again = feed_webhooks(crm, sender, state=state, kinds=["contact", "event"], account="acme")
        records = {str(r.ref): r.model_dump(mode="json") for r in crm.list("contact")}
    changes = logged(state)
    assert report.delivered == len(changes) - again.delivered
    assert (again.delivered, again.dead) == (3, [])  # two edits and a deletion
    assert [event["id"] for event in seen.events] == [change["id"] for change in changes]
    for event, change in zip(seen.events, changes, strict=True):
        assert event["webhook_id"] == event["id"]
        assert (event["type"], event["subject"], event["seq"]) == (change["type"], change["ref"], change["seq"])
        assert event["source"] == "/crmbridge/estateprime/acme"
        assert event["data"] == change["record"]
    last = {event["subject"]: event for event in seen.events}
    for ref, record in records.items():
        assert last[ref]["data"] == record
    assert last["estateprime:event:1"]["type"] == "crmbridge.event.deleted"
    assert last["estateprime:event:1"]["data"] is None
    state.close()


def test_a_receiver_failing_30_percent_gets_every_change(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With 30 % of deliveries failing, retries bring every change, in order per record, none lost, no secret logged."""
    caplog.set_level(logging.DEBUG)
    sandbox = estateprime(12)
    path = tmp_path / "s.db"  # a file path: each call opens and closes its store
    with (
        receiver(fail_rate=0.3) as seen,
        WebhookSender(seen.url, SECRET, attempts=8) as sender,
        crmbridge.connect("estateprime", **sandbox.client_options()) as crm,
    ):
        first = feed_webhooks(crm, sender, state=path)
        edit_and_delete(sandbox, crm)
        second = feed_webhooks(crm, sender, state=path)
    assert seen.failures > 5  # the faults really happened
    assert "retry" in caplog.text.lower()  # stamina logged the retries...
    assert SECRET.removeprefix("whsec_") not in caplog.text  # ...and nothing logged the secret
    assert first.dead == second.dead == []
    state = StateStore(path)
    assert state.dead_letters() == []
    assert_all_arrived_in_order(seen, logged(state))
    state.close()


def test_a_receiver_down_for_a_while_gets_everything_after_a_replay(tmp_path: Path) -> None:
    """Changes that exhaust their attempts while the receiver is down become dead letters; a replay delivers them."""
    sandbox = estateprime(4)
    state = StateStore(tmp_path / "s.db")
    with (
        receiver(down_for=7) as seen,
        WebhookSender(seen.url, SECRET, attempts=3) as sender,
        crmbridge.connect("estateprime", **sandbox.client_options()) as crm,
    ):
        report = feed_webhooks(crm, sender, state=state, kinds=["contact"])
        dead = state.dead_letters()
        assert [d.seq for d in dead] == report.dead == [1, 2]  # 3 + 3 drops; the third change's 2nd try lands
        assert all(d.attempts == 3 and "RemoteProtocolError" in d.reason for d in dead)
        edit_and_delete(sandbox, crm)  # contacts 1 and 2 change again while their first change is dead
        held = feed_webhooks(crm, sender, state=state, kinds=["contact"])
        assert (held.delivered, held.dead) == (0, [5, 6])  # held behind the dead letters: order per record
        assert all("held behind" in d.reason for d in state.dead_letters() if d.seq > 4)
        replayed = replay_webhooks(state, sender, from_seq=1)
    assert replayed.dead == []
    assert state.dead_letters() == []
    assert_all_arrived_in_order(seen, logged(state))
    state.close()


def test_retry_after_is_honoured_and_refusals_are_not_retried(tmp_path: Path) -> None:
    """A 429's Retry-After is the wait; a 400 is a dead letter after one attempt; a timeout is retried."""
    sender = WebhookSender("http://127.0.0.1:9/", SECRET, max_retry_after=60)
    assert sender._decide(webhooks_module._Retryable(429, 7.0)) == 7.0
    assert sender._decide(webhooks_module._Retryable(429, 600.0)) is False
    assert sender._decide(webhooks_module._Retryable(503, None)) is True
    assert sender._decide(httpx.ReadTimeout("slow")) is True
    assert sender._decide(ValueError("bug")) is False
    sender.close()

    answers = iter([httpx.Response(429, headers={"retry-after": "0"}), httpx.Response(400)])
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 3:
            raise httpx.ReadTimeout("slow", request=request)
        return next(answers, httpx.Response(200))

    with WebhookSender("http://hooks.invalid/", SECRET, transport=httpx.MockTransport(handler)) as mocked:
        with pytest.raises(webhooks_module.DeliveryFailed) as refused:
            mocked.send("id-1", "{}")
        assert (refused.value.attempts, refused.value.reason) == (2, "webhook receiver answered HTTP 400")
        assert mocked.send("id-2", "{}") == 2  # a timeout, then a 200
    assert len(calls) == 4


def test_a_bad_secret_is_refused_without_echoing_it() -> None:
    """A secret that is not whsec_ + base64 is a ValueError whose text holds no part of it."""
    with pytest.raises(ValueError, match="Standard Webhooks secret") as error:
        WebhookSender("http://127.0.0.1:9/", "whsec_s3cr3")
    assert "s3cr3" not in str(error.value)
    with pytest.raises(ValueError, match="Standard Webhooks secret"):
        WebhookSender("http://127.0.0.1:9/", "whsec_")
    assert SECRET not in repr(WebhookSender("http://127.0.0.1:9/?token=abc", SECRET))


def test_cli_delivers_replays_and_keeps_the_secret_out_of_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`feed --webhook` delivers, a down receiver leaves dead letters (exit 1), `feed replay` sends them."""
    runner = CliRunner()
    sandbox = estateprime(3)
    state = tmp_path / "s.db"
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with serve_in_thread(sandbox) as base_url, receiver(down_for=9) as seen:  # > the 8 attempts of the first change
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_TOKEN", sandbox.token)
        monkeypatch.setenv("CRMBRIDGE_ESTATEPRIME_BASE_URL", base_url)
        common = ["--webhook", seen.url, "--secret-env", "HOOK_SECRET", "--state", str(state)]
        fed = runner.invoke(app, ["feed", "estateprime", "--kinds", "contact", *common])
        assert fed.exit_code == 1, fed.output  # the receiver was down: dead letters
        assert "dead letters 1" in fed.output
        replayed = runner.invoke(app, ["feed", "replay", "--from-seq", "1", *common])
        assert replayed.exit_code == 0, replayed.output
        no_secret = runner.invoke(app, ["feed", "estateprime", "--webhook", seen.url, "--state", str(state)])
        unset = runner.invoke(app, ["feed", "replay", "--from-seq", "1", "--webhook", seen.url, "--secret-env", "NOPE"])
        no_seq = runner.invoke(app, ["feed", "replay", *common])
        monkeypatch.setenv("BAD_SECRET", "whsec_s3cr3")
        bad = runner.invoke(
            app, ["feed", "replay", "--from-seq", "1", "--webhook", seen.url, "--secret-env", "BAD_SECRET"]
        )
    store = StateStore(state)
    assert store.dead_letters() == []
    store.close()
    assert {event["subject"] for event in seen.events} == {f"estateprime:contact:{i}" for i in (1, 2, 3)}
    assert {event["source"] for event in seen.events} == {"/crmbridge/estateprime/127.0.0.1"}
    assert (no_secret.exit_code, unset.exit_code, no_seq.exit_code, bad.exit_code) == (2, 2, 2, 2)
    assert "s3cr3" not in bad.output
    for result in (fed, replayed, no_secret, unset, no_seq, bad):
        assert SECRET not in result.output
        assert SECRET.removeprefix("whsec_") not in result.output


def test_urls_in_messages_lose_their_credentials() -> None:
    """Destinations and receivers are named without user info, query or fragment; a bad URL is named as such."""
    from crmbridge._feed_targets import _redacted

    assert _redacted("postgresql://me:pw@db:5432/crm?sslkey=k#x") == "postgresql://db:5432/crm"
    assert _redacted("https://hooks.example/in?token=abc") == "https://hooks.example/in"
    assert _redacted("postgresql://db:port/crm") == "<invalid URL>"
