"""Only admins change a workspace's AWS configuration: the services enforce it, whoever calls them."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

import pytest

from bolt_app.bundle import Services
from bolt_app.errors import UserFacingError
from bolt_app.services.channels import ConfigureRequest
from bolt_app.services.context import Actor
from storage.channels import ChannelConfigRow
from storage.channels import Notifications
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble

ACCOUNT = "210987654321"
TEAM = WorkspaceKey("", "T0001")
EXTERNAL_ID = "external-id-T0001-" + "x" * 30
ALL = Notifications("all", True, True, True)
ADMIN = Actor.member(TEAM, "U0001", slack_admin=True)
MEMBER = Actor.member(TEAM, "U0002")
REFUSED = "Only Slack workspace admins and owners"


@pytest.fixture(autouse=True)
async def _installed(services: Services) -> None:
    await services.workspaces.repository.record_install(TEAM, "Team", "U0001", EXTERNAL_ID)


async def _configured(services: Services, aws: AwsDouble) -> str:
    """An authorized account attached to channel C0001; returns the role."""
    role = aws.create_role(ACCOUNT, external_id=EXTERNAL_ID)
    await services.accounts.authorize(ADMIN, role, "Prod")
    row = ChannelConfigRow(TEAM, "C0001", "ops", ACCOUNT, None, role, ALL, "U0001")
    await services.channels.repository.save(row, per_account=20, per_channel=100)
    return role


async def _state(services: Services) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]]]:
    accounts = [(r.account.account_id, r.account.account_name) for r in await services.accounts.list(TEAM)]
    channels = [(r.channel_id, r.account_id) for r in await services.channels.for_workspace(TEAM)]
    return accounts, channels


Change = Callable[[Services, Actor, str], Awaitable[object]]
CHANGES: dict[str, Change] = {
    "authorize": lambda s, who, role: s.accounts.authorize(who, role, "Renamed"),
    "rename": lambda s, who, role: s.accounts.rename(who, ACCOUNT, "Renamed"),
    "remove account": lambda s, who, role: s.accounts.remove(who, ACCOUNT),
    "register organization": lambda s, who, role: s.accounts.register_organization(who, ACCOUNT),
    "configure channel": lambda s, who, role: s.channels.configure(
        who, ConfigureRequest("C0002", "new", ACCOUNT, None, ALL)
    ),
    "remove channel": lambda s, who, role: s.channels.remove(who, "C0001", ACCOUNT),
    "open the authorize form": lambda s, who, role: s.accounts.setup_to_authorize(who),
    "open the rename form": lambda s, who, role: s.accounts.to_rename(who, ACCOUNT),
    "open the organization form": lambda s, who, role: s.accounts.organization_candidates(who),
}


@pytest.mark.parametrize("change", ["rename", "configure channel", "remove channel"])
@pytest.mark.parametrize("who", ["listed as the app's admin", "operator"])
async def test_the_apps_listed_admins_and_operators_may_change_it(
    services: Services, aws: AwsDouble, change: str, who: str
) -> None:
    role = await _configured(services, aws)
    if who == "operator":
        actor = Actor.at_command_line(TEAM, "cli:ops")
    else:
        await services.workspaces.repository.set_admins(TEAM, [MEMBER.user_id])
        actor = MEMBER
    before = await _state(services)
    await CHANGES[change](services, actor, role)
    assert await _state(services) != before


async def test_the_list_shows_the_buttons_to_admins_only(services: Services, aws: AwsDouble) -> None:
    await _configured(services, aws)
    assert (await services.accounts.list_for(ADMIN)).admin
    assert not (await services.accounts.list_for(MEMBER)).admin
    assert not (await services.home.overview(MEMBER)).admin
    await services.workspaces.repository.set_admins(TEAM, [MEMBER.user_id])
    assert (await services.home.overview(MEMBER)).admin


async def test_another_workspaces_admin_list_does_not_count(services: Services, aws: AwsDouble) -> None:
    await _configured(services, aws)
    other = WorkspaceKey("", "T0002")
    await services.workspaces.repository.record_install(
        other, "Other", "U0002", "external-id-T0002-" + "x" * 30
    )
    await services.workspaces.repository.set_admins(other, [MEMBER.user_id])
    with pytest.raises(UserFacingError, match=REFUSED):
        await services.channels.remove(MEMBER, "C0001", ACCOUNT)


# An admin of their own workspace, acting through ours from a Slack Connect channel.
OUTSIDER = Actor(TEAM, "U0EXT01", slack_admin=True, home=WorkspaceKey("", "T0EXT99"))


REFUSALS = {
    "a member": (MEMBER, REFUSED),
    "an admin of another workspace": (OUTSIDER, "belongs to Team; only its members can change it"),
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("who", REFUSALS)
async def test_who_may_not_change_the_app_is_refused_every_change_and_nothing_changes(
    services: Services, aws: AwsDouble, change: str, who: str
) -> None:
    actor, refusal = REFUSALS[who]
    role = await _configured(services, aws)
    before, calls = await _state(services), len(aws.calls)
    with pytest.raises(UserFacingError, match=refusal):
        await CHANGES[change](services, actor, role)
    assert await _state(services) == before
    assert len(aws.calls) == calls  # refused before AWS is asked anything


async def test_an_admin_of_another_workspace_gets_no_admin_buttons(
    services: Services, aws: AwsDouble
) -> None:
    await _configured(services, aws)
    assert not await services.workspaces.is_admin(OUTSIDER)
