"""Made-up bearer tokens on `POST /aws/events` are answered without the database.

A token that is not in the shape the app issues (`awsev_` and 43 URL-safe characters) is refused outright; one
in that shape that the database did not know is remembered (by its hash, in a bounded cache, for a few minutes),
so repeating it costs nothing. Known tokens are always looked up, so a new token revokes the old at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable
from collections.abc import Callable

from cachetools import TTLCache

TOKEN_SHAPE = re.compile(r"awsev_[A-Za-z0-9_-]{43}", re.ASCII)


class EventsTokenGate:
    def __init__(
        self,
        lookup: Callable[[str], Awaitable[str | None]],
        max_unknown: int = 10_000,
        unknown_seconds: float = 300.0,
    ) -> None:
        self.lookup = lookup
        self.unknown: TTLCache[bytes, bool] = TTLCache(maxsize=max_unknown, ttl=unknown_seconds)

    async def account_for_token(self, token: str | None) -> str | None:
        if token is None or not TOKEN_SHAPE.fullmatch(token):
            return None
        digest = hashlib.sha256(token.encode("ascii")).digest()
        if digest in self.unknown:
            return None
        account = await self.lookup(token)
        if account is None:
            # A token issued later cannot be in here: it is 256 random bits no one has sent before.
            self.unknown[digest] = True
        return account
