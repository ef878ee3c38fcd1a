"""What each announced change drops from this process's caches (see storage.change_feed)."""

from __future__ import annotations

from collections.abc import Callable

from bolt_app.services.channels import ChannelService
from storage.change_feed import Change
from storage.installation_store import InstallationStore
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey


def forget_changed(store: InstallationStore, channels: ChannelService) -> Callable[[Change], None]:
    def forget(change: Change) -> None:
        workspace = WorkspaceKey(change.enterprise_id or "", change.team_id or "")
        if change.table in ("slack_bots", "slack_installations"):
            store.forget(change.enterprise_id, change.team_id)
        elif change.table == "channel_configurations" and change.channel_id:
            channels.forget_channel(ChannelKey(workspace, change.channel_id))
        elif change.table in ("workspaces", "workspace_authorizations"):
            channels.forget_workspace(workspace)
        elif change.table == "aws_accounts" and change.account_id:
            channels.forget_account(change.account_id)

    return forget


def forget_everything(store: InstallationStore, channels: ChannelService) -> Callable[[], None]:
    """For when changes may have gone unheard (the listening connection dropped)."""

    def forget() -> None:
        store.bot_cache.clear()
        channels.forget_cached()

    return forget
