"""App Home: the workspace's "Slack configuration"."""

from __future__ import annotations

from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.common import Block, View, context, divider, header, section
from storage.accounts import AuthorizationRow


def home_view(
    accounts: list[AuthorizationRow], admin: bool, channel_blocks: list[Block] | None = None
) -> View:
    blocks: list[Block] = [
        header("Slack configuration"),
        section("*AWS accounts*"),
        *accounts_blocks(accounts, admin),
    ]
    if channel_blocks is not None:
        blocks += [divider(), section("*Channels*"), *channel_blocks]
    blocks.append(divider())
    if not accounts:
        next_step = (
            "Next: an admin runs `/aws-support authorize-account` with an IAM role of the AWS account."
        )
    else:
        next_step = "Next: in a private channel, an admin runs `/aws-support configure-channel`."
    blocks.append(context(next_step + " `/aws-support help` lists every command."))
    return {"type": "home", "blocks": blocks[:100]}
