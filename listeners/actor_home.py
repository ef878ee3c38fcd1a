"""The acting user's own workspace, read from the payload before any listener runs (`context["actor_home"]`).

Bolt's `context.team_id` is the installation the request came through; in a Slack Connect channel the user may
belong to another organization. Interactivity payloads say so in `user.team_id` (Bolt's `actor_team_id` falls
back to the payload's team there); slash commands run only in a workspace that installed the app, so their
`team_id`/`enterprise_id` are the caller's own. A user of another team is taken to be in the payload's
enterprise (a sibling workspace of one Grid org) unless the payload marks the channel `is_ext_shared_channel`.

The user's name as the payload gives it goes into `context["actor_name"]` (the audit trail records it).
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext

from storage.workspaces import WorkspaceKey


def home_of(body: dict[str, Any], context: AsyncBoltContext) -> WorkspaceKey:
    enterprise = context.actor_enterprise_id or context.enterprise_id or ""
    user = body.get("user")
    user_team = user.get("team_id") if isinstance(user, dict) else None
    if not isinstance(user_team, str) or not user_team:
        return WorkspaceKey(enterprise, context.actor_team_id or context.team_id or "")
    team = body.get("team")
    payload_team = team.get("id") if isinstance(team, dict) else None
    external = body.get("is_ext_shared_channel") is True and user_team not in (payload_team, context.team_id)
    return WorkspaceKey("" if external else (context.enterprise_id or ""), user_team)


def name_of(body: dict[str, Any]) -> str | None:
    """Slash commands send `user_name`; interactivity payloads `user.name` or `user.username`."""
    user = body.get("user")
    name = user.get("name") or user.get("username") if isinstance(user, dict) else body.get("user_name")
    return name if isinstance(name, str) and name else None


async def read_actor_home(
    body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
) -> None:
    context["actor_home"] = home_of(body, context)
    context["actor_name"] = name_of(body)
    await next()
