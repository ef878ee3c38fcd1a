"""Clicks (block actions: buttons, menus, selects) as their handlers receive them: one `Click` carries what Slack
sent and the means to answer, as `CommandRequest` does for `/aws-support`; the handler asks for it and then for
the services it uses by name: `async def remove_account_clicked(click: Click, accounts: AccountService)`."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.services.context import Actor
from listeners.common import acting_user
from listeners.errors import Where, shows_errors


@dataclass(frozen=True)
class Click:
    """One block action: the action clicked, the payload it came in, and Slack's means to answer it."""

    ack: AsyncAck
    action: dict[str, Any]
    body: dict[str, Any]
    client: AsyncWebClient
    context: AsyncBoltContext
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

    async def actor(self) -> Actor:
        """The user who clicked, with what Slack says of their authority."""
        return await acting_user(self.client, self.context)

    async def open(self, view: dict[str, Any]) -> None:
        await self.client.views_open(trigger_id=self.trigger_id, view=view)


ClickHandler = Callable[..., Awaitable[None]]
ClickListener = Callable[..., Awaitable[None]]


def on_click(where: Where | None = None) -> Callable[[ClickHandler], ClickListener]:
    """Makes `handler(click, **services)` a Bolt listener: Bolt passes the click's arguments, the handler gets
    them as one `Click` and the context's values its other parameters name (the services); with `where`, what
    it raises is shown there (`shows_errors`)."""

    def decorate(handler: ClickHandler) -> ClickListener:
        first, *wanted = inspect.signature(handler).parameters

        async def listener(
            ack: AsyncAck,
            action: dict[str, Any],
            body: dict[str, Any],
            client: AsyncWebClient,
            context: AsyncBoltContext,
            respond: AsyncRespond,
        ) -> None:
            click = Click(ack, action, body, client, context, respond)
            await handler(**{first: click}, **{name: context[name] for name in wanted})

        # Not functools.wraps: Bolt reads the arguments to pass from the listener's own signature.
        listener.__name__, listener.__qualname__ = handler.__name__, handler.__qualname__
        listener.__doc__ = handler.__doc__
        return shows_errors(where)(listener) if where else listener

    return decorate
