"""The command list shown by `/aws-support help`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bolt_app.blocks.common import Block, context, escape, section


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    aliases: tuple[str, ...]
    summary: str


@lru_cache(maxsize=8)
def _command_list(commands: tuple[CommandHelp, ...]) -> tuple[Block, ...]:
    # Built once: help is the hottest request and its list only changes when the code does.
    lines = []
    for c in commands:
        alias = f" (or `{'`, `'.join(c.aliases)}`)" if c.aliases else ""
        lines.append(f"• `/aws-support {c.usage}`{alias}: {c.summary}")
    return (
        section("*AWS Support commands*\n" + "\n".join(lines)),
        context(
            "Cases are opened with the IAM role that an admin attached to this channel: "
            "everyone here has exactly that role's permissions."
        ),
    )


def help_blocks(commands: tuple[CommandHelp, ...], unknown: str | None = None) -> list[Block]:
    lead = [section(f"`{escape(unknown[:100])}` is not a command I know.")] if unknown else []
    return lead + list(_command_list(commands))


def help_text(commands: tuple[CommandHelp, ...]) -> str:
    return "AWS Support commands: " + ", ".join(c.usage.split()[0] for c in commands)
