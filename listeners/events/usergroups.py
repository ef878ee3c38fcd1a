"""A user group changed (members added or removed, the group edited or disabled): the member rules read its
members again on the next action instead of waiting for their cache to expire."""

from __future__ import annotations

from typing import Any

from bolt_app.services.member_rules import MemberRules


async def subteam_members_changed_callback(event: dict[str, Any], members: MemberRules) -> None:
    group_id = event.get("subteam_id")
    if isinstance(group_id, str) and group_id:
        members.forget_group(group_id)


async def subteam_updated_callback(event: dict[str, Any], members: MemberRules) -> None:
    group_id = (event.get("subteam") or {}).get("id")
    if isinstance(group_id, str) and group_id:
        members.forget_group(group_id)
