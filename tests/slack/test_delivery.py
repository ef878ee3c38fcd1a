"""The Slack adapter of the notifications, through the delivery loop: each channel's pace, Retry-After on one
channel not delaying another, channels and tokens that are gone, token rotation before posting."""

from __future__ import annotations

import asyncio
import time

from slack_sdk.oauth.installation_store import Installation

from bolt_app.notifications_worker import DeliveryLoop
from bolt_app.notifications_worker import WorkerOptions
from bolt_app.services.notifications.events import ADD_COMMUNICATION
from bolt_app.services.notifications.events import CREATE
from bolt_app.services.notifications.options import NotificationOptions
from storage.audit import AuditRepository
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import CLIENT_ID
from tests.helpers.notification_world import TEAM
from tests.helpers.notification_world import bot_token
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import kind_of
from tests.helpers.notification_world import notification_world
from tests.helpers.notification_world import shown

# Delivery: rate limits, channels and tokens that are gone, transient failures
# ---------------------------------------------------------------------------------------------------------------


async def test_posts_to_one_channel_keep_their_order_and_slacks_pace(sqlite_url: str, aws: AwsDouble) -> None:
    options = NotificationOptions(post_interval_seconds=1.0, lease_seconds=30.0)
    async with notification_world(sqlite_url, aws, options) as world:
        world.slack.rate_limit_per_channel(1.0, retry_after=1)  # like Slack: about one post per second
        await world.workspace()
        role = world.role()
        await world.configure("C0001", role=role)
        await world.configure("C0002", role=role)
        case_id = world.put_case()
        await world.send(CREATE, case_id)
        aws.add_aws_reply(case_id, "first answer", status=None)
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:1")
        aws.add_aws_reply(case_id, "second answer", status=None)
        await world.send(ADD_COMMUNICATION, case_id, origin="AWS", communication_id="ekko:2")
        await world.deliver()
        for channel in ("C0001", "C0002"):
            posts = world.posts(channel)
            assert [kind_of(c) for c in posts] == ["root", "correspondence", "correspondence"]
            assert "first answer" in shown(posts[1]) and "second answer" in shown(posts[2])
        assert [c for c in world.slack.calls("chat.postMessage") if c.status == 429] == []


async def test_a_429_on_one_channel_does_not_delay_another(sqlite_url: str, aws: AwsDouble) -> None:
    options = NotificationOptions(post_interval_seconds=0.0, lease_seconds=30.0)
    async with notification_world(sqlite_url, aws, options) as world:
        await world.workspace()
        slow, fast = ACCOUNT, "310987654321"
        await world.configure("CSLOW", account=slow, role=world.role(slow))
        await world.configure("CFAST", account=fast, role=world.role(fast))
        world.slack.fail("chat.postMessage", retry_after=30)  # the next post: CSLOW's, the only one due
        stop = asyncio.Event()
        loop_options = WorkerOptions(options, poll_seconds=0.1, shutdown_grace_seconds=0.1)
        running = asyncio.create_task(DeliveryLoop(world.notifications, "w1", loop_options).run(stop))
        try:
            await world.send(CREATE, world.put_case(slow), account=slow)
            [limited] = await world.slack.wait_for("chat.postMessage", where=lambda c: c.status == 429)
            assert limited.params["channel"] == "CSLOW"
            fast_cases = [world.put_case(fast) for _ in range(3)]
            for case_id in fast_cases:
                await world.send(CREATE, case_id, account=fast)
            await world.slack.wait_for(
                "chat.postMessage",
                count=3,
                where=lambda c: c.params.get("channel") == "CFAST" and not c.failed,
            )
            assert [case_of(c) for c in world.posts("CFAST")] == fast_cases
            assert world.posts("CSLOW") == []  # still waiting out its Retry-After
        finally:
            stop.set()
            await running
        # The slow channel's delivery was in hand when the loop stopped: it is not lost.
        world.clock.advance(options.lease_seconds + 1)
        await world.deliver()
        assert len(world.posts("CSLOW")) == 1


async def test_an_archived_channel_and_a_revoked_token_are_skipped_and_recorded(
    sqlite_url: str, aws: AwsDouble
) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace(TEAM)
        await world.workspace("T0002")
        role = world.role(name="Role1")
        await world.configure("COK", role=role)
        await world.configure("CARCHIVED", role=role)
        await world.configure("CREVOKED", role=world.role(name="Role2", team="T0002"), team="T0002")
        world.slack.set_channel("CARCHIVED", is_archived=True)
        world.slack.revoke_token(bot_token("T0002"))
        for _ in range(2):
            await world.send(CREATE, world.put_case())
            await world.deliver()

        assert len(world.posts("COK")) == 2
        tries = {
            ch: [c.error for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == ch]
            for ch in ("CARCHIVED", "CREVOKED")
        }
        assert tries == {"CARCHIVED": ["is_archived"] * 2, "CREVOKED": ["invalid_auth"] * 2}  # once per event
        outcomes = sorted(
            (r.channel.channel_id, r.state, r.outcome) for r in await world.deliveries.deliveries()
        )
        assert outcomes == sorted(
            [("COK", "posted", "root")] * 2
            + [("CARCHIVED", "skipped", "is_archived")] * 2
            + [("CREVOKED", "skipped", "invalid_auth")] * 2
        )
        audit = AuditRepository(world.services.engine)
        recorded = [
            (a.team_id, a.channel_id, a.outcome)
            for team in (TEAM, "T0002")
            for a in await audit.list(WorkspaceKey("", team))
            if a.action == "notification"
        ]
        assert sorted(recorded) == sorted(
            [(TEAM, "CARCHIVED", "skipped:is_archived")] * 2
            + [("T0002", "CREVOKED", "skipped:invalid_auth")] * 2
        )


async def test_a_token_about_to_expire_is_rotated_before_posting(sqlite_url: str, aws: AwsDouble) -> None:
    async with notification_world(sqlite_url, aws) as world:
        world.slack.oauth.token_rotation = True
        issued = await world.services.client.oauth_v2_access(
            client_id=CLIENT_ID, client_secret="client-secret", code="valid-code"
        )
        await world.workspace()  # then the install is replaced by one whose token expires within the hour
        await world.services.installation_store.async_save(
            Installation(
                app_id="A0001",
                enterprise_id=None,
                team_id=TEAM,
                user_id="U1",
                bot_token=issued["access_token"],
                bot_refresh_token=issued["refresh_token"],
                bot_token_expires_at=int(time.time()) + 600,
                bot_id="B0001",
                bot_user_id="UBOT0001",
                bot_scopes="chat:write",
                installed_at=time.time() + 1,
            )
        )
        await world.configure("C0001", role=world.role())
        await world.send(CREATE, world.put_case())
        await world.deliver()
        [post] = world.posts("C0001")
        assert post.token not in (issued["access_token"], bot_token(TEAM))
        stored = await world.services.installation_store.find_bot_uncached(
            enterprise_id=None, team_id=TEAM, is_enterprise_install=False
        )
        assert stored is not None and stored.bot_token == post.token  # rotated and saved, outside any request
