"""A choice offered in a picker (a support service's category, a severity, a Service Quotas service or quota, an
AWS account) and the type-ahead filter of the pickers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """Its code (the option's value) and the name shown."""

    code: str
    name: str


def filter_choices(choices: list[Choice], query: str | None) -> list[Choice]:
    """Choices whose name or code holds every typed word; exact and prefix matches of the code first. All of
    them: the blocks cut the list to Slack's 100 options and say how many more there are."""
    words = (query or "").casefold().split()
    found = [c for c in choices if all(w in f"{c.name} {c.code}".casefold() for w in words)]
    if words:
        typed = " ".join(words)

        def rank(c: Choice) -> int:
            code, name = c.code.casefold(), c.name.casefold()
            return 0 if code == typed else 1 if code.startswith(typed) or name.startswith(typed) else 2

        found.sort(key=rank)  # stable: alphabetical within a rank
    return found
