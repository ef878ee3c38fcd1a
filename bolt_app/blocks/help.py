"""The command list shown by `/aws-support help`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bolt_app.blocks.common import Block
from bolt_app.blocks.common import context
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import section


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    aliases: tuple[str, ...]
    summary: str
    admin: bool = False  # listed under "For admins": only workspace admins and owners may run it


@lru_cache(maxsize=8)
def _command_list(commands: tuple[CommandHelp, ...]) -> tuple[Block, ...]:
    # Built once: help is the hottest request and its list only changes when the code does.

    def lines(admin: bool) -> str:
        return "\n".join(
            f"• `/aws-support {c.usage}`"
            + (f" (or `{'`, `'.join(c.aliases)}`)" if c.aliases else "")
            + f": {c.summary}"
            for c in commands
            if c.admin == admin
        )

    admin_lines = lines(True)
    return (
        section("*Everyday*\n" + lines(False)),
        *([section("*For admins* (workspace admins and owners)\n" + admin_lines)] if admin_lines else []),
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
