"""The user-group type-ahead of "Configure channel"'s "Who can…" section."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bolt_app.blocks.common import MAX_OPTIONS, option
from bolt_app.services.member_rules import MemberRules
from listeners.common import workspace_of
from listeners.errors import Options, answers_options, reason_option


@answers_options
async def member_groups_options(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext, members: MemberRules
) -> Options:
    groups = await members.workspace_groups(workspace_of(context), str(body.get("value") or ""))
    if not groups:
        return [reason_option("No user group matches; create one in Slack first")]
    return [option(g.name, g.code) for g in groups[:MAX_OPTIONS]]
