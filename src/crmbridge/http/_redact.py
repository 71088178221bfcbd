"""Keeping credentials out of URLs, reprs, error messages and log records.

A server may quote the token it was sent, and not always as sent: percent-encoded in a redirect
target, base64-encoded, JSON-escaped, or cut short by whoever truncated the message.
:func:`scrub_secret` removes every one of those spellings, and any piece of at least
:data:`MIN_PIECE` characters of them, from a text; callers scrub *before* they truncate, so a cut
never leaves a piece behind. :class:`SecretFilter` does the same to the log records of the
libraries the clients use (httpcore logs response headers at DEBUG).
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
import threading
import weakref
from collections import Counter, deque
from typing import Any, Final
from urllib.parse import quote, quote_plus

import httpx

__all__ = [
    "MIN_PIECE",
    "SCRUBBED_LOGGERS",
    "SENSITIVE_QUERY_KEYS",
    "SecretFilter",
    "live_secrets",
    "redact_url",
    "register_secret",
    "scrub_secret",
    "scrub_secrets",
    "spellings",
]

SENSITIVE_QUERY_KEYS = frozenset(
    {"token", "access_token", "api_key", "apikey", "key", "secret", "password", "signature"}
)
MIN_PIECE: Final = 8
"""Secrets shorter than this are not scrubbed (every message holding them would be mangled), and
pieces of a secret this long or longer are scrubbed like the whole."""
MASK: Final = "***"
SCRUBBED_LOGGERS: Final = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "stamina",
    "crmbridge",
)
"""The loggers the clients' requests reach; a logger's filter sees only what is logged to it directly."""


def redact_url(url: httpx.URL | str) -> str:
    """``url`` without user info and with the values of credential-like query parameters hidden."""
    parsed = httpx.URL(url)
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if any(key.lower() in SENSITIVE_QUERY_KEYS for key in parsed.params):
        params = [(k, "***" if k.lower() in SENSITIVE_QUERY_KEYS else v) for k, v in parsed.params.multi_items()]
        parsed = parsed.copy_with(params=params)
    return str(parsed)


def _percent_variants(text: str) -> set[str]:
    encoded = {quote(text, safe=""), quote(text, safe="/"), quote_plus(text, safe="")}
    # %2f and %2F are the same byte: servers and URL libraries write either case.
    return encoded | {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), value) for value in encoded}


def _base64_variants(text: str) -> set[str]:
    raw = text.encode("utf-8")
    variants = set()
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        value = encoded.decode("ascii")
        variants |= {value, value.rstrip("=")}
    return variants


def spellings(secret: str) -> frozenset[str]:
    """``secret`` as sent and as a server may quote it: percent-encoded, base64, JSON-escaped."""
    escaped = json.dumps(secret)[1:-1]
    forms = {secret, escaped, json.dumps(secret, ensure_ascii=False)[1:-1], escaped.replace("/", "\\/")}
    forms |= {form.replace('\\"', '\\\\\\"') for form in forms}  # JSON escaped twice (a JSON string inside JSON)
    forms |= _percent_variants(secret) | _base64_variants(secret)
    return frozenset(form for form in forms if form)


@functools.lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    """Every spelling of ``secret`` and every piece of at least MIN_PIECE characters of one, longest first."""
    pieces = set()
    for form in spellings(secret):
        pieces.add(form)
        pieces.update(form[start : start + MIN_PIECE] for start in range(len(form) - MIN_PIECE + 1))
    ordered = sorted(pieces, key=lambda piece: (-len(piece), piece))
    return re.compile("|".join(re.escape(piece) for piece in ordered))


def scrub_secret(text: str, secret: str) -> str:
    """``text`` with every spelling of ``secret`` (and every piece of 8+ characters of one) masked."""
    if len(secret) < MIN_PIECE:
        return text
    return _pattern(secret).sub(MASK, text)


def scrub_secrets(value: Any, secret: str) -> Any:
    """``value`` (parsed JSON: dicts, lists, strings) with :func:`scrub_secret` applied to every string."""
    if isinstance(value, str):
        return scrub_secret(value, secret)
    if isinstance(value, dict):
        return {scrub_secrets(key, secret): scrub_secrets(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_secrets(item, secret) for item in value]
    return value


_lock = threading.Lock()
_secrets: Counter[str] = Counter()
_released: deque[str] = deque()
"""Secrets whose owner is gone, counted down at the next use: a finalizer may run during garbage
collection while this very thread holds the lock, so it must not take the lock itself."""


def register_secret(owner: object, secret: str) -> None:
    """Have :class:`SecretFilter` scrub ``secret`` from log records for as long as ``owner`` lives."""
    if len(secret) < MIN_PIECE:
        return
    with _lock:
        _secrets[secret] += 1
    weakref.finalize(owner, _released.append, secret)
    _install_filter()


def live_secrets() -> list[str]:
    """The secrets of the owners still alive."""
    with _lock:
        while _released:
            secret = _released.popleft()
            _secrets[secret] -= 1
            if _secrets[secret] <= 0:
                del _secrets[secret]
        return list(_secrets)


class SecretFilter(logging.Filter):
    """Masks the registered secrets, in every spelling, in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = live_secrets()
        if not secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not format: logging itself reports that
            return True
        scrubbed = message
        for secret in secrets:
            scrubbed = scrub_secret(scrubbed, secret)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_FILTER: Final = SecretFilter()


def _install_filter() -> None:
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
