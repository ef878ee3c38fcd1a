"""App Home: what the viewer can do and, for admins, the configuration; refreshed when opened and after changes."""

from __future__ import annotations

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bolt_app.blocks.home import home_view
from bolt_app.services.context import Actor
from bolt_app.services.home import HomeService
from bolt_app.slack.directory import member_channel_ids
from listeners.common import acting_user


async def publish_home(
    client: AsyncWebClient, home: HomeService, viewer: Actor, chosen_channel: str | None = None
) -> None:
    """`chosen_channel`: the channel picked beside "Create case" and "Search cases", which they then act in."""
    member_of = await member_channel_ids(client, viewer.user_id)
    overview = await home.overview(viewer, member_of)
    view = home_view(overview, chosen_channel=chosen_channel)
    await client.views_publish(user_id=viewer.user_id, view=view)


async def app_home_opened_callback(
    event: dict[str, str], client: AsyncWebClient, context: AsyncBoltContext, home: HomeService
) -> None:
    if event.get("tab", "home") == "home":
        await publish_home(client, home, await acting_user(client, context, event["user"]))
