"""Links that carry a few ASCII fields, signed and expiring: checked with the key alone, like the OAuth state."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from collections.abc import Sequence


class LinkExpired(Exception):
    """The link was signed by this app but is past its expiry."""


class LinkInvalid(Exception):
    """The link was not signed by this app (or was changed)."""


def derived_key(secret: str | None, purpose: str) -> bytes:
    """A key for `purpose` from a setting every process shares (the Slack client secret); without one, a key of
    this process only."""
    if not secret:
        return secrets.token_bytes(32)
    return hmac.new(secret.encode("utf-8"), f"aws-support-slack {purpose}".encode(), hashlib.sha256).digest()


class LinkSigner:
    """`sign(fields)` gives `<field>.<field>….<expiry>.<HMAC>`; `verify` gives the fields back. Fields must not
    contain "." (Slack and AWS identifiers do not)."""

    def __init__(self, key: bytes, ttl_seconds: int, clock: Callable[[], float] = time.time) -> None:
        self.key = key
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def _mac(self, text: str) -> str:
        digest = hmac.new(self.key, text.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, fields: Sequence[str]) -> str:
        if any("." in f or not f.isascii() for f in fields):
            raise ValueError("link fields must be ASCII without '.'")
        text = ".".join([*fields, str(int(self.clock()) + self.ttl_seconds)])
        return f"{text}.{self._mac(text)}"

    def verify(self, token: str) -> list[str]:
        """The signed fields; LinkInvalid for anything this app did not sign, LinkExpired once past its time."""
        text, _, mac = token.rpartition(".")
        if not text or not token.isascii() or not hmac.compare_digest(mac.encode(), self._mac(text).encode()):
            raise LinkInvalid
        *fields, expires = text.split(".")
        if int(expires) <= self.clock():
            raise LinkExpired
        return fields
