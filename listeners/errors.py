"""What the user sees when a listener fails: a UserFacingError as it is, anything else as an apology."""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast

from bolt_app.blocks.common import message_modal
from bolt_app.errors import UserFacingError

log = logging.getLogger(__name__)

Show = Callable[[str], Awaitable[Any]]
# From the arguments a listener was called with, how to show it a message (reply, DM, modal, ...).
Where = Callable[[Mapping[str, Any]], Show]
Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


def unexpected_error_text(error: BaseException) -> str:
    reference = uuid.uuid4().hex[:8]
    log.exception("unexpected error (reference %s)", reference, exc_info=error)
    return f"Sorry, something went wrong on our side (reference {reference}). Nothing was changed; try again."


def shows_errors(where: Where) -> Callable[[Listener], Listener]:
    """Decorates a listener: a UserFacingError it raises is shown where `where` says, with a warning sign;
    anything else is logged with a reference and shown as an apology naming it.

    Bolt calls listeners with keyword arguments and reads their names through `functools.wraps`, so the
    decorated listener still gets exactly the arguments it asks for."""

    def decorate(listener: Listener) -> Listener:
        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except UserFacingError as e:
                await where(kwargs)(f":warning: {e.message}")
            except Exception as e:  # noqa: BLE001 - the user must hear something; the log has the details
                await where(kwargs)(unexpected_error_text(e))

        return cast(Listener, run)

    return decorate


async def explain_errors(show: Show, work: Callable[[], Awaitable[Any]]) -> None:
    """Runs `work` as `shows_errors` runs a listener, showing errors with `show`."""
    await shows_errors(lambda _: show)(work)()


def in_modal(title: str) -> Where:
    """In the modal the listener answers (it asks for `client` and `view`), replacing its content."""

    def where(kwargs: Mapping[str, Any]) -> Show:
        async def show(text: str) -> None:
            view_id = kwargs["view"]["id"]
            await kwargs["client"].views_update(view_id=view_id, view=message_modal(title, text))

        return show

    return where


def to_clicker(kwargs: Mapping[str, Any]) -> Show:
    """To whoever clicked a button (the listener asks for `body`, `client`, `context` and `respond`): in the app's
    DM with them when the button was in App Home or the message cannot be answered, else an ephemeral reply."""
    body = kwargs["body"]

    async def show(text: str) -> None:
        if body.get("view", {}).get("type") == "home" or not body.get("response_url"):
            await kwargs["client"].chat_postMessage(channel=kwargs["context"].user_id or "", text=text)
        else:
            await kwargs["respond"](text=text, response_type="ephemeral", replace_original=False)

    return show
