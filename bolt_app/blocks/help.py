"""The command list shown by `/aws-support help`."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    aliases: tuple[str, ...]
    summary: str


def help_blocks(commands: list[CommandHelp], unknown: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if unknown:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"`{unknown}` is not a command I know.")))
    lines = []
    for c in commands:
        alias = f" (or `{'`, `'.join(c.aliases)}`)" if c.aliases else ""
        lines.append(f"• `/aws-support {c.usage}`{alias}: {c.summary}")
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*AWS Support commands*\n" + "\n".join(lines))))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Cases are opened with the IAM role that an admin attached to this channel: "
                    "everyone here has exactly that role's permissions."
                )
            ]
        )
    )
    return blocks


def help_text(commands: list[CommandHelp]) -> str:
    return "AWS Support commands: " + ", ".join(c.usage.split()[0] for c in commands)
