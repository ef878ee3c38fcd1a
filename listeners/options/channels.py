"""The user-group type-ahead of "Configure channel"'s "Who can…" section."""

from __future__ import annotations

from bolt_app.blocks.common import MAX_OPTIONS
from bolt_app.blocks.common import option
from bolt_app.services.member_rules import MemberRules
from listeners.common import workspace_of
from listeners.errors import Options
from listeners.errors import reason_option
from listeners.requests import OptionsRequest
from listeners.requests import on_options


@on_options
async def member_groups_options(request: OptionsRequest, members: MemberRules) -> Options:
    groups = await members.workspace_groups(workspace_of(request.context), str(request.typed or ""))
    if not groups:
        return [reason_option("No user group matches; create one in Slack first")]
    return [option(g.name, g.code) for g in groups[:MAX_OPTIONS]]
