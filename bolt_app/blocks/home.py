"""App Home: the workspace's "Slack configuration"."""

from __future__ import annotations

from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.audit import recent_activity_blocks
from bolt_app.blocks.channels import workspace_channels_blocks
from bolt_app.blocks.common import VIEW_BLOCKS, Block, View, context, divider, header, section
from storage.accounts import AuthorizationRow
from storage.audit import AuditEntry
from storage.channels import ChannelConfigRow

# header, "AWS accounts", divider, "Channels", divider and the hint: always shown
_FIXED_BLOCKS = 6


def home_view(
    accounts: list[AuthorizationRow],
    admin: bool,
    channels: list[ChannelConfigRow] | None = None,
    activity: list[AuditEntry] | None = None,
) -> View:
    """`activity`: the workspace's recent audit entries, shown to admins (None: no such section)."""
    activity_blocks = [divider(), *recent_activity_blocks(activity)] if activity is not None else []
    room = VIEW_BLOCKS - _FIXED_BLOCKS - len(activity_blocks)
    account_blocks = accounts_blocks(accounts, admin, max_blocks=room // 2)
    blocks: list[Block] = [header("Slack configuration"), section("*AWS accounts*"), *account_blocks]
    if channels is not None:
        channel_blocks = workspace_channels_blocks(channels, admin, max_blocks=room - len(account_blocks))
        blocks += [divider(), section("*Channels*"), *channel_blocks]
    blocks += activity_blocks
    blocks.append(divider())
    if not accounts:
        next_step = (
            "Next: an admin runs `/aws-support authorize-account` with an IAM role of the AWS account."
        )
    else:
        next_step = "Next: in a private channel, an admin runs `/aws-support configure-channel`."
    blocks.append(context(next_step + " `/aws-support help` lists every command."))
    return {"type": "home", "blocks": blocks}
