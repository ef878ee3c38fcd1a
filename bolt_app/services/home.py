"""App Home: the workspace's AWS configuration, as the person looking at it may see it."""

from __future__ import annotations

from dataclasses import dataclass

from bolt_app.services.accounts import AccountService
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import Actor
from bolt_app.services.workspaces import WorkspaceService
from storage.accounts import AuthorizationRow
from storage.audit import AuditEntry
from storage.channels import ChannelConfigRow


@dataclass(frozen=True)
class WorkspaceOverview:
    accounts: list[AuthorizationRow]
    channels: list[ChannelConfigRow]
    admin: bool  # the viewer may change the configuration, so the home shows the buttons that do
    activity: list[AuditEntry] | None = None  # the workspace's recent audit entries, for admins only


class HomeService:
    def __init__(
        self,
        workspaces: WorkspaceService,
        accounts: AccountService,
        channels: ChannelService,
        audit_log: AuditLog | None = None,
    ) -> None:
        self.workspaces = workspaces
        self.accounts = accounts
        self.channels = channels
        self.audit_log = audit_log

    async def overview(self, viewer: Actor) -> WorkspaceOverview:
        key = viewer.workspace
        return WorkspaceOverview(
            accounts=await self.accounts.list(key),
            channels=await self.channels.for_workspace(key),
            admin=await self.workspaces.is_admin(viewer),
            activity=await self.audit_log.recent(viewer) if self.audit_log else None,
        )
