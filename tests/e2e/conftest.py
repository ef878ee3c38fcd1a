from collections.abc import Iterator

import pytest

from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    """The fake Slack Web API in its own thread: the app under test is another process."""
    with FakeSlackApi() as fake:
        yield fake
