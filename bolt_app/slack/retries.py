"""Slack's retries of a request the app already has."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

# Slack resends a request it got no answer to within 3 seconds, with these headers. After a timeout the first
# delivery did reach the app, which acts on it; acting on the resend too would open a second case or answer twice.
# A resend for any other reason (the connection failed, the app answered with an error) is handled as usual.
RETRY_REASON = "x-slack-retry-reason"
TIMED_OUT = "http_timeout"


async def drop_retries_after_timeout(
    req: AsyncBoltRequest, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    """A Bolt middleware: a resend after a timeout gets an empty 200 and runs no listener."""
    if req.headers.get(RETRY_REASON, [None])[0] == TIMED_OUT:
        return BoltResponse(status=200, body="")
    return await next()
