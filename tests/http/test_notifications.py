"""`POST /aws/events` (EventBridge API destination) over real HTTP, on SQLite and PostgreSQL; and the
CloudFormation template that points a customer's account at it."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import func
from sqlalchemy import select

from bolt_app.http.notifications import EVENTS_PATH
from bolt_app.http.notifications import app_event_bus_template
from bolt_app.http.notifications import events_route
from bolt_app.http.notifications import forwarding_template
from bolt_app.metrics import Metrics
from bolt_app.notifications_worker import WorkerOptions
from bolt_app.notifications_worker import serve_deliveries
from bolt_app.services.accounts import Actor
from bolt_app.services.notifications.events import CREATE
from storage.tables import notification_deliveries
from storage.tables import notification_events
from storage.tables import processed_events
from storage.workspaces import WorkspaceKey
from tests.fakes.aws import AwsDouble
from tests.helpers.identifiers import UNICODE_DIGITS
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import TEAM
from tests.helpers.notification_world import World
from tests.helpers.notification_world import case_of
from tests.helpers.notification_world import event_body
from tests.helpers.notification_world import notification_world
from tests.test_notifications_worker import HOSTILE_BODIES

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
        data = body if isinstance(body, str | bytes) else json.dumps(body)
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
    await world.services.accounts.authorize(
        Actor.member(WorkspaceKey("", TEAM), "U1", slack_admin=True), role
    )
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


async def test_hostile_bodies_get_400_and_store_nothing(endpoint: Endpoint) -> None:
    bodies: dict[str, str | bytes] = {**HOSTILE_BODIES, "not UTF-8": b'{"source": "\xff\xfe"}'}
    statuses = {name: (await endpoint.post(body, token=endpoint.token))[0] for name, body in bodies.items()}
    assert statuses == dict.fromkeys(bodies, 400)
    assert await endpoint.stored() == (0, 0, 0)


async def test_identifiers_that_are_not_ascii_or_end_in_a_newline_get_400(endpoint: Endpoint) -> None:
    case_id = endpoint.world.put_case()
    bodies = [
        event_body(CREATE, case_id, account=UNICODE_DIGITS),
        event_body(CREATE, case_id, account=f"{ACCOUNT}\n"),
        event_body(CREATE, f"{case_id}\n"),
    ]
    assert [(await endpoint.post(body, token=endpoint.token))[0] for body in bodies] == [400, 400, 400]
    assert await endpoint.stored() == (0, 0, 0)


async def test_an_event_whose_case_belongs_to_another_account_is_refused(endpoint: Endpoint) -> None:
    case_of_other = endpoint.world.put_case(account=OTHER_ACCOUNT)
    status, _, _ = await endpoint.post(
        event_body(CREATE, case_of_other, account=ACCOUNT), token=endpoint.token
    )
    assert status == 403
    assert await endpoint.stored() == (0, 0, 0)


async def test_made_up_tokens_cost_at_most_one_database_lookup_each(endpoint: Endpoint) -> None:
    metrics = Metrics()
    metrics.watch_engine(endpoint.world.services.engine)
    event = event_body(CREATE, endpoint.world.put_case())
    made_up = "awsev_" + "A" * 43  # the shape of a real token
    assert (await endpoint.post(event, token=made_up))[0] == 401
    one_lookup = metrics.count("db_statements")
    assert one_lookup > 0
    for token in ["x" * 100, "awsev_short", f"{made_up}A", *[made_up] * 200]:
        assert (await endpoint.post(event, token=token))[0] == 401
    assert metrics.count("db_statements") == one_lookup  # repeats and other shapes: no database
    assert (await endpoint.post(event, token=endpoint.token))[0] == 200  # a real one is still looked up


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


async def test_a_token_differing_only_in_its_last_character_is_refused(endpoint: Endpoint) -> None:
    case_id = endpoint.world.put_case()
    near = endpoint.token[:-1] + ("A" if endpoint.token[-1] != "A" else "B")
    status, body, _ = await endpoint.post(event_body(CREATE, case_id), token=near)
    assert (status, body) == (401, {"error": "unauthorized"})
    assert await endpoint.stored() == (0, 0, 0)
    assert (await endpoint.post(event_body(CREATE, case_id), token=endpoint.token))[0] == 200


async def test_a_stored_hash_that_differs_only_in_its_last_digit_does_not_match(endpoint: Endpoint) -> None:
    """The whole hash must match: a stored hash sharing all but the last digit with the presented token's is
    another token."""
    presented = "awsev_" + "t" * 43
    digest = hashlib.sha256(presented.encode()).hexdigest()
    stored = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    now = datetime.now(UTC)
    await endpoint.world.notifications.tokens.repository.set_events_token(ACCOUNT, stored, "test", now)
    case_id = endpoint.world.put_case()
    assert (await endpoint.post(event_body(CREATE, case_id), token=presented))[0] == 401
    assert await endpoint.stored() == (0, 0, 0)


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
    assert set(template["Parameters"]["Destination"]["AllowedValues"]) == {"ApiDestination", "EventBus"}
    auth = resources["Connection"]["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth == {"ApiKeyName": "Authorization", "ApiKeyValue": {"Fn::Sub": "Bearer ${EventsToken}"}}
    assert resources["ApiDestination"]["Properties"]["HttpMethod"] == "POST"

    names, conditions = _references({"Resources": resources, "Outputs": template["Outputs"]})
    declared = set(template["Parameters"]) | set(resources) | PSEUDO_PARAMETERS
    assert names - declared == set(), "references to nothing"
    assert conditions - set(template["Conditions"]) == set(), "unknown conditions"
    unused = set(template["Parameters"]) - _references(template)[0]
    assert unused == set(), "parameters no resource uses"


def _statements(node: Any) -> list[dict[str, Any]]:
    """Every policy statement in a template (IAM, queue and bus policies)."""
    if isinstance(node, list):
        return [s for item in node for s in _statements(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if "Effect" in node and "Action" in node else []
    return found + [s for value in node.values() for s in _statements(value)]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


def test_no_template_lets_a_customer_send_to_the_queue() -> None:
    for text in (forwarding_template(), app_event_bus_template()):
        senders = [s for s in _statements(yaml.safe_load(text)) if "sqs:SendMessage" in _actions(s)]
        assert senders, "the dead-letter and app queues are sent to by EventBridge"
        for statement in senders:
            assert statement["Principal"] == {"Service": "events.amazonaws.com"}
            assert "aws:SourceArn" in statement["Condition"]["ArnEquals"]


def test_the_app_bus_template_sends_only_its_rules_support_events_to_the_queue() -> None:
    template = yaml.safe_load(app_event_bus_template())
    resources = template["Resources"]
    rule = resources["SupportCaseRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == {"source": ["aws.support"], "detail-type": ["Support Case Update"]}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["Queue", "Arn"]}]
    (only,) = resources["QueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert only["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["SupportCaseRule", "Arn"]}}}
    assert resources["QueuePolicy"]["Properties"]["Queues"] == [{"Ref": "Queue"}]
    bus_policy = resources["ForwardingAccounts"]["Properties"]["Statement"]
    assert bus_policy["Principal"] == {"AWS": {"Ref": "ForwardingAccountIds"}}
    assert bus_policy["Action"] == "events:PutEvents"
    names, _ = _references({"Resources": resources, "Outputs": template["Outputs"]})
    assert names - (set(template["Parameters"]) | set(resources) | PSEUDO_PARAMETERS) == set()
    assert set(template["Parameters"]) - _references(template)[0] == set()
