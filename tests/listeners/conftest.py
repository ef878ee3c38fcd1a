"""The listener tests' app: on SQLite, installed in workspace T0001, AWS answered by moto (IAM enforced).
A module that needs other Slack users or channels overrides `slack`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.aws import AwsDouble
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.app import AppHarness, app_settings, running_app


@pytest.fixture
async def harness(sqlite_url: str, slack: FakeSlackApi, aws: AwsDouble) -> AsyncIterator[AppHarness]:
    async with running_app(app_settings(sqlite_url, slack), slack) as h:
        await h.install()
        yield h
