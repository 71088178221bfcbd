"""Webhooks: each change of a feed POSTed as a CloudEvents 1.0 JSON body, signed per Standard Webhooks.

A run appends the CRM's changes to the feed's log in the state store (:func:`feed_to_log`), then
delivers the log's undelivered changes in seq order, one request each:

- the body is a structured-mode CloudEvent (``application/cloudevents+json``): ``id`` the change's
  envelope id (the same on every retry and replay: receivers dedupe on it), ``type``
  ``crmbridge.<kind>.upserted`` / ``.deleted``, ``source`` ``/crmbridge/<crm>/<account>``,
  ``subject`` the ref, ``time`` when the feed saw the change, ``data`` the canonical record (none
  for a deletion) and the extension ``crmbridgeseq``, the feed seq;
- the headers ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` sign
  ``id.timestamp.body`` with the shared secret (signed again for each attempt, so a retry carries
  a fresh timestamp);
- a 5xx, 408, 425 or 429 answer, a timeout or a failed connection is retried with exponential
  backoff (stamina), a ``Retry-After`` waited for; any other answer but 2xx is not retried;
- a change still undelivered after the last attempt goes to the dead letters (state store table
  ``feed_dead_letters``) and delivery goes on with the next. Changes are in order per record: a
  later change of a record with a dead letter is held as a dead letter too, until a replay;
- a change is marked delivered only after its 2xx: a crash in between sends it again
  (at-least-once). :func:`replay_webhooks` sends every logged change from a seq on again, dead
  letters included, and clears the dead letters it delivers.

The secret is never logged, printed or stored; failure reasons name the HTTP status or the
transport error only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import stamina
from standardwebhooks import Webhook

from crmbridge._connection import Connection
from crmbridge.http import RETRYABLE_STATUSES, parse_retry_after
from crmbridge.sync._feed import FeedReport, feed_to_log
from crmbridge.sync._state import LogEntry, StateStore

__all__ = [
    "DeliveryFailed",
    "WebhookReport",
    "WebhookSender",
    "cloudevent",
    "feed_webhooks",
    "replay_webhooks",
    "webhook_source",
]

WEBHOOK_FEED_PREFIX = "webhook:"


class DeliveryFailed(Exception):
    """A change could not be delivered: ``attempts`` tries, the last failing for ``reason``."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class _Refused(Exception):
    """An answer not worth another try (a 4xx but 408, 425 and 429, a 3xx)."""


class _Retryable(Exception):
    """An answer worth another try (5xx, 408, 425, 429), with the receiver's Retry-After."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"webhook receiver answered HTTP {status}")
        self.retry_after = retry_after


@dataclass
class WebhookReport:
    """What a webhook run read from the CRM (``feed``) and delivered."""

    feed: FeedReport | None = None
    delivered: int = 0
    dead: list[int] = field(default_factory=list)


def webhook_source(system: str, account: str | None = None) -> str:
    """The CloudEvents ``source`` of a CRM account: ``/crmbridge/<crm>/<account>``."""
    return f"/crmbridge/{system}/{account or 'default'}"


def cloudevent(entry: dict[str, Any], source: str) -> dict[str, Any]:
    """The structured-mode CloudEvent 1.0 of one feed line."""
    event: dict[str, Any] = {
        "specversion": "1.0",
        "id": entry["id"],
        "source": source,
        "type": entry["type"],
        "subject": entry["subject"],
        "time": entry["observed_at"],
        "crmbridgeseq": entry["seq"],
    }
    if entry["record"] is not None:
        event["datacontenttype"] = "application/json"
        event["data"] = entry["record"]
    return event


class WebhookSender:
    """POSTs signed CloudEvents to one URL, retrying what is worth retrying."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        attempts: int = 8,
        timeout: float = 10.0,
        wait_initial: float = 0.5,
        wait_max: float = 60.0,
        max_retry_after: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        try:
            self._webhook = Webhook(secret)
        except Exception:  # the secret's own text is in no message
            raise ValueError("the webhook secret is not a Standard Webhooks secret (whsec_ + base64)") from None
        self.url = url
        self.attempts = attempts
        self.wait_initial = wait_initial
        self.wait_max = wait_max
        self.max_retry_after = max_retry_after
        self._client = httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"WebhookSender(attempts={self.attempts})"  # neither the secret nor the URL (it may hold a token)

    def _decide(self, error: Exception) -> bool | float:
        """stamina's backoff hook: retry transport failures and retryable statuses, waiting what Retry-After asks."""
        if isinstance(error, _Retryable):
            if error.retry_after is None:
                return True
            return error.retry_after if error.retry_after <= self.max_retry_after else False
        return isinstance(error, httpx.TransportError)

    def send(self, event_id: str, body: str) -> int:
        """Deliver one event; the attempts it took. :class:`DeliveryFailed` when every attempt failed."""
        tries = 0
        try:
            for attempt in stamina.retry_context(
                on=self._decide,
                attempts=self.attempts,
                timeout=None,
                wait_initial=self.wait_initial,
                wait_max=self.wait_max,
            ):
                with attempt:
                    tries += 1
                    self._post(event_id, body)
        except (_Retryable, _Refused) as error:
            raise DeliveryFailed(str(error), tries) from None
        except httpx.TransportError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}", tries) from None
        return tries

    def _post(self, event_id: str, body: str) -> None:
        now = datetime.fromtimestamp(math.floor(datetime.now(UTC).timestamp()), UTC)
        headers = {
            "content-type": "application/cloudevents+json",
            "webhook-id": event_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(event_id, now, body),
        }
        response = self._client.post(self.url, content=body.encode(), headers=headers)
        if response.status_code in RETRYABLE_STATUSES or response.status_code >= 500:
            raise _Retryable(response.status_code, parse_retry_after(response.headers.get("retry-after")))
        if not response.is_success:
            raise _Refused(f"webhook receiver answered HTTP {response.status_code}")

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def _deliver(store: StateStore, feed: str, sender: WebhookSender, *, from_seq: int | None) -> WebhookReport:
    """Send the log's undelivered changes (or, with ``from_seq``, all from there), in seq order."""
    report = WebhookReport()
    source = feed.removeprefix(WEBHOOK_FEED_PREFIX)
    start = math.inf if from_seq is None else from_seq
    # A record whose earlier change is a dead letter gets no later change before that one.
    held = {dead.ref: dead.seq for dead in store.dead_letters(feed) if dead.seq < start}
    after = 0 if from_seq is None else from_seq - 1
    while entries := store.log_read(feed, after=after, unsettled=from_seq is None):
        for entry in entries:
            _deliver_one(store, feed, sender, entry, source, held, report)
        after = entries[-1].seq
    return report


def _deliver_one(
    store: StateStore,
    feed: str,
    sender: WebhookSender,
    entry: LogEntry,
    source: str,
    held: dict[str, int],
    report: WebhookReport,
) -> None:
    if entry.ref in held:
        reason = f"held behind the dead letter of seq {held[entry.ref]} (same record)"
        store.dead_letter(feed, entry.seq, entry.ref, 0, reason)
        report.dead.append(entry.seq)
        return
    line = json.loads(entry.entry)
    body = json.dumps(cloudevent(line, source), separators=(",", ":"))
    try:
        sender.send(line["id"], body)
    except DeliveryFailed as failure:
        store.dead_letter(feed, entry.seq, entry.ref, failure.attempts, failure.reason)
        held[entry.ref] = entry.seq
        report.dead.append(entry.seq)
        return
    store.log_delivered(feed, entry.seq)
    report.delivered += 1


@contextmanager
def _opened(state: StateStore | str | Path) -> Iterator[StateStore]:
    store = state if isinstance(state, StateStore) else StateStore(state)
    try:
        yield store
    finally:
        if store is not state:
            store.close()


def feed_webhooks(
    connection: Connection,
    sender: WebhookSender,
    *,
    state: StateStore | str | Path = "crmbridge-feed.db",
    kinds: list[str] | None = None,
    account: str | None = None,
    full_scan: bool = False,
) -> WebhookReport:
    """Log the CRM's changes since the last run and deliver every undelivered change through ``sender``.

    The feed is named ``webhook:`` + its CloudEvents source (:func:`webhook_source`), so each
    CRM account has its own seqs, log and dead letters in ``state`` (a store, a SQLite file or a
    ``postgresql://`` URL).
    """
    name = WEBHOOK_FEED_PREFIX + webhook_source(connection.system, account)
    with _opened(state) as store:
        logged = feed_to_log(connection, state=store, kinds=kinds, name=name, full_scan=full_scan)
        report = _deliver(store, name, sender, from_seq=None)
    report.feed = logged
    return report


def replay_webhooks(state: StateStore | str | Path, sender: WebhookSender, *, from_seq: int) -> WebhookReport:
    """Send every logged change from ``from_seq`` on again, in seq order, for each webhook feed in ``state``."""
    total = WebhookReport()
    with _opened(state) as store:
        for feed in store.log_feeds(WEBHOOK_FEED_PREFIX):
            report = _deliver(store, feed, sender, from_seq=from_seq)
            total.delivered += report.delivered
            total.dead.extend(report.dead)
    return total
