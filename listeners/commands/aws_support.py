"""`/aws-support <subcommand> [args]`: routes to the subcommand's handler."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.help import CommandHelp
from bolt_app.blocks.help import help_blocks
from bolt_app.blocks.help import help_text
from listeners.errors import Show
from listeners.errors import Where
from listeners.requests import SlackRequest


@dataclass(frozen=True)
class CommandRequest(SlackRequest):
    """One `/aws-support` invocation, as the subcommand handlers receive it."""

    command: dict[str, Any]
    args: str
    respond: AsyncRespond

    @property
    def channel_id(self) -> str:
        return str(self.command.get("channel_id", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.command.get("trigger_id", ""))

    async def say_ephemeral(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


# A subcommand handler takes the request, then any service by name, as Bolt passes them to listeners:
# `async def accounts_subcommand(request: CommandRequest, accounts: AccountService)`.
Handler = Callable[..., Awaitable[None]]


def _say_ephemeral(kwargs: Mapping[str, Any]) -> Show:
    request: CommandRequest = kwargs["request"]
    return request.say_ephemeral


# Where a subcommand shows an error (for `shows_errors`): an ephemeral reply to the command.
IN_REPLY = Where(("request",), _say_ephemeral)


@dataclass(frozen=True)
class Subcommand:
    help: CommandHelp
    handler: Handler
    # The handler's parameters: the request's name, then the context values it asks for (read once).
    parameters: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(inspect.signature(self.handler).parameters))

    @property
    def names(self) -> tuple[str, ...]:
        return (self.help.usage.split()[0], *self.help.aliases)

    async def run(self, request: CommandRequest) -> None:
        """Calls the handler with the request and the context's values its other parameters name."""
        first, *wanted = self.parameters
        await self.handler(**{first: request}, **{name: request.context[name] for name in wanted})


_SUBCOMMANDS: list[Subcommand] = []
# The help list shows the commands people use most first, as the original app's documentation does.
HELP_ORDER = [
    "create-case",
    "search-case",
    "service-quota-increase",
    "configure-channel",
    "authorize-account",
    "accounts",
    "register-organization",
    "audit",
    "help",
]


def subcommand(
    usage: str, summary: str, aliases: tuple[str, ...] = (), *, admin: bool = False
) -> Callable[[Handler], Handler]:
    """Registers a handler for `/aws-support <usage>`; help lists it under "Everyday", or "For admins" when
    `admin` (only workspace admins and owners may run it), in HELP_ORDER."""

    def register(handler: Handler) -> Handler:
        _SUBCOMMANDS.append(Subcommand(CommandHelp(usage, aliases, summary, admin), handler))
        _SUBCOMMANDS.sort(key=lambda s: HELP_ORDER.index(s.names[0]))
        return handler

    return register


def find_subcommand(name: str) -> Subcommand | None:
    return next((s for s in _SUBCOMMANDS if name in s.names), None)


async def show_help(request: CommandRequest, unknown: str | None = None) -> None:
    commands = tuple(s.help for s in _SUBCOMMANDS)
    await request.ack(
        response_type="ephemeral", text=help_text(commands), blocks=help_blocks(commands, unknown)
    )


async def aws_support_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
    respond: AsyncRespond,
) -> None:
    name, _, args = (command.get("text") or "").strip().partition(" ")
    request = CommandRequest(ack, client, context, command=command, args=args.strip(), respond=respond)
    sub = find_subcommand(name.lower()) if name else None
    if sub is None:
        await show_help(request, unknown=name or None)
        return
    await sub.run(request)
