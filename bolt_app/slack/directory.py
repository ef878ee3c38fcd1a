"""What the app needs to know about Slack users and channels, read with the Web API after `ack()`."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.errors import UserFacingError
from bolt_app.services.slack_facts import SlackChannel
from bolt_app.services.slack_facts import SlackUser


async def user_info(client: AsyncWebClient, user_id: str) -> SlackUser:
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as e:
        raise UserFacingError(
            f"Slack did not tell the app who you are ({e.response.get('error')}); try again in a moment."
        ) from e
    user = response["user"]
    profile = user.get("profile") or {}
    return SlackUser(
        id=user_id,
        name=profile.get("display_name") or user.get("real_name") or user.get("name") or user_id,
        is_admin=bool(user.get("is_admin")),
        is_owner=bool(user.get("is_owner") or user.get("is_primary_owner")),
    )


async def channel_info(client: AsyncWebClient, channel_id: str) -> SlackChannel | None:
    """None when the app cannot see the channel (it is private and the app is not in it)."""
    try:
        response = await client.conversations_info(channel=channel_id)
    except SlackApiError as e:
        if e.response.get("error") in ("channel_not_found", "not_in_channel"):
            return None
        raise UserFacingError(
            f"Slack did not describe this channel ({e.response.get('error')}); try again in a moment."
        ) from e
    c = response["channel"]
    return SlackChannel(
        id=channel_id,
        name=c.get("name") or channel_id,
        is_private=bool(c.get("is_private")),
        is_im=bool(c.get("is_im")),
        is_mpim=bool(c.get("is_mpim")),
        is_member=bool(c.get("is_member")),
        is_archived=bool(c.get("is_archived")),
        is_shared=bool(c.get("is_ext_shared") or c.get("is_shared") or c.get("is_pending_ext_shared")),
        is_ext_shared=bool(c.get("is_ext_shared") or c.get("is_pending_ext_shared")),
    )


async def member_channel_ids(client: AsyncWebClient, user_id: str, limit: int = 1000) -> set[str] | None:
    """The channels `user_id` is in that the app can see (users.conversations, paged); None when Slack refused.
    Bounded by `limit`: App Home only needs to meet the configured ones."""
    found: set[str] = set()
    cursor: str | None = None
    try:
        while len(found) < limit:
            response = await client.users_conversations(
                user=user_id,
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=200,
                cursor=cursor,
            )
            found |= {str(c["id"]) for c in response.get("channels") or []}
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except SlackApiError:
        return None
    return found
