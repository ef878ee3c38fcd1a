"""The CloudFormation template of a workspace's IAM role, handed out by signed links that expire."""

from __future__ import annotations

from dataclasses import dataclass

from bolt_app.aws.identity import AppIdentity
from bolt_app.aws.policies import cloudformation_template
from bolt_app.services.workspaces import WorkspaceService
from bolt_app.signed_links import LinkSigner
from storage.workspaces import WorkspaceKey

LINK_HOURS = 24  # long enough to hand the link to the AWS account's admin


class WorkspaceNotInstalled(Exception):
    """The link names a workspace that is not (or no longer) installed."""


class PrincipalUnknown(Exception):
    """The app could not learn its own AWS principal, which the trust policy must name."""


@dataclass(frozen=True)
class RoleTemplateFile:
    filename: str
    text: str


def stack_name(key: WorkspaceKey) -> str:
    return f"aws-support-slack-role-{key.team_id or key.enterprise_id}"


def role_name(key: WorkspaceKey) -> str:
    """Each workspace its own role: up to five workspaces may share one AWS account, and IAM names are unique."""
    return f"AWSSupportSlackRole-{key.team_id or key.enterprise_id}"


def template_filename(key: WorkspaceKey) -> str:
    return f"{stack_name(key)}.yml"


class RoleTemplates:
    def __init__(self, signer: LinkSigner, workspaces: WorkspaceService, identity: AppIdentity) -> None:
        self.signer = signer
        self.workspaces = workspaces
        self.identity = identity

    def link_token(self, key: WorkspaceKey) -> str:
        return self.signer.sign([key.enterprise_id, key.team_id])

    async def for_link(self, token: str) -> RoleTemplateFile:
        """The template of the link's workspace; LinkInvalid, LinkExpired, WorkspaceNotInstalled or
        PrincipalUnknown otherwise."""
        fields = self.signer.verify(token)
        key = WorkspaceKey(*fields)
        workspace = await self.workspaces.get(key)
        if workspace is None or workspace.uninstalled_at is not None:
            raise WorkspaceNotInstalled
        principal = await self.identity.principal_arn()
        if principal is None:
            raise PrincipalUnknown
        return RoleTemplateFile(
            template_filename(key), cloudformation_template(principal, workspace.external_id, role_name(key))
        )
