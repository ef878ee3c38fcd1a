"""Notifications of two Enterprise Grid orgs installed org-wide (team_id "" each) in one Slack Connect channel: each
org's deliveries run under its own channel lease, with its own configuration, bot and thread. Two orgs hold
configurations of one channel only when the rows predate migration 0002 (the old ownership check could not
tell the orgs apart); the app must still keep them apart. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime

from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from bolt_app.services.notifications.events import CREATE
from storage.channels import ChannelConfigRow
from storage.notifications.values import POSTED
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ALL
from tests.helpers.notification_world import World
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import external_id
from tests.helpers.notification_world import notification_world

CHANNEL = "C0SHARED"
ACCOUNT_ONE, ACCOUNT_TWO = "210987654321", "310987654321"
ORG_ONE, ORG_TWO = WorkspaceKey("E0001", ""), WorkspaceKey("E0002", "")


def token_of(org: WorkspaceKey) -> str:
    return f"xoxb-{org.enterprise_id}-org-wide"


async def install_org_wide(world: World, org: WorkspaceKey) -> None:
    await world.services.workspaces.repository.record_install(
        org, f"Org {org.enterprise_id}", "U1", external_id(org.enterprise_id)
    )
    await world.services.installation_store.async_save(
        Installation(
            app_id="A0001",
            enterprise_id=org.enterprise_id,
            team_id=None,
            user_id="U1",
            bot_token=token_of(org),
            bot_id="B0001",
            bot_user_id="UBOT0001",
            bot_scopes="chat:write",
            is_enterprise_install=True,
            installed_at=time.time(),
        )
    )
    world.slack.add_token(
        token_of(org),
        team_id=f"T{org.enterprise_id}",
        enterprise_id=org.enterprise_id,
        is_enterprise_install=True,
    )


async def test_two_orgs_in_one_channel_each_get_their_own_cases_from_their_own_bot(
    database_url: str, aws: AwsDouble
) -> None:
    async with notification_world(database_url, aws) as world:
        for org in (ORG_ONE, ORG_TWO):
            await install_org_wide(world, org)
        role_one = world.role(ACCOUNT_ONE, "OrgOne", team=ORG_ONE.enterprise_id)
        role_two = world.role(ACCOUNT_TWO, "OrgTwo", team=ORG_TWO.enterprise_id)
        row = ChannelConfigRow(ORG_ONE, CHANNEL, "shared-ops", ACCOUNT_ONE, None, role_one, ALL, "test")
        await world.services.channels.repository.save(row, per_account=20, per_channel=100)
        async with world.services.engine.begin() as conn:  # Org Two's row, as the old code let it be saved
            await conn.execute(
                text(
                    "INSERT INTO channel_configurations (enterprise_id, team_id, channel_id, account_id, "
                    "channel_name, role_arn, notify_on_case_severity, notify_on_create_or_reopen_case, "
                    "notify_on_add_correspondence_to_case, notify_on_resolve_case, created_at, updated_at) "
                    "VALUES (:e, '', :c, :a, 'shared-ops', :r, 'all', true, true, true, :now, :now)"
                ),
                {
                    "e": ORG_TWO.enterprise_id,
                    "c": CHANNEL,
                    "a": ACCOUNT_TWO,
                    "r": role_two,
                    "now": datetime(2026, 11, 30, 12),
                },
            )
        case_one, case_two = world.put_case(ACCOUNT_ONE), world.put_case(ACCOUNT_TWO)
        await world.send(CREATE, case_one, account=ACCOUNT_ONE)
        await world.send(CREATE, case_two, account=ACCOUNT_TWO)
        await world.deliver()

        posted = {case_of(c): c.token for c in world.posts(CHANNEL)}
        assert posted == {case_one: token_of(ORG_ONE), case_two: token_of(ORG_TWO)}
        deliveries = await world.deliveries.deliveries()
        assert sorted((d.channel.workspace.enterprise_id, d.state) for d in deliveries) == [
            ("E0001", POSTED),
            ("E0002", POSTED),
        ]
        async with world.services.engine.connect() as conn:
            threads = await conn.execute(
                text("SELECT enterprise_id, case_id FROM case_threads ORDER BY enterprise_id")
            )
            assert [(r[0], r[1]) for r in threads] == [("E0001", case_one), ("E0002", case_two)]
