"""Telling a waiting caller its place in line (the AWS budget's and the admission's lines): each notice in a task
of its own, so a slow Slack call never holds a line up, and a notice that fails never fails the call it is about."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger(__name__)


class WaitingNotice(Protocol):
    """Told the caller's place in line (1 = next) when it must wait, and again as it moves up."""

    async def __call__(self, place: int) -> None: ...


async def tell(notice: WaitingNotice, place: int) -> None:
    try:
        await notice(place)
    except Exception:  # a notice that fails must not fail the call it is about
        log.warning("could not tell a waiting user their place in line", exc_info=True)


class Tellings:
    """Notices being told, kept referenced until they are done."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def tell(self, notice: WaitingNotice, place: int) -> None:
        task = asyncio.create_task(tell(notice, place))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
