"""The "AWS is busy" reply on its own: its posts through one response_url, which Slack caps at 5."""

from __future__ import annotations

import asyncio
from typing import Any

from listeners.waiting import MAX_PLACE_POSTS
from listeners.waiting import WaitingReply


class Respond:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []

    async def __call__(self, **kwargs: Any) -> None:
        self.posts.append(kwargs)


async def test_places_are_posted_then_replaced_by_the_answer_within_slacks_five_posts() -> None:
    respond = Respond()
    reply = WaitingReply(respond, "your search")  # type: ignore[arg-type]
    for place in (9, 7, 5, 3, 1):
        await reply(place)
    await reply.answer("Search results", [{"type": "section"}])
    await reply(1)  # a late notice never covers the answer
    texts = [p["text"] for p in respond.posts]
    assert len(respond.posts) == MAX_PLACE_POSTS + 1 <= 5
    assert texts[0] == (
        "AWS is busy: your search is 9th in line for AWS's rate limit for this account. "
        "The result replaces this message."
    )
    assert [p["replace_original"] for p in respond.posts] == [False, True, True, True]
    assert texts[-1] == "Search results" and respond.posts[-1]["blocks"] == [{"type": "section"}]


async def test_an_answer_without_a_wait_is_a_new_message() -> None:
    respond = Respond()
    reply = WaitingReply(respond, "your search")  # type: ignore[arg-type]
    await asyncio.gather(reply.answer("Search results"))
    assert respond.posts == [
        {"text": "Search results", "blocks": None, "response_type": "ephemeral", "replace_original": False}
    ]


async def test_a_reply_that_replaces_the_message_clicked_does_so_from_its_first_post() -> None:
    respond = Respond()
    reply = WaitingReply(respond, "your search", replaces_original=True)  # type: ignore[arg-type]
    await reply(3)
    await reply.answer("Search results")
    assert [p["replace_original"] for p in respond.posts] == [True, True] and reply.shown
    quiet = Respond()
    unseen = WaitingReply(quiet, "your search", replaces_original=True)  # type: ignore[arg-type]
    await unseen.answer("Search results")
    assert [p["replace_original"] for p in quiet.posts] == [True] and not unseen.shown
