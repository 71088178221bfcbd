"""Keeping credentials out of URLs, reprs and error messages."""

from __future__ import annotations

import httpx

__all__ = ["SENSITIVE_QUERY_KEYS", "redact_url"]

SENSITIVE_QUERY_KEYS = frozenset(
    {"token", "access_token", "api_key", "apikey", "key", "secret", "password", "signature"}
)


def redact_url(url: httpx.URL | str) -> str:
    """``url`` without user info and with the values of credential-like query parameters hidden."""
    parsed = httpx.URL(url)
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if any(key.lower() in SENSITIVE_QUERY_KEYS for key in parsed.params):
        params = [(k, "***" if k.lower() in SENSITIVE_QUERY_KEYS else v) for k, v in parsed.params.multi_items()]
        parsed = parsed.copy_with(params=params)
    return str(parsed)
