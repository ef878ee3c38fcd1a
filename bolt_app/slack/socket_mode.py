"""Which bot Socket Mode serves with, decided at start-up and said in the log.

With token rotation on (the manifest turns it on), Slack expires a bot token 12 hours after issuing it, so a
fixed SLACK_BOT_TOKEN stops working. The stored installation rotates: one made by the install flow of
`serve` on the same database, or one made here, once, from SLACK_BOT_REFRESH_TOKEN (Slack revokes a refresh
token once used, so later starts use what was stored).
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.services.workspaces import WorkspaceService
from bolt_app.settings import Settings
from storage.installation_store import InstallationStore

log = logging.getLogger(__name__)


class SocketModeSetupError(Exception):
    """Socket Mode has no bot to serve with; the message says how to give it one."""


def _described(bot: Bot) -> str:
    workspace = bot.team_id or f"org {bot.enterprise_id}"
    if bot.bot_refresh_token is None or bot.bot_token_expires_at is None:
        return f"{workspace} (its token does not expire)"
    hours = (bot.bot_token_expires_at - time.time()) / 3600
    return f"{workspace} (its token rotates; the current one expires in {hours:.1f} h)"


async def prepare_socket_mode_bot(
    settings: Settings, client: AsyncWebClient, store: InstallationStore, workspaces: WorkspaceService
) -> str:
    """Makes sure there is a bot to serve with; returns the start-up line that says which. Raises
    SocketModeSetupError."""
    if settings.bot_token:
        await workspaces.record_socket_mode_workspace(client)
        return (
            "Socket Mode with SLACK_BOT_TOKEN, a fixed token: with token rotation on it stops working 12 hours "
            "after Slack issued it (unset it to use the stored, rotating installation)"
        )
    bots = await store.installed_bots()
    if bots:
        return "Socket Mode with the stored installation of " + ", ".join(_described(b) for b in bots)
    if settings.bot_refresh_token:
        bot = await _install_from_refresh_token(settings, client, store, workspaces)
        return f"Socket Mode with the installation made from SLACK_BOT_REFRESH_TOKEN, now stored: {_described(bot)}"
    raise SocketModeSetupError(
        "no installation is stored and neither SLACK_BOT_REFRESH_TOKEN nor SLACK_BOT_TOKEN is set: install the "
        "app once through `aws-support-slack serve` (Add to Slack) on this database, or set "
        "SLACK_BOT_REFRESH_TOKEN (OAuth & Permissions → Refresh Token)."
    )


async def _install_from_refresh_token(
    settings: Settings, client: AsyncWebClient, store: InstallationStore, workspaces: WorkspaceService
) -> Bot:
    try:
        token = await client.oauth_v2_access(
            client_id=settings.client_id or "",
            client_secret=settings.client_secret or "",
            grant_type="refresh_token",
            refresh_token=settings.bot_refresh_token or "",
        )
        auth = await client.auth_test(token=token["access_token"])
    except SlackApiError as e:
        raise SocketModeSetupError(
            f"Slack refused SLACK_BOT_REFRESH_TOKEN ({e.response.get('error')}): a refresh token works once; take "
            "the current one from the app's OAuth & Permissions page (or reinstall the app) and start again."
        ) from e
    enterprise = token.get("enterprise") or {}
    team = token.get("team") or {}
    is_enterprise_install = bool(token.get("is_enterprise_install"))
    installation = Installation(
        app_id=token.get("app_id") or auth.get("app_id") or "",
        enterprise_id=enterprise.get("id"),
        enterprise_name=enterprise.get("name"),
        team_id=None if is_enterprise_install else team.get("id") or auth.get("team_id"),
        team_name=team.get("name") or auth.get("team"),
        bot_token=token["access_token"],
        bot_refresh_token=token.get("refresh_token"),
        bot_token_expires_in=token.get("expires_in"),
        bot_id=auth.get("bot_id"),
        bot_user_id=token.get("bot_user_id") or auth.get("user_id"),
        bot_scopes=token.get("scope"),
        user_id=str(auth.get("user_id")),
        is_enterprise_install=is_enterprise_install,
    )
    await store.async_save(installation)
    await workspaces.record_install(installation)
    return installation.to_bot()
