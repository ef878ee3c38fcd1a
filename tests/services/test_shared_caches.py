"""Services built to listen drop what another process changed, within a second, on PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import replace

import pytest
from slack_sdk.oauth.installation_store import Installation

from bolt_app.app import Services
from bolt_app.app import build_services
from bolt_app.settings import Settings
from storage.channels import ChannelConfigRow
from storage.crypto import generate_key
from storage.workspaces import WorkspaceKey
from tests.conftest import _truncate_all
from tests.fakes.aws import AwsDouble

KEY = WorkspaceKey("", "T0001")
ACCOUNT = "210987654321"
WITHIN = 1.0


async def _within(seconds: float, condition: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `condition` holds; fails after `seconds`."""
    started = time.monotonic()
    while not await condition():
        elapsed = time.monotonic() - started
        assert elapsed < seconds, f"still not seen after {elapsed:.2f} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
async def two_processes(_postgres_database: str, aws: AwsDouble) -> AsyncIterator[tuple[Services, Services]]:
    """`here` listens like a serving process; `elsewhere` stands for another process (or an admin command)."""
    await _truncate_all(_postgres_database)
    settings = Settings(
        database_url=_postgres_database, token_encryption_keys=(generate_key(),), client_id="1.2"
    )
    here = await build_services(settings, listen_for_changes=True)
    elsewhere = await build_services(settings)
    assert here.changes is not None and elsewhere.changes is None
    yield here, elsewhere
    await here.close()
    await elsewhere.close()


async def test_an_account_renamed_elsewhere_shows_its_new_name_within_a_second(
    two_processes: tuple[Services, Services],
) -> None:
    here, elsewhere = two_processes
    await elsewhere.workspaces.repository.record_install(KEY, "Team", "U1", "x" * 43)
    row = ChannelConfigRow(KEY, "C1", "aws", ACCOUNT, None, f"arn:aws:iam::{ACCOUNT}:role/R")
    await elsewhere.channels.repository.save(row, per_account=20, per_channel=100)
    [cached] = await here.channels.channel_accounts(KEY, "C1")
    assert "Prod" not in cached.account_shown

    await elsewhere.accounts.repository.rename(ACCOUNT, "Prod")

    async def renamed() -> bool:
        [account] = await here.channels.channel_accounts(KEY, "C1")
        return "Prod" in account.account_shown

    await _within(WITHIN, renamed)


async def test_a_token_rotated_elsewhere_is_used_here_within_a_second(
    two_processes: tuple[Services, Services],
) -> None:
    here, elsewhere = two_processes
    installation = Installation(
        app_id="A0001", team_id="T0001", bot_token="xoxb-first", bot_id="B1", bot_user_id="UB1", user_id="U1"
    )
    await elsewhere.installation_store.async_save(installation)
    bot = await here.installation_store.async_find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None and bot.bot_token == "xoxb-first"

    rotated = installation.to_bot()
    rotated.bot_token = "xoxb-rotated"
    await elsewhere.installation_store.async_save_bot(rotated)

    async def uses_rotated() -> bool:
        bot = await here.installation_store.async_find_bot(enterprise_id=None, team_id="T0001")
        return bot is not None and bot.bot_token == "xoxb-rotated"

    await _within(WITHIN, uses_rotated)


async def test_sqlite_serves_one_process_and_listens_for_nothing(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, token_encryption_keys=(generate_key(),))
    services = await build_services(replace(settings), listen_for_changes=True)
    try:
        assert services.changes is None
    finally:
        await services.close()
