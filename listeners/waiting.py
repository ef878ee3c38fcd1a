"""What a user sees while their request waits for its turn at AWS: where it is in line, updated in place, then
replaced by the result. Through the interaction's response_url (`WaitingReply`: a command's reply, a button's
ephemeral message), a modal (`WaitingView`: a submitted form's, or one opened at a click for it), or, where
nothing can be replaced, once in the channel (`ToldOnce`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from contextlib import asynccontextmanager
from contextlib import nullcontext
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.aws.budget import waiting_notice
from bolt_app.aws.notices import WaitingNotice
from bolt_app.blocks.common import View
from bolt_app.blocks.common import message_modal
from bolt_app.blocks.waiting import POSTED
from bolt_app.blocks.waiting import SHOWN_BELOW
from bolt_app.blocks.waiting import waiting_text
from bolt_app.errors import UserFacingError

# A response_url takes 5 posts within 30 minutes (Slack): at most 3 about the line, so the answer always fits.
MAX_PLACE_POSTS = 3


class WaitingReply:
    """Called by the AWS budget with the request's place in line; `answer` replaces what it said."""

    def __init__(self, respond: AsyncRespond, what: str, *, replaces_original: bool = False) -> None:
        """`replaces_original`: the first post replaces the message clicked (an ephemeral the result replaces
        anyway: a page of search results, of correspondence)."""
        self._respond = respond
        self._what = what
        self._lock = asyncio.Lock()  # a late place-in-line must never overwrite the answer
        self._replaces = replaces_original
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
                replace_original=self._shown or self._replaces,
            )
            self._shown = True

    async def answer(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        async with self._lock:
            self._answered = True
            await self._respond(
                text=text,
                blocks=blocks,
                response_type="ephemeral",
                replace_original=self._shown or self._replaces,
            )

    @property
    def shown(self) -> bool:
        return self._shown


@asynccontextmanager
async def waiting_in_line(
    respond: AsyncRespond, what: str, *, replaces_original: bool = False
) -> AsyncIterator[WaitingReply]:
    """AWS calls made inside tell the user their place in line when they have to wait."""
    reply = WaitingReply(respond, what, replaces_original=replaces_original)
    with waiting_notice(reply):
        yield reply


async def answered_in_line(
    respond: AsyncRespond,
    what: str,
    work: Callable[[], Awaitable[tuple[str, list[dict[str, Any]] | None]]],
    *,
    replaces_original: bool = False,
) -> None:
    """`work`'s (text, blocks) as the reply, in place of "AWS is busy…" when it waited; so is a UserFacingError's
    message then (without a wait, it is raised, and shown as the listener shows its errors)."""
    async with waiting_in_line(respond, what, replaces_original=replaces_original) as reply:
        try:
            text, blocks = await work()
        except UserFacingError as e:
            if not reply.shown:
                raise
            text, blocks = f":warning: {e.message}", None
    await reply.answer(text, blocks)


class WaitingView:
    """A modal that says where the request is in line (views.update by its id, Slack's limit for which is far
    above the budget's one update per 5 seconds), until `answer` shows the outcome in it."""

    def __init__(self, client: AsyncWebClient, view_id: str, title: str, what: str) -> None:
        self._client = client
        self.view_id = view_id
        self._title = title
        self._what = what
        self._lock = asyncio.Lock()
        self._answered = False

    def view(self, place: int) -> View:
        return message_modal(self._title, waiting_text(self._what, place, SHOWN_BELOW))

    async def __call__(self, place: int) -> None:
        async with self._lock:
            if not self._answered:
                await self._client.views_update(view_id=self.view_id, view=self.view(place))

    async def answer(self, text: str) -> None:
        await self.answer_with(message_modal(self._title, text))

    async def answer_with(self, view: View) -> None:
        async with self._lock:
            self._answered = True
            await self._client.views_update(view_id=self.view_id, view=view)


async def open_waiting_view(
    client: AsyncWebClient, trigger_id: str, title: str, what: str, place: int
) -> WaitingView:
    """A modal opened with a click's trigger (before any queue: it lives 3 seconds) to say where the request
    is in line, when its answer appears below a message and no message of the click may be replaced."""
    waiting = WaitingView(client, "", title, what)
    opened = await client.views_open(trigger_id=trigger_id, view=waiting.view(place))
    waiting.view_id = str(opened["view"]["id"])
    return waiting


async def shown_in_line(
    waiting: WaitingView | None,
    work: Callable[[], Awaitable[object]],
    done: str,
    *,
    otherwise: WaitingNotice | None = None,
) -> None:
    """`work` (which shows its result) done with `waiting`, when there is one, told its place in line; the modal
    then says `done`, or what a UserFacingError says. Without a modal, `otherwise` is told (if it must wait
    after all) and an error is raised as it is."""
    if waiting is None:
        with waiting_notice(otherwise) if otherwise is not None else nullcontext():
            await work()
        return
    with waiting_notice(waiting):
        try:
            await work()
        except UserFacingError as e:
            await waiting.answer(f":warning: {e.message}")
            return
    await waiting.answer(done)


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
