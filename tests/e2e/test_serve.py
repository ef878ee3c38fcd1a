"""The real `aws-support-slack serve` process, over HTTP, against the fake Slack Web API."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import SIGNING_SECRET
from tests.helpers.process import ServedApp
from tests.helpers.process import app_env
from tests.helpers.process import install_over_http
from tests.helpers.process import serve
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import slash_command_body


@pytest.fixture
def served(tmp_path: Path, slack: FakeSlackApi) -> Iterator[ServedApp]:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", slack.base_url)
    with serve(env, tmp_path) as app:
        yield app


async def test_help_through_the_served_process_answers_fast_and_calls_no_web_api_before_ack(
    served: ServedApp, slack: FakeSlackApi, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession() as http:
        await install_over_http(http, served.base_url)
        slack.clear()
        for _ in range(3):
            started = time.monotonic()
            response = await post_signed(
                http, served.base_url + "/slack/events", slash_command_body(), SIGNING_SECRET
            )
            elapsed = time.monotonic() - started
            assert response.status == 200
            assert response.json()["response_type"] == "ephemeral"
            assert elapsed < 3.0  # Slack's limit; the request itself is far faster
    assert slack.calls() == []  # not even auth.test
    key_file = tmp_path / "app.db.key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert "generated a key" in served.log()


def test_startup_without_settings_names_each_missing_one_and_exits_non_zero(tmp_path: Path) -> None:
    env = app_env(f"sqlite+aiosqlite:///{tmp_path}/app.db", "http://127.0.0.1:9/api/")
    for name in ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        env.pop(name)
    env["PORT"] = "not-a-port"
    result = subprocess.run(
        [sys.executable, "-m", "bolt_app.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 4, result.stderr
    for name in ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "PORT"):
        assert sum(name in line for line in lines) == 1
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "app.db").exists() and not (tmp_path / "app.db.key").exists()
