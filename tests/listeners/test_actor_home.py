"""The acting user's own workspace as each kind of Slack payload states it."""

from __future__ import annotations

from typing import Any

import pytest
from slack_bolt.context.async_context import AsyncBoltContext

from listeners.actor_home import home_of
from storage.workspaces import WorkspaceKey


def context(**values: Any) -> AsyncBoltContext:
    return AsyncBoltContext({k: v for k, v in values.items() if v is not None})


@pytest.mark.parametrize(
    ("body", "ctx", "home"),
    [
        # slash command: the caller's own workspace (and org)
        ({"command": "/aws-support", "team_id": "T1"}, {"team_id": "T1", "actor_team_id": "T1"}, ("", "T1")),
        (
            {"command": "/aws-support", "team_id": "T1", "enterprise_id": "E1"},
            {"team_id": "T1", "enterprise_id": "E1", "actor_team_id": "T1", "actor_enterprise_id": "E1"},
            ("E1", "T1"),
        ),
        # a click by a member of the installing workspace
        ({"team": {"id": "T1"}, "user": {"id": "U1", "team_id": "T1"}}, {"team_id": "T1"}, ("", "T1")),
        # a click by a Slack Connect guest: their own team, no enterprise of ours
        (
            {"team": {"id": "T1"}, "user": {"id": "U9", "team_id": "T9"}, "is_ext_shared_channel": True},
            {"team_id": "T1", "enterprise_id": "E1"},
            ("", "T9"),
        ),
        # a member of a sibling workspace of the Grid org (org-shared, not externally shared)
        (
            {"team": {"id": "T1"}, "user": {"id": "U2", "team_id": "T2"}, "enterprise": {"id": "E1"}},
            {"team_id": "T1", "enterprise_id": "E1"},
            ("E1", "T2"),
        ),
        # view submission opened in another workspace: Bolt's team is view.app_installed_team_id
        (
            {"team": {"id": "T9"}, "user": {"id": "U1", "team_id": "T1"}, "is_ext_shared_channel": True},
            {"team_id": "T1", "enterprise_id": "E1"},
            ("E1", "T1"),
        ),
    ],
)
def test_the_home_workspace_of_each_payload(body: dict[str, Any], ctx: dict[str, Any], home: tuple) -> None:
    assert home_of(body, context(**ctx)) == WorkspaceKey(*home)
