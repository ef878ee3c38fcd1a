"""Who belongs to the workspace whose configuration it is (Slack Connect, Enterprise Grid)."""

from __future__ import annotations

import pytest

from bolt_app.services.context import ChannelAccount
from bolt_app.services.context import SlackActor
from bolt_app.services.membership import NotAMember
from bolt_app.services.membership import belongs_to
from bolt_app.services.membership import require_member
from storage.workspaces import WorkspaceKey

PLAIN = WorkspaceKey("", "T0001")  # a workspace outside any Grid org
GRID_WORKSPACE = WorkspaceKey("E0001", "T1001")  # a workspace-level install in org E0001
ORG_WIDE = WorkspaceKey("E0001", "")  # an org-wide install of org E0001


@pytest.mark.parametrize(
    ("home", "workspace", "belongs"),
    [
        (PLAIN, PLAIN, True),
        (WorkspaceKey("", "T0EXT99"), PLAIN, False),  # Slack Connect guest
        (WorkspaceKey("E0009", "T0001"), PLAIN, True),  # team IDs are unique: the enterprise adds nothing
        # Grid, workspace-level install: members of that workspace only, not of a sibling workspace of the org
        (GRID_WORKSPACE, GRID_WORKSPACE, True),
        (WorkspaceKey("E0001", "T1002"), GRID_WORKSPACE, False),
        # Grid, org-wide install: any member of the org, nobody of another org or of no org
        (WorkspaceKey("E0001", "T1002"), ORG_WIDE, True),
        (WorkspaceKey("E0002", "T2001"), ORG_WIDE, False),
        (WorkspaceKey("", "T2001"), ORG_WIDE, False),  # another organization, its enterprise not known
        (WorkspaceKey("", ""), WorkspaceKey("", ""), False),  # no org at all is no one's org
    ],
)
def test_who_belongs_to_a_workspace(home: WorkspaceKey, workspace: WorkspaceKey, belongs: bool) -> None:
    assert belongs_to(home, workspace) is belongs


def _channel(owner: WorkspaceKey) -> ChannelAccount:
    return ChannelAccount(
        owner, "C1", "ops", "210987654321", "Prod", "arn", "ext", workspace_name="Acme <ops>"
    )


def test_a_user_must_belong_to_the_installation_and_to_the_configurations_workspace() -> None:
    member = SlackActor.member(PLAIN, "U1", "Ann")
    require_member(_channel(PLAIN), member)
    with pytest.raises(NotAMember, match="belongs to Acme <ops>; only its members can use it"):
        require_member(_channel(PLAIN), SlackActor(PLAIN, "U2", "Bob", home=WorkspaceKey("", "T0EXT99")))
    with pytest.raises(NotAMember):  # a configuration of another workspace, whoever asks through this one
        require_member(_channel(WorkspaceKey("", "T0002")), member)
