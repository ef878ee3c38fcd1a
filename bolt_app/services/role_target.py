"""Which IAM role an AWS call of a channel runs with, and as whom."""

from __future__ import annotations

from bolt_app.aws.role_client import RoleTarget
from bolt_app.aws.sessions import session_name
from bolt_app.services.context import ChannelAccount, SlackActor


def role_target(channel: ChannelAccount, actor: SlackActor) -> RoleTarget:
    """The channel's role for this account, assumed as this Slack user (CloudTrail names them)."""
    return RoleTarget(
        channel.role_arn,
        channel.external_id,
        session_name(actor.team_for_session, actor.user_id),
        channel.account_shown,
    )
