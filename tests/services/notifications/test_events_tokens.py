"""Events tokens of `POST /aws/events`: stored hashed, one per account."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import Actor
from storage.tables import events_tokens
from tests.fakes.aws import AwsDouble
from tests.helpers.notification_world import ACCOUNT
from tests.helpers.notification_world import notification_world

# Events tokens
# ---------------------------------------------------------------------------------------------------------------


async def test_an_events_token_is_stored_hashed_and_a_new_one_revokes_the_old(
    database_url: str, aws: AwsDouble
) -> None:
    async with notification_world(database_url, aws) as world:
        key = await world.workspace()
        with pytest.raises(UserFacingError, match="has not authorized"):
            await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        await world.services.accounts.authorize(Actor.member(key, "U1", slack_admin=True), world.role())
        with pytest.raises(UserFacingError, match="12 digits"):
            await world.notifications.issue_events_token("1234", "cli:test")

        first = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        assert await world.notifications.account_for_token(first) == ACCOUNT
        async with world.services.engine.connect() as conn:
            stored = (await conn.execute(select(events_tokens.c.token_hash))).scalars().all()
        assert stored == [hashlib.sha256(first.encode()).hexdigest()] and first not in stored
        second = await world.notifications.issue_events_token(ACCOUNT, "cli:test")
        assert await world.notifications.account_for_token(first) is None
        assert await world.notifications.account_for_token(second) == ACCOUNT
        assert await world.notifications.account_for_token(None) is None


# ---------------------------------------------------------------------------------------------------------------
