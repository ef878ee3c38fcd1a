"""Why a delivery ends without posting: skipped for good, or put back to be retried later. Raised by the
delivery's own checks, by the case reading, and by the Slack adapter behind `ChannelPosters`."""

from __future__ import annotations


class SkipDelivery(Exception):
    """Nothing to post, and trying again would not change that (the channel is gone, the token revoked…)."""

    def __init__(self, reason: str, detail: str | None = None, audit: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        self.audit = audit


class RetryDelivery(Exception):
    """A passing failure (Slack or AWS unavailable): the delivery is tried again later, a bounded number of times."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
