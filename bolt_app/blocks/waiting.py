"""What a user sees while their request waits for its turn at AWS's rate limit."""

from __future__ import annotations


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


REPLACED = "The result replaces this message."
POSTED = "It is sent when its turn comes, and what AWS answers is shown in this channel."
SHOWN_BELOW = "What AWS answers is shown in the channel, only to you, and this window says so."


def waiting_text(what: str, place: int, then: str = REPLACED) -> str:
    """`what` names the request ("your search"); `place` is 1 for the next one AWS will take; `then` says what
    happens next."""
    return f"AWS is busy: {what} is {ordinal(place)} in line for AWS's rate limit for this account. {then}"
