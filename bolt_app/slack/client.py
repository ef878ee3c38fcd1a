"""The one Web API client (and HTTP session) every Slack call of the process goes through."""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncServerErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient


def new_http_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30, connect=5),
        connector=aiohttp.TCPConnector(limit=100, ttl_dns_cache=300),
    )


def build_web_client(
    base_url: str, session: aiohttp.ClientSession, token: str | None = None
) -> AsyncWebClient:
    """Bolt copies this client's session, base URL and retry handlers into each request's `client`."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),  # sleeps Retry-After (+ jitter) first
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )
