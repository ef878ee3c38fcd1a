"""The services tests' Services: built from settings on SQLite, with moto (IAM enforced) behind AWS.

A module whose subject reaches storage runs on both databases by overriding `services_database` with
`database_url`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bolt_app.app import Services
from bolt_app.app import build_services
from bolt_app.settings import Settings
from storage.crypto import generate_key
from tests.fakes.aws import AwsDouble


@pytest.fixture
def services_database(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
async def services(services_database: str, aws: AwsDouble) -> AsyncIterator[Services]:
    services = await build_services(
        Settings(database_url=services_database, token_encryption_keys=(generate_key(),))
    )
    yield services
    await services.close()
