"""Which IAM role an AWS call of a channel runs with, and as whom."""

from __future__ import annotations

from bolt_app.aws.role_client import RoleTarget
from bolt_app.aws.sessions import session_name
from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.membership import require_member


def session_of(actor: SlackActor) -> str:
    """The RoleSessionName the channel's role is assumed with for this user, as CloudTrail shows it."""
    return session_name(actor.team_for_session, actor.user_id)


def role_target(channel: ChannelAccount, actor: SlackActor) -> RoleTarget:
    """The channel's role for this account, assumed as this Slack user (CloudTrail names them). Every AWS call of
    a channel starts here, so a user of another workspace never gets the role (`require_member`)."""
    require_member(channel, actor)
    return RoleTarget(
        channel.role_arn,
        channel.external_id,
        session_of(actor),
        channel.account_shown,
    )
