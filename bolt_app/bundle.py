"""The process's long-lived objects, one of each, as the composition root builds them.

This module only names them; `bolt_app.app` builds them and wires them into Bolt. It imports nothing above the
services, so any layer may name the bundle's type without depending on the wiring.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bolt_app.aws.identity import AppIdentity
from bolt_app.aws.sessions import AwsClients
from bolt_app.aws.sessions import RoleSessions
from bolt_app.services.accounts import AccountService
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.deferred import DeferredCases
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from bolt_app.services.member_rules import MemberRules
from bolt_app.services.notifications.service import NotificationService
from bolt_app.services.quotas.service import QuotaService
from bolt_app.services.role_templates import RoleTemplates
from bolt_app.services.workspaces import WorkspaceService
from bolt_app.settings import Settings
from bolt_app.slack.authorize import TokenRotation
from storage.audit import AuditRepository
from storage.change_feed import ChangeFeed
from storage.installation_store import InstallationStore
from storage.state_store import OAuthStateStore


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    http: aiohttp.ClientSession
    client: AsyncWebClient
    installation_store: InstallationStore
    state_store: OAuthStateStore
    rotation: TokenRotation
    workspaces: WorkspaceService
    app_identity: AppIdentity
    aws: AwsClients
    role_sessions: RoleSessions
    accounts: AccountService
    channels: ChannelService
    home: HomeService
    audit: AuditRepository
    audit_log: AuditLog
    quotas: QuotaService
    cases: CaseService
    notifications: NotificationService
    case_actions: CaseActions
    deferred: DeferredCases  # case creations AWS deferred, drained by serve, socket and worker
    role_templates: RoleTemplates
    members: MemberRules
    changes: ChangeFeed | None = None  # other processes' changes, heard on PostgreSQL when serving

    def for_listeners(self) -> dict[str, object]:
        """What listeners may ask for by parameter name (`accounts: AccountService`), as Bolt injects `client`.

        The names must differ from Bolt's own arguments (`body`, `action`, `options`, …): Bolt's own win."""
        return {
            "workspaces": self.workspaces,
            "accounts": self.accounts,
            "channels": self.channels,
            "home": self.home,
            "cases": self.cases,
            "quotas": self.quotas,
            "notifications": self.notifications,
            "case_actions": self.case_actions,
            "audit_log": self.audit_log,
            "role_templates": self.role_templates,
            "members": self.members,
        }

    async def close(self) -> None:
        if self.changes is not None:
            await self.changes.stop()
        await self.http.close()
        await self.engine.dispose()
        self.role_sessions.budget.close()
