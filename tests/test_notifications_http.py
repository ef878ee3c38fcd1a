"""`POST /aws/events` (EventBridge API destination) over real HTTP, on SQLite and PostgreSQL; and the
CloudFormation template that points a customer's account at it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bolt_app.notifications_http import EVENTS_PATH, events_route, forwarding_template
from bolt_app.notifications_worker import WorkerOptions, serve_deliveries
from bolt_app.services.accounts import Actor
from bolt_app.services.notifications.events import CREATE
from storage.tables import notification_deliveries, notification_events, processed_events
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ACCOUNT, TEAM, World, case_of, event_body, notification_world

OTHER_ACCOUNT = "310987654321"
UNKNOWN_ACCOUNT = "999999999999"


@dataclass
class Endpoint:
    world: World
    http: aiohttp.ClientSession
    url: str
    token: str  # ACCOUNT's
    other_token: str  # OTHER_ACCOUNT's

    async def post(
        self, body: Any, token: str | None = None, scheme: str = "Bearer"
    ) -> tuple[int, dict[str, Any], str]:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"{scheme} {token}"
        data = body if isinstance(body, str) else json.dumps(body)
        async with self.http.post(self.url, data=data, headers=headers) as response:
            return response.status, await response.json(), response.headers.get("WWW-Authenticate", "")

    async def stored(self) -> tuple[int, int, int]:
        """(events, deliveries, idempotency keys)"""
        async with self.world.services.engine.connect() as conn:
            counts = [
                (await conn.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (notification_events, notification_deliveries, processed_events)
            ]
        return counts[0], counts[1], counts[2]


async def _authorized_account(world: World, account: str, role_name: str) -> str:
    role = world.role(account, role_name)
    await world.services.accounts.authorize(Actor(WorkspaceKey("", TEAM), "U1", slack_admin=True), role)
    return role


async def _serve(app: web.Application) -> TestServer:
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


@pytest.fixture
async def endpoint(database_url: str, aws: AwsDouble) -> AsyncIterator[Endpoint]:
    async with notification_world(database_url, aws) as world:
        await world.workspace()
        role = await _authorized_account(world, ACCOUNT, "NotifyRole")
        await _authorized_account(world, OTHER_ACCOUNT, "OtherRole")
        await world.configure("C0001", role=role)
        token = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        other_token = await world.notifications.issue_events_token(OTHER_ACCOUNT, "cli:test")
        app = web.Application()
        app.router.add_post(EVENTS_PATH, events_route(world.notifications))
        server = await _serve(app)
        try:
            async with aiohttp.ClientSession() as http:
                yield Endpoint(world, http, str(server.make_url(EVENTS_PATH)), token, other_token)
        finally:
            await server.close()


async def test_requests_without_the_accounts_token_or_event_are_refused_and_store_nothing(
    endpoint: Endpoint,
) -> None:
    case_id = endpoint.world.put_case()
    event = event_body(CREATE, case_id)
    refusals = [
        (await endpoint.post(event), 401),
        (await endpoint.post(event, token="awsev_not-a-token"), 401),
        (await endpoint.post(event, token=endpoint.token, scheme="Basic"), 401),
        (
            await endpoint.post(event_body(CREATE, "c", account=UNKNOWN_ACCOUNT), token="awsev_not-a-token"),
            401,
        ),
        (await endpoint.post("{not json", token=endpoint.token), 400),
        (await endpoint.post(event | {"source": "aws.ec2"}, token=endpoint.token), 400),
        (await endpoint.post(event | {"detail": {"case-id": case_id}}, token=endpoint.token), 400),
        (await endpoint.post(event, token=endpoint.other_token), 403),
        (
            await endpoint.post(event_body(CREATE, case_id, account=UNKNOWN_ACCOUNT), token=endpoint.token),
            403,
        ),
    ]
    assert [status for (status, _, _), _ in refusals] == [expected for _, expected in refusals]
    unauthorized = {json.dumps(body) for (status, body, _), _ in refusals if status == 401}
    assert unauthorized == {'{"error": "unauthorized"}'}  # the same answer whatever account is named
    assert all(challenge.startswith("Bearer") for (status, _, challenge), _ in refusals if status == 401)
    forbidden = {json.dumps(body) for (status, body, _), _ in refusals if status == 403}
    assert len(forbidden) == 1  # an existing other account and an unknown one look alike
    assert await endpoint.stored() == (0, 0, 0)
    assert endpoint.world.slack.calls() == []


async def test_an_event_with_its_accounts_token_is_accepted_once_and_delivered(endpoint: Endpoint) -> None:
    case_id = endpoint.world.put_case()
    event = event_body(CREATE, case_id)
    first = await endpoint.post(event, token=endpoint.token)
    again = await endpoint.post(event, token=endpoint.token)
    assert (first[0], first[1], again[0], again[1]) == (
        200,
        {"status": "accepted"},
        200,
        {"status": "duplicate"},
    )
    assert await endpoint.stored() == (1, 1, 2)
    await endpoint.world.deliver()
    assert [case_of(c) for c in endpoint.world.posts("C0001")] == [case_id]


async def test_a_new_events_token_revokes_the_old_one(endpoint: Endpoint) -> None:
    fresh = await endpoint.world.notifications.issue_events_token(ACCOUNT, "cli:test")
    case_id = endpoint.world.put_case()
    assert (await endpoint.post(event_body(CREATE, case_id), token=endpoint.token))[0] == 401
    assert (await endpoint.post(event_body(CREATE, case_id), token=fresh))[0] == 200


async def test_serve_delivers_what_arrives_over_http(sqlite_url: str, aws: AwsDouble) -> None:
    async with notification_world(sqlite_url, aws) as world:
        await world.workspace()
        role = await _authorized_account(world, ACCOUNT, "NotifyRole")
        await world.configure("C0001", role=role)
        token = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        app = web.Application()
        app.router.add_post(EVENTS_PATH, events_route(world.notifications))
        serve_deliveries(app, world.notifications, WorkerOptions(world.options, poll_seconds=0.2))
        server = await _serve(app)
        try:
            case_id = world.put_case()
            async with aiohttp.ClientSession() as http:
                headers = {"Authorization": f"Bearer {token}"}
                async with http.post(
                    server.make_url(EVENTS_PATH), json=event_body(CREATE, case_id), headers=headers
                ) as r:
                    assert r.status == 200
            [post] = await world.slack.wait_for("chat.postMessage", timeout=10)
            assert case_of(post) == case_id
        finally:
            await asyncio.wait_for(server.close(), 30)


# ---------------------------------------------------------------------------------------------------------------
# The forwarding template
# ---------------------------------------------------------------------------------------------------------------

PSEUDO_PARAMETERS = {"AWS::Region", "AWS::AccountId", "AWS::NoValue", "AWS::StackName", "AWS::Partition"}


def _references(node: Any) -> tuple[set[str], set[str]]:
    """(names used by Ref / Fn::GetAtt / Fn::Sub, conditions used by Fn::If / Condition)."""
    names: set[str] = set()
    conditions: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                names.add(value)
            elif key == "Fn::GetAtt":
                names.add(value[0])
            elif key == "Fn::Sub":
                names.update(part.split("}")[0] for part in str(value).split("${")[1:])
            elif key == "Fn::If":
                conditions.add(value[0])
            elif key == "Condition" and isinstance(value, str):
                conditions.add(value)
            found = _references(value)
            names |= found[0]
            conditions |= found[1]
    elif isinstance(node, list):
        for item in node:
            found = _references(item)
            names |= found[0]
            conditions |= found[1]
    return names, conditions


def test_the_forwarding_template_sends_support_case_updates_from_us_east_1() -> None:
    template = yaml.safe_load(forwarding_template())
    resources = template["Resources"]
    rule = resources["SupportCaseUpdateRule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["aws.support"], "detail-type": ["Support Case Update"]}
    assert rule["State"] == "ENABLED"
    region_rule = template["Rules"]["UsEast1Only"]["Assertions"][0]["Assert"]
    assert region_rule == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    assert template["Parameters"]["EventsToken"]["NoEcho"] is True
    assert set(template["Parameters"]["Destination"]["AllowedValues"]) == {
        "ApiDestination",
        "EventBus",
        "Queue",
    }
    auth = resources["Connection"]["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth == {"ApiKeyName": "Authorization", "ApiKeyValue": {"Fn::Sub": "Bearer ${EventsToken}"}}
    assert resources["ApiDestination"]["Properties"]["HttpMethod"] == "POST"

    names, conditions = _references({"Resources": resources, "Outputs": template["Outputs"]})
    declared = set(template["Parameters"]) | set(resources) | PSEUDO_PARAMETERS
    assert names - declared == set(), "references to nothing"
    assert conditions - set(template["Conditions"]) == set(), "unknown conditions"
    unused = set(template["Parameters"]) - _references(template)[0]
    assert unused == set(), "parameters no resource uses"
