"""What an operator watches on a real `serve` process: JSON log lines, /metrics, /readyz."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from storage import db
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_api import USER_ID
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import SIGNING_SECRET
from tests.helpers.process import app_env
from tests.helpers.process import install_over_http
from tests.helpers.process import serve
from tests.helpers.slack_requests import event_body
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import slash_command_body


async def test_json_log_lines_parse_name_the_request_and_never_hold_a_token(
    tmp_path: Path, slack: FakeSlackApi
) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url)
    env |= {"LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}  # DEBUG: slack_sdk logs its requests, headers and all
    with serve(env, tmp_path) as app:
        async with aiohttp.ClientSession() as http:
            await install_over_http(http, app.base_url)
            slack.clear()
            home = event_body(
                {"type": "app_home_opened", "user": USER_ID, "channel": "D0000000001", "tab": "home"}
            )
            response = await post_signed(http, app.base_url + "/slack/events", home, SIGNING_SECRET)
            assert response.status == 200
            published = await slack.wait_for("views.publish", timeout=10)
        token = published[0].token
        assert token and token.startswith("xoxb-")
        log = app.log()
    lines = [json.loads(line) for line in log.splitlines()]  # every line is one JSON object
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    assert token not in log and token.removeprefix("xoxb-") not in log
    about_home = [line for line in lines if line.get("team") == TEAM_ID and line.get("user") == USER_ID]
    assert about_home and all(line.get("request_id") for line in about_home)
    assert len({line["request_id"] for line in about_home}) == 1  # one request, one ID


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_are_prometheus_text_and_count_requests_by_kind_and_outcome(
    tmp_path: Path, slack: FakeSlackApi
) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url) | {"METRICS_ENABLED": "1"}
    with serve(env, tmp_path) as app:
        async with aiohttp.ClientSession() as http:
            await install_over_http(http, app.base_url)
            for _ in range(2):
                ok = await post_signed(
                    http, app.base_url + "/slack/events", slash_command_body(), SIGNING_SECRET
                )
                assert ok.status == 200
            forged = await post_signed(
                http, app.base_url + "/slack/events", slash_command_body(), "not-the-secret"
            )
            assert forged.status == 401
            async with http.get(app.base_url + "/metrics") as r:
                assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
                samples = _samples(await r.text())
    command = frozenset({("kind", "command"), ("outcome", "ok")})
    assert samples[("aws_support_slack_slack_requests_total", command)] == 2
    rejected = frozenset({("kind", "command"), ("outcome", "rejected")})
    assert samples[("aws_support_slack_slack_requests_total", rejected)] == 1
    assert samples[("aws_support_slack_slack_ack_seconds_count", frozenset({("kind", "command")}))] == 3
    assert samples[("aws_support_slack_db_statements_total", frozenset())] > 0
    assert samples[("aws_support_slack_notification_deliveries_open", frozenset())] == 0
    assert samples[("aws_support_slack_deferred_cases_waiting", frozenset())] == 0


async def test_metrics_stay_off_unless_enabled(tmp_path: Path, slack: FakeSlackApi) -> None:
    with serve(app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url), tmp_path) as app:
        async with aiohttp.ClientSession() as http, http.get(app.base_url + "/metrics") as r:
            assert r.status == 404


async def test_readyz_is_ready_at_head_and_not_after_a_downgrade(tmp_path: Path, slack: FakeSlackApi) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url)
    with serve(env, tmp_path) as app:
        async with aiohttp.ClientSession() as http:
            async with http.get(app.base_url + "/readyz") as r:
                assert (r.status, await r.json()) == (200, {"status": "ok", "revision": db.head_revision()})
            down = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "bolt_app.cli", "db", "downgrade", "0001"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert down.returncode == 0, down.stderr
            async with http.get(app.base_url + "/readyz") as r:
                assert r.status == 503
                assert await r.json() == {
                    "status": "migrations pending",
                    "revision": "0001",
                    "head": db.head_revision(),
                }
            async with http.get(app.base_url + "/healthz") as r:
                assert r.status == 200  # alive, just not ready
