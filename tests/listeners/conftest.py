"""The listener tests' app: installed in workspace T0001, AWS answered by moto (IAM enforced), on SQLite.

A module whose subject reaches storage runs on both databases by overriding `listener_database` with
`database_url`; a module that needs Slack's admin and a member who is not uses the `admin_and_member` fixture
(`pytestmark = pytest.mark.usefixtures("admin_and_member")`); one that needs other users or channels sets them
on `slack` in a fixture of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness
from tests.helpers.app import app_settings
from tests.helpers.app import running_app
from tests.helpers.values import ADMIN
from tests.helpers.values import MEMBER


@pytest.fixture
def listener_database(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def admin_and_member(slack: FakeSlackApi) -> FakeSlackApi:
    """ADMIN is a Slack workspace admin, MEMBER is not."""
    slack.set_user(ADMIN, is_admin=True)
    slack.set_user(MEMBER, is_admin=False)
    return slack


@pytest.fixture
async def harness(listener_database: str, slack: FakeSlackApi, aws: AwsDouble) -> AsyncIterator[AppHarness]:
    async with running_app(app_settings(listener_database, slack), slack) as h:
        await h.install()
        yield h
