"""Requests from Slack through the real app: signatures, help, authorization, uninstall, rotation, org installs,
and the services the composition root hands to listeners."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from bolt_app.app import build_services
from bolt_app.app import services_by_name
from bolt_app.blocks.cases.parts import CREATE_CASE_VIEW
from bolt_app.blocks.cases.parts import SEE_DETAILS_ACTION
from storage.db import create_engine
from storage.tables import metadata
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.slack_requests import action
from tests.helpers.slack_requests import block_actions_payload
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import modal_view
from tests.helpers.slack_requests import slash_command_body
from tests.helpers.slack_requests import view_submission_payload


async def _rows(h: AppHarness, table: str) -> list[dict[str, object]]:
    async with h.services.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(f"SELECT * FROM {table}"))]


async def test_help_lists_the_commands_without_calling_slack(harness: AppHarness) -> None:
    await harness.install()
    harness.slack.clear()
    for text_ in ("help", "", "frobnicate", "payload"):
        response = await harness.command(text_)
        assert response.status == 200
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert "/aws-support help" in str(body["blocks"])
        if text_ in (
            "frobnicate",
            "payload",
        ):  # Bolt's own parse would drop a form holding the word "payload"
            assert f"`{text_}` is not a command" in str(body["blocks"])
    assert harness.slack.calls() == []  # authorize answered from the store: no auth.test


async def test_help_puts_everyday_commands_first_and_admin_commands_apart(harness: AppHarness) -> None:
    await harness.install()
    sections = [
        b["text"]["text"] for b in (await harness.command("help")).json()["blocks"] if b["type"] == "section"
    ]
    everyday, admins = sections
    assert everyday.startswith("*Everyday*") and admins.startswith("*For admins*")
    for command in ("create-case", "search-case", "service-quota-increase", "help"):
        assert f"`/aws-support {command}" in everyday and command not in admins
    for command in ("configure-channel", "authorize-account", "register-organization", "audit"):
        assert f"`/aws-support {command}" in admins and command not in everyday
    assert "(admins)" not in everyday + admins  # the heading says it once


async def test_a_bad_signature_or_an_old_timestamp_is_refused(harness: AppHarness) -> None:
    await harness.install()
    harness.slack.clear()
    body = slash_command_body(text="help")
    stale = await harness.post(body, timestamp=int(time.time()) - 6 * 60)
    assert stale.status == 401
    async with harness.http.post(
        harness.url("/slack/events"),
        data=body,
        headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef"},
    ) as r:
        assert r.status == 401
    assert harness.slack.calls() == []


async def test_a_workspace_that_is_not_installed_is_told_to_install(harness: AppHarness) -> None:
    response = await harness.command("help")
    assert response.status == 200
    assert "/slack/install" in response.json()["text"]
    assert harness.slack.calls() == []


async def test_uninstall_deletes_tokens_keeps_the_workspace_and_reinstall_restores_it(
    harness: AppHarness,
) -> None:
    await harness.install()
    external_id = (await _rows(harness, "workspaces"))[0]["external_id"]

    response = await harness.post(event_body({"type": "app_uninstalled"}))
    assert response.status == 200

    async def uninstalled() -> bool:  # the listener's last step
        return (await _rows(harness, "workspaces"))[0]["uninstalled_at"] is not None

    await _wait(uninstalled, True)
    assert await _rows(harness, "slack_installations") == [] and await _rows(harness, "slack_bots") == []
    assert "not installed in this workspace" in (await harness.command("help")).json()["text"]

    await harness.install()
    workspace = (await _rows(harness, "workspaces"))[0]
    assert workspace["external_id"] == external_id and workspace["uninstalled_at"] is None
    assert (await harness.command("help")).json()["response_type"] == "ephemeral"


async def test_revoked_bot_tokens_are_deleted(harness: AppHarness) -> None:
    await harness.install()
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
    assert (await harness.post(event_body(event))).status == 200
    await _wait(lambda: _count(harness, "slack_bots"), 0)
    assert len(await _rows(harness, "workspaces")) == 1


async def test_an_expiring_token_is_rotated_on_the_next_request_and_stored_encrypted(
    harness: AppHarness,
) -> None:
    harness.slack.oauth.token_rotation = True
    await harness.install()
    store = harness.services.installation_store
    bot = await store.async_find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None
    first_refresh = bot.bot_refresh_token
    async with harness.services.engine.begin() as conn:  # the token now expires within the rotation window
        await conn.execute(text("UPDATE slack_bots SET bot_token_expires_at = '2000-01-01 00:00:00'"))
    store.bot_cache.clear()
    harness.slack.clear()

    responses = [await harness.command("help") for _ in range(3)]
    assert all(r.json()["response_type"] == "ephemeral" for r in responses)
    refreshes = [
        c for c in harness.slack.calls("oauth.v2.access") if c.params.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1 and refreshes[0].params["refresh_token"] == first_refresh
    store.bot_cache.clear()
    rotated = await store.async_find_bot(enterprise_id=None, team_id="T0001")
    assert rotated is not None and rotated.bot_refresh_token != first_refresh
    raw = repr(await _rows(harness, "slack_bots"))
    assert rotated.bot_token not in raw and str(rotated.bot_refresh_token) not in raw


async def test_an_org_wide_install_serves_every_workspace_of_the_org(harness: AppHarness) -> None:
    harness.slack.oauth.enterprise_id = "E0001"
    harness.slack.oauth.is_enterprise_install = True
    await harness.install()
    workspaces = await _rows(harness, "workspaces")
    assert [(w["enterprise_id"], w["team_id"]) for w in workspaces] == [("E0001", "")]
    for team in ("T0001", "T0002"):
        body = slash_command_body(
            text="help", team_id=team, enterprise_id="E0001", is_enterprise_install=True
        )
        assert (await harness.post(body)).json()["response_type"] == "ephemeral"


async def test_healthz_answers_503_while_the_database_is_unreachable_and_the_server_keeps_serving(
    harness: AppHarness,
) -> None:
    await harness.install()
    assert (await harness.get("/healthz")).status == 200
    working = harness.services.engine
    harness.services.engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        down = await harness.get("/healthz")
        assert down.status == 503 and "database" in down.text
        assert (await harness.command("help")).json()["response_type"] == "ephemeral"
    finally:
        await harness.services.engine.dispose()
        harness.services.engine = working
    assert (await harness.get("/healthz")).status == 200


async def _count(h: AppHarness, table: str) -> int:
    return len(await _rows(h, table))


async def _wait(probe, expected, within: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Events are acknowledged before their listener runs: wait on the outcome, bounded."""
    import asyncio

    deadline = time.monotonic() + within
    while (value := await probe()) != expected:
        assert time.monotonic() < deadline, f"still {value!r}, expected {expected!r}"
        await asyncio.sleep(0.02)


async def test_a_signed_but_malformed_interactivity_payload_is_a_client_error(harness: AppHarness) -> None:
    await harness.install()
    response = await harness.post("payload=%7Bnot-json", content_type="application/x-www-form-urlencoded")
    assert response.status == 400
    assert (await harness.get("/healthz")).status == 200


def _form(payload: object) -> str:
    return "payload=" + quote(json.dumps(payload))


_CLICK = block_actions_payload(action(SEE_DETAILS_ACTION, "123456789012:case-123456789012-2026-ab:"))
_SUBMIT = view_submission_payload(modal_view(CREATE_CASE_VIEW))
# Signed payloads of the wrong shape (each one answered 500 before, or reached a listener): form bodies, then
# Events API bodies.
MALFORMED_PAYLOADS: dict[str, str] = {
    "payload null": _form(None),
    "payload array": _form([_CLICK]),
    "payload string": _form("block_actions"),
    "team a string": _form(_CLICK | {"team": "T0001"}),
    "team an array": _form(_CLICK | {"team": ["T0001"]}),
    "user a string": _form(_CLICK | {"user": "U0001"}),
    "user missing": _form({k: v for k, v in _CLICK.items() if k != "user"}),
    "actions a string": _form(_CLICK | {"actions": SEE_DETAILS_ACTION}),
    "actions an object": _form(_CLICK | {"actions": _CLICK["actions"][0]}),
    "actions of strings": _form(_CLICK | {"actions": [SEE_DETAILS_ACTION]}),
    "view a string": _form(_SUBMIT | {"view": CREATE_CASE_VIEW}),
    "view null": _form(_SUBMIT | {"view": None}),
    "state a string": _form(_SUBMIT | {"view": _SUBMIT["view"] | {"state": "values"}}),
    "state.values a string": _form(_SUBMIT | {"view": _SUBMIT["view"] | {"state": {"values": "x"}}}),
    "state.values an array": _form(_SUBMIT | {"view": _SUBMIT["view"] | {"state": {"values": [{}]}}}),
    "state.values of strings": _form(_SUBMIT | {"view": _SUBMIT["view"] | {"state": {"values": {"b": "x"}}}}),
    # what Bolt's parse_body reads as JSON is checked: a percent-encoded payload key, a form that is JSON
    "payload key percent-encoded": "p%61yload=" + quote(json.dumps([_CLICK])) + "&note=payload",
    "a JSON body sent as a form": json.dumps(_CLICK | {"user": "U0001"}),
}
MALFORMED_EVENTS: dict[str, str] = {
    "event body null": "null",
    "event body an array": "[]",
    "event body a string": '"event_callback"',
    "team_id an array": json.dumps({"type": "event_callback", "team_id": ["T0001"], "event": {"type": "x"}}),
    "event a string": json.dumps({"type": "event_callback", "team_id": "T0001", "event": "app_home_opened"}),
    "an interactivity payload as JSON": json.dumps(_CLICK | {"actions": SEE_DETAILS_ACTION}),
}


async def _table_counts(h: AppHarness) -> dict[str, int]:
    async with h.services.engine.connect() as conn:
        return {
            t.name: (await conn.execute(select(func.count()).select_from(t))).scalar_one()
            for t in metadata.sorted_tables
        }


async def test_every_malformed_payload_shape_is_a_400_and_nothing_runs(harness: AppHarness) -> None:
    await harness.install()
    harness.slack.clear()
    before = await _table_counts(harness)
    statuses = {}
    for name, body in MALFORMED_PAYLOADS.items():
        statuses[name] = (await harness.post(body, content_type="application/x-www-form-urlencoded")).status
    for name, body in MALFORMED_EVENTS.items():
        statuses[name] = (await harness.post(body, content_type="application/json")).status
    assert statuses == dict.fromkeys([*MALFORMED_PAYLOADS, *MALFORMED_EVENTS], 400)
    assert harness.slack.calls() == []
    assert await _table_counts(harness) == before
    assert (await harness.get("/healthz")).status == 200


async def test_an_unsigned_malformed_payload_is_refused_and_nothing_runs(harness: AppHarness) -> None:
    await harness.install()
    harness.slack.clear()
    before = await _table_counts(harness)
    for body in (MALFORMED_PAYLOADS["team a string"], MALFORMED_PAYLOADS["payload null"]):
        async with harness.http.post(
            harness.url("/slack/events"),
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": "v0=deadbeef",
            },
        ) as response:
            assert response.status == 401
    assert harness.slack.calls() == [] and await _table_counts(harness) == before


async def test_bolt_hands_each_service_to_a_listener_that_names_it(
    sqlite_url: str, slack: FakeSlackApi
) -> None:
    """The composition root's middleware, a real Bolt app and its kwargs injection: a listener that asks for a
    service by its name gets that very object (a name Bolt uses itself, like `options`, would get Bolt's)."""
    services = await build_services(app_settings(sqlite_url, slack))
    offered = services.for_listeners()
    received: dict[str, object] = {}

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-test", bot_id="B1"
        )

    async def listener(  # type: ignore[no-untyped-def]
        ack,
        workspaces,
        accounts,
        channels,
        home,
        cases,
        quotas,
        notifications,
        case_actions,
        audit_log,
        role_templates,
        members,
    ):
        await ack()
        received.update(
            members=members,
            workspaces=workspaces,
            accounts=accounts,
            channels=channels,
            home=home,
            cases=cases,
            quotas=quotas,
            notifications=notifications,
            case_actions=case_actions,
            audit_log=audit_log,
            role_templates=role_templates,
        )

    app = AsyncApp(signing_secret="s", authorize=authorize, request_verification_enabled=False)
    app.use(services_by_name(services))
    app.command("/aws-support")(listener)
    try:
        response = await app.async_dispatch(
            AsyncBoltRequest(
                body=slash_command_body(), headers={"content-type": "application/x-www-form-urlencoded"}
            )
        )
    finally:
        await services.close()
    assert response.status == 200
    assert set(received) == set(offered)  # the listener above names every service the bundle offers
    assert all(received[name] is service for name, service in offered.items())
