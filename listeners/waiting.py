"""A reply that says, while the request waits for its turn at AWS, where it is in line, and is then replaced by
the result (through the interaction's response_url, so in place)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bolt_app.aws.budget import waiting_notice
from bolt_app.blocks.waiting import POSTED, waiting_text

# A response_url takes 5 posts within 30 minutes (Slack): at most 3 about the line, so the answer always fits.
MAX_PLACE_POSTS = 3


class WaitingReply:
    """Called by the AWS budget with the request's place in line; `answer` replaces what it said."""

    def __init__(self, respond: AsyncRespond, what: str) -> None:
        self._respond = respond
        self._what = what
        self._lock = asyncio.Lock()  # a late place-in-line must never overwrite the answer
        self._shown = False
        self._answered = False
        self._posts = 0

    async def __call__(self, place: int) -> None:
        async with self._lock:
            if self._answered or self._posts >= MAX_PLACE_POSTS:
                return
            self._posts += 1
            await self._respond(
                text=waiting_text(self._what, place),
                response_type="ephemeral",
                replace_original=self._shown,
            )
            self._shown = True

    async def answer(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        async with self._lock:
            self._answered = True
            await self._respond(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=self._shown
            )

    @property
    def shown(self) -> bool:
        return self._shown


@asynccontextmanager
async def waiting_in_line(respond: AsyncRespond, what: str) -> AsyncIterator[WaitingReply]:
    """AWS calls made inside tell the user their place in line when they have to wait."""
    reply = WaitingReply(respond, what)
    with waiting_notice(reply):
        yield reply


class ToldOnce:
    """Where nothing can be replaced (a modal that closed: an ephemeral in the channel), the user is told once
    that their request waits, and that its outcome will be shown in the channel."""

    def __init__(self, show: Callable[[str], Awaitable[object]], what: str) -> None:
        self._show = show
        self._what = what
        self._told = False

    async def __call__(self, place: int) -> None:
        if not self._told:
            self._told = True
            await self._show(waiting_text(self._what, place, POSTED))
