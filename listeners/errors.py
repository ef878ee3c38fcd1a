"""What the user sees when a listener fails: a UserFacingError as it is, anything else as an apology."""

from __future__ import annotations

import functools
import inspect
import logging
import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import TypeVar
from typing import cast

from bolt_app.aws.admission import ticket
from bolt_app.aws.budget import patience
from bolt_app.blocks.common import message_modal
from bolt_app.blocks.common import note_option
from bolt_app.errors import UserFacingError

log = logging.getLogger(__name__)

Show = Callable[[str], Awaitable[Any]]
Listener = TypeVar("Listener", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class Where:
    """Where a listener shows a message (a reply, a DM, its modal), made from the arguments it was called with;
    `needs` names those arguments, which the listener must then ask for."""

    needs: tuple[str, ...]
    show_for: Callable[[Mapping[str, Any]], Show]


def unexpected_error_text(error: BaseException) -> str:
    reference = uuid.uuid4().hex[:8]
    log.exception("unexpected error (reference %s)", reference, exc_info=error)
    return f"Sorry, something went wrong on our side (reference {reference}). Nothing was changed; try again."


def shows_errors(where: Where) -> Callable[[Listener], Listener]:
    """Decorates a listener: a UserFacingError it raises is shown where `where` says, with a warning sign;
        anything else is logged with a reference and shown as an apology naming it. Its AWS calls are one piece of the
    process's admitted work (`bolt_app.aws.admission`).

        Bolt calls listeners with keyword arguments and reads their names through `functools.wraps`, so the
        decorated listener still gets exactly the arguments it asks for."""

    def decorate(listener: Listener) -> Listener:
        missing = set(where.needs) - set(inspect.signature(listener).parameters)
        if missing:
            raise TypeError(
                f"{listener.__qualname__} must ask for {', '.join(sorted(missing))} to show errors"
            )

        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            with ticket():  # its AWS calls count against the process's limit of such work (aws.admission)
                try:
                    await listener(**kwargs)
                except UserFacingError as e:
                    await where.show_for(kwargs)(f":warning: {e.message}")
                except Exception as e:  # noqa: BLE001 - the user must hear something; the log has the details
                    await where.show_for(kwargs)(unexpected_error_text(e))

        return cast(Listener, run)

    return decorate


def in_modal(title: str) -> Where:
    """In the modal the listener answers, replacing its content."""

    def show_for(kwargs: Mapping[str, Any]) -> Show:
        async def show(text: str) -> None:
            view_id = kwargs["view"]["id"]
            await kwargs["client"].views_update(view_id=view_id, view=message_modal(title, text))

        return show

    return Where(("client", "view"), show_for)


def _to_clicker(kwargs: Mapping[str, Any]) -> Show:
    body = kwargs["body"]

    async def show(text: str) -> None:
        if body.get("view", {}).get("type") == "home" or not body.get("response_url"):
            await kwargs["client"].chat_postMessage(channel=kwargs["context"].user_id or "", text=text)
        else:
            await kwargs["respond"](text=text, response_type="ephemeral", replace_original=False)

    return show


# To whoever clicked a button: in the app's DM with them when the button was in App Home or the message cannot
# be answered, else an ephemeral reply.
TO_CLICKER = Where(("body", "client", "context", "respond"), _to_clicker)


def _below_message(kwargs: Mapping[str, Any]) -> Show:
    async def show(text: str) -> None:
        await kwargs["respond"](text=text, response_type="ephemeral", replace_original=False)

    return show


# Below the message clicked, seen only by whoever clicked (the action's response_url).
BELOW_MESSAGE = Where(("respond",), _below_message)


Options = list[dict[str, Any]]
OptionsListener = TypeVar("OptionsListener", bound=Callable[..., Awaitable[Options]])


def reason_option(text: str) -> dict[str, Any]:
    """An options response cannot carry an error, so the reason becomes the one (unusable) option."""
    return note_option(text)


# Slack waits 3 seconds for options; a turn at AWS further away than this is not waited for.
OPTIONS_AWS_PATIENCE_SECONDS = 1.5


def answers_options(listener: OptionsListener) -> Callable[..., Awaitable[None]]:
    """Decorates an options listener that returns its options: they are the answer, and a failure becomes the
    one option saying why (an options request must be answered, or Slack shows nothing)."""
    if "ack" not in inspect.signature(listener).parameters:
        raise TypeError(f"{listener.__qualname__} must ask for ack to answer")

    @functools.wraps(listener)
    async def run(**kwargs: Any) -> None:
        try:
            with patience(OPTIONS_AWS_PATIENCE_SECONDS):  # answer in time, if only to say AWS is busy
                options = await listener(**kwargs)
        except UserFacingError as e:
            options = [reason_option(e.message)]
        except Exception as e:  # noqa: BLE001 - the log has the details
            options = [reason_option(unexpected_error_text(e))]
        await kwargs["ack"](options=options)

    return run
