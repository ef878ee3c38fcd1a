"""Events tokens: what an AWS account's EventBridge API destination sends to `POST /aws/events`."""

from __future__ import annotations

import hashlib
import secrets

from bolt_app.errors import UserFacingError
from bolt_app.services.accounts import parse_account_id
from bolt_app.services.notifications.options import Clock
from storage.notifications.events_tokens import EventsTokenRepository

_TOKEN_PREFIX = "awsev_"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EventsTokens:
    def __init__(self, repository: EventsTokenRepository, clock: Clock) -> None:
        self.repository = repository
        self.clock = clock

    async def issue(self, account_id: str, issued_by: str | None = None) -> str:
        """A new token for `POST /aws/events` of this account; the previous one stops working. Shown once."""
        account_id = parse_account_id(account_id)
        if not await self.repository.account_is_authorized(account_id):
            raise UserFacingError(
                f"AWS account {account_id} has not authorized any Slack workspace of this app, so it cannot send "
                "case events. Authorize it first (`/aws-support authorize-account`)."
            )
        token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
        await self.repository.set_events_token(account_id, _hash_token(token), issued_by, self.clock())
        return token

    async def account_for(self, token: str | None) -> str | None:
        """The account whose token this is; None for a missing or unknown one."""
        if not token or len(token) > 200:
            return None
        return await self.repository.account_for_token_hash(_hash_token(token))
