"""Authorization of incoming Slack requests from the stored installation.

Bolt's own AsyncInstallationStoreAuthorize calls `auth.test` before the listener runs (once per token with its
cache on, on every request without), which puts a Web API round trip in front of `ack()`. Everything
`AuthorizeResult` needs is already in the stored bot, so this one answers from the (cached) store and calls
Slack only to rotate a token that is about to expire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from storage.installation_store import InstallationStore
from storage.installation_store import workspace_key
from storage.workspaces import WorkspaceKey

log = logging.getLogger(__name__)


class TokenRotation:
    """Rotates a workspace's bot token when it is near expiry, one rotation at a time per workspace.

    Slack revokes a refresh token once used, so two concurrent rotations would leave one of them holding a dead
    token (bolt-python #663): rotations are serialised per workspace and re-read the store before rotating.
    Used by the request path and by background work (notifications), which Bolt does not rotate for.
    """

    def __init__(
        self,
        store: InstallationStore,
        client_id: str | None,
        client_secret: str | None,
        client: AsyncWebClient,
        minutes_before_expiration: int = 120,
    ) -> None:
        self.store = store
        self.minutes_before_expiration = minutes_before_expiration
        self._rotator = (
            AsyncTokenRotator(client_id=client_id, client_secret=client_secret, client=client)
            if client_id and client_secret
            else None
        )
        self._locks: dict[tuple[str | None, str | None], asyncio.Lock] = {}

    def _due(self, bot: Bot) -> bool:
        if bot.bot_refresh_token is None or bot.bot_token_expires_at is None:
            return False
        return bot.bot_token_expires_at - time.time() < self.minutes_before_expiration * 60

    async def stored_bot(self, workspace: WorkspaceKey) -> Bot | None:
        """The workspace's stored bot with a token fresh enough to use (None when it has none: not installed).
        For work outside a request, which Bolt does not authorize. Raises SlackTokenRotationError."""
        bot = await self.store.async_find_bot(
            enterprise_id=workspace.enterprise_id or None,
            team_id=workspace.team_id or None,
            is_enterprise_install=not workspace.team_id,
        )
        return await self.fresh(bot) if bot is not None and bot.bot_token else None

    async def fresh(self, bot: Bot) -> Bot:
        """`bot`, or the bot with a rotated token when its token is near expiry. Raises SlackTokenRotationError."""
        if not self._due(bot):
            return bot
        if self._rotator is None:
            log.error("the stored token expires but SLACK_CLIENT_ID / SLACK_CLIENT_SECRET are not set")
            return bot
        key = workspace_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            current = await self.store.find_bot_uncached(
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                is_enterprise_install=bot.is_enterprise_install,
            )
            current = current or bot
            if not self._due(current):
                return current
            rotated = await self._rotator.perform_bot_token_rotation(
                bot=current, minutes_before_expiration=self.minutes_before_expiration
            )
            if rotated is None:
                return current
            await self.store.async_save_bot(rotated)
            return rotated


class StoredInstallationAuthorize(AsyncAuthorize):
    def __init__(self, store: InstallationStore, rotation: TokenRotation) -> None:
        self.store = store
        self.rotation = rotation
        # Bolt sets this on the authorize it is given together with OAuth settings.
        self.token_rotation_expiration_minutes = rotation.minutes_before_expiration

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = context.get("installed_bot") or await self.store.async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=context.is_enterprise_install
        )
        if bot is None or bot.bot_token is None:
            log.info("no installation for enterprise %s team %s", enterprise_id, team_id)
            return None
        try:
            bot = await self.rotation.fresh(bot)
        except SlackTokenRotationError as e:
            log.error("token rotation failed for enterprise %s team %s: %s", enterprise_id, team_id, e)
            return None
        return AuthorizeResult(
            enterprise_id=bot.enterprise_id,
            team_id=team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


def not_installed_message(app_base_url: str) -> str:
    return (
        "AWS Support is not installed in this workspace any more (it was removed, or its token was revoked). "
        f"A workspace admin can install it again from {app_base_url}/slack/install; "
        "the workspace's AWS accounts and channels come back as they were."
    )


def answer_when_not_installed(store: InstallationStore, app_base_url: str):  # type: ignore[no-untyped-def]
    """A `before_authorize` middleware: a command from a workspace without an installation gets the reason in the
    HTTP response itself (Bolt would instead post a generic text to the response URL, one more round trip)."""
    text = not_installed_message(app_base_url)

    async def middleware(context: AsyncBoltContext, next):  # type: ignore[no-untyped-def]
        if context.response_url is not None and context.get("ssl_check") is None:
            bot = await store.async_find_bot(
                enterprise_id=context.enterprise_id,
                team_id=context.team_id,
                is_enterprise_install=context.is_enterprise_install,
            )
            if bot is None:
                body = json.dumps({"response_type": "ephemeral", "text": text})
                return BoltResponse(status=200, body=body, headers={"Content-Type": "application/json"})
            context["installed_bot"] = bot  # authorize uses it instead of looking again
        return await next()

    return middleware
