"""The notification rules, as one table used by the modal tests and the `channels apply` tests."""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    """A channel's notification setting and the words of the error it gets, or None when it is allowed."""

    severity: str
    new: bool  # new and reopened cases
    corr: bool  # correspondence
    resolved: bool
    error: str | None

    def kinds(self) -> tuple[str, ...]:
        """The modal's checkboxes that are ticked."""
        ticked = (("create_or_reopen", self.new), ("correspondence", self.corr), ("resolve", self.resolved))
        return tuple(k for k, on in ticked if on)


NOTIFICATION_RULES: list[Rule] = [
    Rule("all", True, True, True, None),
    Rule("all", False, True, False, None),
    Rule("all", False, False, False, "choose at least one"),
    Rule("high", False, False, True, None),
    Rule("high", False, False, False, "choose at least one"),
    Rule("none", False, False, False, None),
    Rule("none", True, False, False, "leave New and reopened cases"),
    Rule("none", False, False, True, "leave New and reopened cases"),
]
