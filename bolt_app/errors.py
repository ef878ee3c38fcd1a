"""The one exception type whose message is meant for a person."""

from __future__ import annotations


class UserFacingError(Exception):
    """What failed, why, and what to do: shown to the user as it is.

    `field` names the modal field (block id) the message belongs to, when the error is about one input.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
