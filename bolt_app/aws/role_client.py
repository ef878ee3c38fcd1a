"""A boto3 client acting as a channel's IAM role for one Slack user; a refused AssumeRole comes back in words."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.client import BaseClient

from bolt_app.aws.errors import CallContext
from bolt_app.aws.errors import explain
from bolt_app.aws.sessions import RoleSessions


@dataclass(frozen=True)
class RoleTarget:
    """Which role to act as, and as whom: `session_name` is `<team>.<user>` (see `sessions.session_name`)."""

    role_arn: str
    external_id: str
    session_name: str
    account_shown: str  # the account as error messages name it

    def context(self, action: str) -> CallContext:
        return CallContext(self.role_arn, self.account_shown, action)


async def role_client(
    role_sessions: RoleSessions, target: RoleTarget, service: str, region: str
) -> BaseClient:
    """The client (call it through `role_sessions.read`/`write`). Raises AwsError (a UserFacingError) when the
    role cannot be assumed."""
    try:
        return await role_sessions.client(
            target.role_arn, target.external_id, target.session_name, service, region
        )
    except Exception as e:
        raise explain(e, target.context("sts:AssumeRole")) from e
