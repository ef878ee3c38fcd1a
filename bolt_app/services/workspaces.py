"""Installed workspaces and their External IDs."""

from __future__ import annotations

import secrets

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.services.admins import is_admin
from bolt_app.services.admins import require_admin
from bolt_app.services.context import Actor
from storage.installation_store import InstallationStore
from storage.workspace_summaries import WorkspaceSummary
from storage.workspace_summaries import installed_workspaces
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRepository
from storage.workspaces import WorkspaceRow


def new_external_id() -> str:
    """A fresh External ID: 43 url-safe characters (256 random bits). Never chosen by a user."""
    return secrets.token_urlsafe(32)


class WorkspaceService:
    def __init__(self, repository: WorkspaceRepository, installations: InstallationStore) -> None:
        self.repository = repository
        self.installations = installations

    async def record_install(self, installation: Installation) -> WorkspaceRow:
        key = WorkspaceKey.of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        name = (
            installation.enterprise_name if installation.is_enterprise_install else installation.team_name
        ) or ""
        return await self.repository.record_install(key, name, installation.user_id, new_external_id())

    async def record_socket_mode_workspace(self, client: AsyncWebClient) -> WorkspaceRow:
        """Socket Mode has no install flow: the bot token's workspace is recorded at start-up (External ID)."""
        auth = await client.auth_test()
        key = WorkspaceKey.of(
            auth.get("enterprise_id"), auth.get("team_id"), bool(auth.get("is_enterprise_install"))
        )
        return await self.repository.record_install(key, str(auth.get("team") or ""), None, new_external_id())

    async def delete_tokens(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> None:
        """Deletes the workspace's stored tokens (bot tokens revoked)."""
        store_team_id = None if is_enterprise_install else team_id
        await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=store_team_id)

    async def uninstall(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool
    ) -> None:
        """Deletes the workspace's tokens; its row (External ID, configuration) stays for a reinstall."""
        await self.delete_tokens(enterprise_id, team_id, is_enterprise_install)
        await self.repository.mark_uninstalled(WorkspaceKey.of(enterprise_id, team_id, is_enterprise_install))

    async def installed(self) -> list[WorkspaceSummary]:
        return await installed_workspaces(self.repository.engine)

    async def get(self, key: WorkspaceKey) -> WorkspaceRow | None:
        return await self.repository.get(key)

    async def is_admin(self, actor: Actor) -> bool:
        """Whether `actor` may change this workspace's AWS configuration (App Home and lists show the buttons)."""
        return is_admin(actor, await self.get(actor.workspace))

    async def require_admin(self, actor: Actor, what: str) -> None:
        """UserFacingError naming who may `what`, unless `actor` may change the workspace's configuration."""
        require_admin(actor, await self.get(actor.workspace), what)
