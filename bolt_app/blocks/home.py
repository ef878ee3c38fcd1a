"""App Home: for everyone, "Create case" and "Search cases" in the channels set up for AWS Support and their
recent cases; for admins, the workspace's AWS accounts and channels, each with a menu (Edit / Remove).

One function per section, so that a section can be added without touching the others."""

from __future__ import annotations

from typing import Any

from bolt_app.blocks.accounts import HOME_ACCOUNT_MENU_ACTION
from bolt_app.blocks.accounts import home_accounts_blocks
from bolt_app.blocks.audit import recent_activity_blocks
from bolt_app.blocks.cases.parts import when
from bolt_app.blocks.channels import workspace_channels_blocks
from bolt_app.blocks.common import VIEW_BLOCKS
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import context
from bolt_app.blocks.common import divider
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import header
from bolt_app.blocks.common import option
from bolt_app.blocks.common import section
from bolt_app.services.home import WorkspaceOverview

HOME_CREATE_CASE_ACTION = "home_create_case"
HOME_SEARCH_CASES_ACTION = "home_search_cases"
HOME_CHANNEL_ACTION = "home_channel"  # the channel the two buttons act in, when the viewer is in several
HOME_CASES_BLOCK = "home_cases"
MAX_CHANNEL_CHOICES = 100
HELP_HINT = "`/aws-support help` lists every command."

__all__ = [
    "HOME_ACCOUNT_MENU_ACTION",
    "HOME_CASES_BLOCK",
    "HOME_CHANNEL_ACTION",
    "HOME_CREATE_CASE_ACTION",
    "HOME_SEARCH_CASES_ACTION",
    "home_view",
]


def cases_section(overview: WorkspaceOverview, chosen: str | None = None) -> list[Block]:
    """The buttons everyone gets, for the configured channels they are in (acting in `chosen` when it is one of
    them, else the first); else how to get one configured."""
    mine = overview.my_channels
    if mine is None:
        return [
            context(":warning: Slack did not say which channels you are in; open App Home again shortly.")
        ]
    if not mine:
        return [
            section(
                "*Support cases* are opened and searched in a channel set up for AWS Support, and none of your "
                "channels is. Ask a workspace admin to run `/aws-support configure-channel` in a private "
                "channel you are in."
            )
        ]
    listed = mine[:MAX_CHANNEL_CHOICES]
    first = next((row.channel_id for row in listed if row.channel_id == chosen), listed[0].channel_id)
    elements: list[dict[str, Any]] = []
    if len(mine) > 1:
        choices = [option(f"#{row.channel_name}", row.channel_id) for row in listed]
        elements.append(
            {
                "type": "static_select",
                "action_id": HOME_CHANNEL_ACTION,
                "options": choices,
                "initial_option": next(o for o in choices if o["value"] == first),
            }
        )
    elements += [
        button("Create case", HOME_CREATE_CASE_ACTION, first, style="primary"),
        button("Search cases", HOME_SEARCH_CASES_ACTION, first),
    ]
    where = f"in <#{first}>" if len(mine) == 1 else f"in one of your {len(mine)} AWS Support channels"
    return [
        section(f"*Support cases* {where}: open one, or find one."),
        actions(*elements, block_id=HOME_CASES_BLOCK),
    ]


def recent_cases_section(overview: WorkspaceOverview) -> list[Block]:
    if not overview.recent:
        return [context("Cases you open appear here.")]
    lines = [
        f"• *{escape(c.display_id or c.case_id)}* {escape(c.subject)} · <#{c.channel_id}> · {when(c.opened_at)}"
        for c in overview.recent
    ]
    return [section("*Your recent cases*\n" + "\n".join(lines))]


def next_step(overview: WorkspaceOverview) -> str | None:
    """What an admin has to do next, when there is something."""
    if not overview.accounts:
        return "Next: authorize an AWS account with `/aws-support authorize-account` and an IAM role of it."
    if not overview.channels:
        return "Next: in a private channel, run `/aws-support configure-channel`."
    return None


def home_view(overview: WorkspaceOverview, *, chosen_channel: str | None = None) -> View:
    blocks: list[Block] = [
        header("AWS Support"),
        *cases_section(overview, chosen_channel),
        *recent_cases_section(overview),
    ]
    step = next_step(overview) if overview.admin else None
    footer = context(f"{step} {HELP_HINT}" if step else HELP_HINT)
    if overview.admin:
        # The workspace's recent audit entries, for admins (None: no such section).
        activity = (
            [divider(), *recent_activity_blocks(overview.activity)] if overview.activity is not None else []
        )
        room = VIEW_BLOCKS - len(blocks) - len(activity) - 3  # two dividers and the footer
        accounts = home_accounts_blocks(overview.accounts, max_blocks=room // 2)
        channels = workspace_channels_blocks(overview.channels, True, max_blocks=room - len(accounts))
        blocks += [divider(), *accounts, divider(), *channels, *activity]
    blocks.append(footer)
    return {"type": "home", "blocks": blocks}
