"""`/aws-support <subcommand> [args]`: routes to the subcommand's handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bolt_app.blocks.help import CommandHelp, help_blocks, help_text


@dataclass(frozen=True)
class Subcommand:
    help: CommandHelp
    handler: Callable[..., Awaitable[None]]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.help.usage.split()[0], *self.help.aliases)


async def help_subcommand(ack: AsyncAck, unknown: str | None = None, **_: Any) -> None:
    commands = [s.help for s in SUBCOMMANDS]
    await ack(
        response_type="ephemeral",
        text=help_text(commands),
        blocks=[b.to_dict() for b in help_blocks(commands, unknown)],
    )


SUBCOMMANDS: list[Subcommand] = [
    Subcommand(CommandHelp("help", (), "show this list"), help_subcommand),
]


def find_subcommand(name: str) -> Subcommand | None:
    return next((s for s in SUBCOMMANDS if name in s.names), None)


async def aws_support_command(ack: AsyncAck, command: dict[str, Any], **kwargs: Any) -> None:
    name, _, args = (command.get("text") or "").strip().partition(" ")
    name = name.lower()
    sub = find_subcommand(name) if name else None
    if sub is None:
        await help_subcommand(ack, unknown=name or None)
        return
    await sub.handler(ack=ack, command=command, args=args.strip(), **kwargs)
