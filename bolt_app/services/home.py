"""App Home: what the person looking at it can do (open or find a case, their recent cases) and, for admins, the
workspace's AWS configuration."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from dataclasses import field

from bolt_app.services.accounts import AccountService
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.channels import ChannelService
from bolt_app.services.context import Actor
from bolt_app.services.workspaces import WorkspaceService
from storage.accounts import AuthorizationRow
from storage.audit import AuditEntry
from storage.case_openers import CaseOpenerRepository
from storage.case_openers import OpenedCase
from storage.channels import ChannelConfigRow

RECENT_CASES = 5


@dataclass(frozen=True)
class WorkspaceOverview:
    accounts: list[AuthorizationRow]
    channels: list[ChannelConfigRow]
    admin: bool  # the viewer may change the configuration, so the home shows the menus that do
    activity: list[AuditEntry] | None = None  # the workspace's recent audit entries, for admins only
    # The configured channels the viewer is in, one row each (their first account); None: Slack did not say.
    my_channels: list[ChannelConfigRow] | None = field(default_factory=list)
    recent: list[OpenedCase] = field(default_factory=list)  # cases the viewer opened through the app


@dataclass(eq=False)
class HomeService:
    workspaces: WorkspaceService
    accounts: AccountService
    channels: ChannelService
    openers: CaseOpenerRepository
    audit_log: AuditLog | None = None

    async def overview(self, viewer: Actor, member_of: Collection[str] | None = ()) -> WorkspaceOverview:
        """`member_of`: the channels the viewer is in, as Slack listed them (None when it could not)."""
        key = viewer.workspace
        channels = await self.channels.for_workspace(key)
        mine = None
        if member_of is not None:
            first: dict[str, ChannelConfigRow] = {}
            for row in channels:
                if row.channel_id in member_of:
                    first.setdefault(row.channel_id, row)
            mine = list(first.values())
        return WorkspaceOverview(
            accounts=await self.accounts.list(key),
            channels=channels,
            admin=await self.workspaces.is_admin(viewer),
            activity=await self.audit_log.recent(viewer) if self.audit_log else None,
            my_channels=mine,
            recent=await self.openers.recent(key, viewer.user_id, RECENT_CASES),
        )
