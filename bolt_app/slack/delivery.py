"""The Slack side of case notifications: posting, updating and deleting case messages as a workspace's bot, with
its token rotated when due, each channel paced to Slack's posting rate, and `Retry-After` waited out. Implements
the `ChannelPosters` port of bolt_app/services/notifications/delivery.py; Slack errors become SkipDelivery (the
channel or the token is gone) or RetryDelivery (a failure that may pass)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import KW_ONLY
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.notifications import SlackMessage
from bolt_app.blocks.notifications import correspondence_message
from bolt_app.blocks.notifications import lifecycle_message
from bolt_app.blocks.notifications import root_message
from bolt_app.services.notifications.messages import CaseMessage
from bolt_app.services.notifications.outcomes import RetryDelivery
from bolt_app.services.notifications.outcomes import SkipDelivery
from bolt_app.slack.authorize import TokenRotation
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey

log = logging.getLogger(__name__)

CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
TOKEN_GONE = frozenset(
    {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "token_expired", "team_not_found"}
)
UPDATE_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


def render(message: CaseMessage) -> SlackMessage:
    if message.kind == "root":
        return root_message(message.case)
    if message.kind == "correspondence" and message.communication is not None:
        return correspondence_message(message.case, message.communication)
    return lifecycle_message(message.case, message.kind, message.by)


def _retry_after(error: SlackApiError) -> float:
    try:
        return max(1.0, float(error.response.headers.get("Retry-After", "1")))
    except (TypeError, ValueError, AttributeError):
        return 1.0


@dataclass(eq=False)
class SlackDelivery:
    """One per process: it alone knows when each channel was last posted to."""

    client: AsyncWebClient
    rotation: TokenRotation
    _: KW_ONLY
    post_interval_seconds: float  # chat.postMessage: about one a second per channel
    bot_token: str | None = None  # Socket Mode: the one workspace's token, when nothing is stored
    _last_post: dict[ChannelKey, float] = field(default_factory=dict, init=False, repr=False)

    async def for_workspace(self, workspace: WorkspaceKey) -> WorkspacePoster:
        return WorkspacePoster(self, workspace, await self._token(workspace))

    async def _token(self, workspace: WorkspaceKey) -> str:
        try:
            bot = await self.rotation.stored_bot(workspace)
        except SlackTokenRotationError as e:
            api_error = getattr(e, "api_error", None)
            code = str(api_error.response.get("error", "")) if api_error is not None else ""
            if code in TOKEN_GONE or code == "invalid_refresh_token":
                raise SkipDelivery(code) from e
            raise RetryDelivery("slack:rotation") from e
        if bot is None:
            if self.bot_token:
                return self.bot_token
            raise SkipDelivery("not_installed")
        return str(bot.bot_token)

    async def _pace(self, channel: ChannelKey) -> None:
        """No faster than the channel's posting rate, counted from Slack's answer to the previous post (which it
        received before answering). Only this process posts to a channel it has leased."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = last + self.post_interval_seconds - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)

    async def call(self, method: str, pace_key: ChannelKey, /, **params: Any) -> Any:
        while True:
            if method == "chat.postMessage":
                await self._pace(pace_key)
            try:
                response = await self.client.api_call(method, json=params)
            except SlackApiError as e:
                error = str(e.response.get("error", ""))
                if e.response.status_code == 429 or error == "ratelimited":
                    wait = _retry_after(e)
                    log.info("%s to %s rate limited; waiting %.0fs", method, pace_key.channel_id, wait)
                    await asyncio.sleep(wait)
                    continue
                if error in CHANNEL_GONE or error in TOKEN_GONE:
                    raise SkipDelivery(error) from e
                if method == "chat.update" and error in UPDATE_GONE:
                    return None
                raise RetryDelivery(f"slack:{error or e.response.status_code}") from e
            except (aiohttp.ClientError, TimeoutError) as e:
                raise RetryDelivery(f"slack:{type(e).__name__}") from e
            finally:
                if method == "chat.postMessage":
                    self._last_post[pace_key] = time.monotonic()
            return response


class WorkspacePoster:
    """Writes to one workspace's channels with the token `SlackDelivery.for_workspace` found for it."""

    def __init__(self, slack: SlackDelivery, workspace: WorkspaceKey, token: str) -> None:
        self.slack = slack
        self.workspace = workspace
        self.token = token

    async def post(self, channel_id: str, message: CaseMessage, thread_ts: str | None = None) -> str:
        shown = render(message)
        params: dict[str, Any] = {
            "token": self.token,
            "channel": channel_id,
            "text": shown.text,
            "blocks": shown.blocks,
            "metadata": shown.metadata,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if thread_ts:
            params["thread_ts"] = thread_ts
        response = await self.slack.call("chat.postMessage", ChannelKey(self.workspace, channel_id), **params)
        return str(response["ts"])

    async def update(self, channel_id: str, ts: str, message: CaseMessage) -> None:
        shown = render(message)
        await self.slack.call(
            "chat.update",
            ChannelKey(self.workspace, channel_id),
            token=self.token,
            channel=channel_id,
            ts=ts,
            text=shown.text,
            blocks=shown.blocks,
        )

    async def delete(self, channel_id: str, ts: str) -> None:
        try:
            await self.slack.client.api_call(
                "chat.delete", json={"token": self.token, "channel": channel_id, "ts": ts}
            )
        except Exception:
            log.warning("could not delete a duplicate root message %s in %s", ts, channel_id)
