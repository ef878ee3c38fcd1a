"""Clicks, modal submissions, options requests and message shortcuts as their handlers receive them: one `Click`,
`Submission`, `OptionsRequest` or `Shortcut` carries what Slack sent and the means to answer, as `CommandRequest`
does for `/aws-support`; the handler asks for it and then for the services it uses by name:
`async def remove_account_clicked(click: Click, accounts: AccountService)`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.aws.admission import ticket
from bolt_app.services.context import Actor
from listeners.common import acting_user
from listeners.common import read_metadata
from listeners.errors import Where
from listeners.errors import answers_options
from listeners.errors import shows_errors


@dataclass(frozen=True)
class SlackRequest:
    """What every request a handler receives carries: the answer to Slack (`ack`), the Web API client for the
    installation, and Bolt's context (the acting user, the workspace, the services)."""

    ack: AsyncAck
    client: AsyncWebClient
    context: AsyncBoltContext

    async def actor(self) -> Actor:
        """The user acting, with what Slack says of their authority."""
        return await acting_user(self.client, self.context)


@dataclass(frozen=True)
class Click(SlackRequest):
    """One block action (a button, a menu, a select): the action, the payload it came in, and the response_url
    of the message clicked."""

    action: dict[str, Any]
    body: dict[str, Any]
    respond: AsyncRespond

    @property
    def value(self) -> str:
        """The button's value, or the value of the option chosen in a menu."""
        chosen = self.action.get("selected_option") or {}
        return str(self.action.get("value") or chosen.get("value") or "")

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id") or "")

    @property
    def from_home(self) -> bool:
        """Clicked in App Home (not in a message, which can be answered in place)."""
        return bool(self.body.get("view", {}).get("type") == "home")

    async def open(self, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=self.trigger_id, view=view)


@dataclass(frozen=True)
class Submission(SlackRequest):
    """One modal submitted: the view with its state and private metadata."""

    body: dict[str, Any]
    view: dict[str, Any]

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.view.get("state") or {})

    @property
    def metadata(self) -> dict[str, Any]:
        """What the listener that opened the modal kept in its private_metadata."""
        return read_metadata(self.view)

    async def show(self, view: dict[str, Any]) -> None:
        """The modal, still open after the ack, shows `view` instead."""
        await self.client.views_update(view_id=self.view["id"], view=view)


@dataclass(frozen=True)
class OptionsRequest(SlackRequest):
    """One options request (a type-ahead select): what was typed, in which view, answered by `ack(options=…)`."""

    body: dict[str, Any]

    @property
    def typed(self) -> str | None:
        return self.body.get("value")

    @property
    def view(self) -> dict[str, Any]:
        return dict(self.body.get("view") or {})


@dataclass(frozen=True)
class Shortcut(SlackRequest):
    """One message shortcut: the message it was used on, its channel, and the trigger for a modal."""

    shortcut: dict[str, Any]
    respond: AsyncRespond

    @property
    def channel_id(self) -> str:
        return str((self.shortcut.get("channel") or {}).get("id") or "")

    @property
    def message(self) -> dict[str, Any]:
        """The message, with its ts (Slack sends it beside the message as message_ts)."""
        message = self.shortcut.get("message") or {}
        return message | {"ts": message.get("ts") or self.shortcut.get("message_ts")}

    @property
    def trigger_id(self) -> str:
        return str(self.shortcut.get("trigger_id") or "")


Handler = Callable[..., Awaitable[Any]]
Listener = Callable[..., Awaitable[Any]]


def _handled_as(kind: type[Any], where: Where | None) -> Callable[[Handler], Listener]:
    """Makes `handler(request, **services)` a Bolt listener: Bolt passes the arguments named by `kind`'s fields,
    the handler gets them as one `kind` and the context's values its other parameters name (the services); with
    `where`, what it raises is shown there (`shows_errors`)."""
    names = [f.name for f in dataclasses.fields(kind)]
    arguments = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names]
    )

    def decorate(handler: Handler) -> Listener:
        first, *wanted = inspect.signature(handler).parameters

        async def listener(**kwargs: Any) -> Any:
            request = kind(**kwargs)
            # AWS calls after ack() count against the process's limit (aws.admission); options answer at once
            with nullcontext() if kind is OptionsRequest else ticket():
                return await handler(**{first: request}, **{name: kwargs["context"][name] for name in wanted})

        # Bolt passes what a listener's own signature names (it follows __wrapped__, so not functools.wraps).
        listener.__signature__ = arguments  # type: ignore[attr-defined]
        listener.__name__, listener.__qualname__ = handler.__name__, handler.__qualname__
        listener.__doc__ = handler.__doc__
        return shows_errors(where)(listener) if where else listener

    return decorate


def on_click(where: Where | None = None) -> Callable[[Handler], Listener]:
    """A block action handler: `async def clicked(click: Click, <services>)`."""
    return _handled_as(Click, where)


def on_options(handler: Handler) -> Listener:
    """An options handler: `async def options(request: OptionsRequest, <services>) -> Options`; what it returns
    is the answer, a failure the one option saying why (`answers_options`)."""
    return answers_options(_handled_as(OptionsRequest, None)(handler))


def on_submit(where: Where | None = None) -> Callable[[Handler], Listener]:
    """A view submission handler: `async def submitted(submission: Submission, <services>)`."""
    return _handled_as(Submission, where)


def on_shortcut(where: Where | None = None) -> Callable[[Handler], Listener]:
    """A message shortcut handler: `async def used(shortcut: Shortcut, <services>)`."""
    return _handled_as(Shortcut, where)
