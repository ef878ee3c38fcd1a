"""OAuth states: signed and stateless until used, single use, expiring, optionally carrying the AWS account an
install was started for.

Issuing a state (each anonymous `GET /slack/install`) writes nothing: the state is
`<nonce>.<expiry>.<account>.<HMAC>`, checked with the key alone. Only a state that comes back to the redirect
with a valid signature, before its expiry, is recorded (its nonce, until it expires), which is what makes it
single use; rows of expired states are purged then too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.clock import utc_naive
from storage.db import reader
from storage.tables import slack_oauth_states

_NO_ACCOUNT = "-"


def state_key(secret: str | None) -> bytes:
    """The signing key for states, derived from a setting every process of the app shares (the Slack client
    secret); without one, a key of this process (its states work only here)."""
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode("utf-8"), b"aws-support-slack oauth state v1", hashlib.sha256).digest()


def _naive_utc(epoch: float) -> datetime:
    return utc_naive(datetime.fromtimestamp(epoch, UTC))


@dataclass(frozen=True)
class ConsumedState:
    aws_account_id: str | None


@dataclass(frozen=True)
class _Signed:
    nonce: str
    expires: int
    aws_account_id: str | None


class OAuthStateStore(AsyncOAuthStateStore):
    def __init__(
        self,
        engine: AsyncEngine,
        key: bytes | None = None,
        expiration_seconds: int = 600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.key = key or secrets.token_bytes(32)
        self.expiration_seconds = expiration_seconds
        self.clock = clock
        self._logger = logging.getLogger(__name__)

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def _sign(self, text: str) -> str:
        digest = hmac.new(self.key, text.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    async def async_issue(self, *args: object, aws_account_id: str | None = None, **kwargs: object) -> str:
        expires = int(self.clock()) + self.expiration_seconds
        text = f"{secrets.token_urlsafe(16)}.{expires}.{aws_account_id or _NO_ACCOUNT}"
        return f"{text}.{self._sign(text)}"

    def _verified(self, state: str) -> _Signed | None:
        text, _, signature = state.rpartition(".")
        if not text or not hmac.compare_digest(signature.encode(), self._sign(text).encode()):
            return None
        nonce, expires, account = text.split(".")  # signed by us, so in our format
        return _Signed(nonce, int(expires), None if account == _NO_ACCOUNT else account)

    async def async_consume(self, state: str) -> bool:
        """Records the state used; False if it is forged, expired or already used.

        The row is kept until the state expires, so the install's success step can read what it carried."""
        try:
            signed = self._verified(state)
        except (ValueError, UnicodeError):
            return False  # not a state of ours
        now = self.clock()
        if signed is None or signed.expires <= now:
            return False
        c = slack_oauth_states.c
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(slack_oauth_states).where(c.expire_at <= _naive_utc(now)))
                await conn.execute(
                    insert(slack_oauth_states).values(
                        state=signed.nonce,
                        expire_at=_naive_utc(signed.expires),
                        aws_account_id=signed.aws_account_id,
                        consumed_at=_naive_utc(now),
                    )
                )
        except IntegrityError:
            return False  # its nonce is recorded: used before
        return True

    async def consumed(self, state: str) -> ConsumedState | None:
        """What a state consumed by this install carried; None for a state that was never consumed."""
        try:
            signed = self._verified(state)
        except (ValueError, UnicodeError):
            return None
        if signed is None:
            return None
        c = slack_oauth_states.c
        async with reader(self.engine).connect() as conn:
            row = (await conn.execute(select(c.id).where(c.state == signed.nonce))).first()
        return None if row is None else ConsumedState(aws_account_id=signed.aws_account_id)
