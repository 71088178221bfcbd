"""The shared HTTP layer of the CRM clients: transport, retries, rate limit, paging, redaction."""

from crmbridge.http._client import IDEMPOTENT_METHODS, AsyncAPIClient, SyncAPIClient
from crmbridge.http._endpoint import NOT_GIVEN, Endpoint, PagedSpec, RequestSpec
from crmbridge.http._paging import (
    AsyncPager,
    ItemReader,
    Page,
    PagedList,
    PageReader,
    SyncPager,
    fetch_numbered_pages,
    listed_item,
)
from crmbridge.http._ratelimit import RateLimiter, SharedRateLimit
from crmbridge.http._redact import SENSITIVE_QUERY_KEYS, redact_url
from crmbridge.http._retry import RETRYABLE_STATUSES, RetryPolicy, is_connect_failure, parse_retry_after

__all__ = [
    "IDEMPOTENT_METHODS",
    "NOT_GIVEN",
    "RETRYABLE_STATUSES",
    "SENSITIVE_QUERY_KEYS",
    "AsyncAPIClient",
    "AsyncPager",
    "Endpoint",
    "ItemReader",
    "Page",
    "PageReader",
    "PagedList",
    "PagedSpec",
    "RateLimiter",
    "SharedRateLimit",
    "RequestSpec",
    "RetryPolicy",
    "SyncAPIClient",
    "SyncPager",
    "fetch_numbered_pages",
    "is_connect_failure",
    "listed_item",
    "parse_retry_after",
    "redact_url",
]
