"""Who in a channel may do what with its AWS configuration: the member policy of one channel configuration.

The channel's IAM role stays the ceiling (AWS enforces it); the policy only narrows who among the channel's members
may create cases, reply, resolve and reopen, and request quota increases, and up to which severity. Absent, everyone
in the channel may do everything the role allows (the AWS app's behaviour).

The policy is read once from the file vocabulary (`members:` in channels-as-code, the stored JSON, the modal's
values turned into that vocabulary) by `parse_policy`, and written back with `MemberPolicy.as_mapping`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

ACTIONS = ("create", "reply", "resolve", "quota")
Action = Literal["create", "reply", "resolve", "quota"]
SEVERITY_ORDER = ("low", "normal", "high", "urgent", "critical")  # AWS Support's severity codes, lowest first
POLICY_KEYS = (*ACTIONS, "max_severity", "critical_allowed")

# What each rule is called where it is set (the configure-channel modal's "Who can…" section).
RULE_NAMES: dict[str, str] = {
    "create": "Who can create cases",
    "reply": "Who can reply",
    "resolve": "Who can resolve and reopen",
    "quota": "Who can request quota increases",
    "max_severity": "Highest severity",
    "critical_allowed": "Who can go above it",
}
ACTION_WORDS: dict[str, str] = {
    "create": "create cases",
    "reply": "reply to cases",
    "resolve": "resolve or reopen cases",
    "quota": "request quota increases",
}
SHOWN_IDS = 5  # a summary names this many and counts the rest (lists keep to Slack's text limits)
SHORT_NAMES = {"create": "create", "reply": "reply", "resolve": "resolve/reopen", "quota": "quotas"}

EVERYONE = "everyone"
ADMINS = "admins"
# Slack user groups (S…), users (U…) and Enterprise Grid users (W…).
SLACK_ID = re.compile(r"[SUW][A-Z0-9]{2,20}")


@dataclass(frozen=True)
class Who:
    """Who may do one action: everyone in the channel, the app's admins, or the listed user groups and users."""

    kind: Literal["everyone", "admins", "listed"] = "everyone"
    ids: tuple[str, ...] = ()

    @property
    def everyone(self) -> bool:
        return self.kind == EVERYONE

    def as_value(self) -> str | list[str]:
        return list(self.ids) if self.kind == "listed" else self.kind

    def shown(self) -> str:
        """In Slack's words: mentions of the groups and users (the IDs were checked, nothing to escape)."""
        if self.kind != "listed":
            return "the app's admins" if self.kind == ADMINS else "everyone"
        shown = ", ".join(mention(i) for i in self.ids[:SHOWN_IDS]) or "nobody"
        more = len(self.ids) - SHOWN_IDS
        return f"{shown} and {more} more" if more > 0 else shown


ANYONE = Who()


def mention(slack_id: str) -> str:
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"


@dataclass(frozen=True)
class MemberPolicy:
    create: Who = ANYONE
    reply: Who = ANYONE
    resolve: Who = ANYONE
    quota: Who = ANYONE
    max_severity: str | None = None  # None: every severity the account's plan offers
    critical_allowed: tuple[str, ...] = field(default=())

    def who(self, action: Action) -> Who:
        return getattr(self, action)  # type: ignore[no-any-return]

    @property
    def is_default(self) -> bool:
        return self == MemberPolicy()

    def severities_for(self, codes: Iterable[str], above_allowed: bool) -> list[str]:
        """The severity codes of `codes` a member may pick: all of them up to `max_severity`, or all for a member
        of `critical_allowed` (`above_allowed`)."""
        if self.max_severity is None or above_allowed:
            return list(codes)
        return [c for c in codes if severity_rank(c) <= severity_rank(self.max_severity)]

    def as_mapping(self) -> dict[str, Any] | None:
        """The file vocabulary (`channels list` prints it): every action, then the severity ceiling when there is
        one; None for the default policy, which the file leaves out."""
        if self.is_default:
            return None
        out: dict[str, Any] = {a: self.who(a).as_value() for a in ACTIONS}  # type: ignore[arg-type]
        if self.max_severity is not None:
            out["max_severity"] = self.max_severity
        if self.critical_allowed:
            out["critical_allowed"] = list(self.critical_allowed)
        return out

    def summary(self) -> str:
        """One line: what is narrowed, or that everyone may do everything the role allows."""
        parts = [
            f"{SHORT_NAMES[a]}: {self.who(a).shown()}"  # type: ignore[arg-type]
            for a in ACTIONS
            if not self.who(a).everyone  # type: ignore[arg-type]
        ]
        if self.max_severity is not None:
            above = ", ".join(mention(i) for i in self.critical_allowed)
            parts.append(f"severity up to {self.max_severity}" + (f" (above: {above})" if above else ""))
        return "; ".join(parts) if parts else "everyone in the channel can do what the role allows"


def severity_rank(code: str) -> int:
    """A code AWS knows but this list does not (a new plan's) ranks above critical: it needs critical_allowed."""
    return SEVERITY_ORDER.index(code) if code in SEVERITY_ORDER else len(SEVERITY_ORDER)


@dataclass(frozen=True)
class PolicyProblem:
    key: str | None  # the key it is about (None: the block itself)
    message: str


class InvalidPolicy(ValueError):
    def __init__(self, problems: list[PolicyProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _ids(value: Any, key: str, problems: list[PolicyProblem]) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else None
    if items is None:
        problems.append(PolicyProblem(key, f"{key} must be a list of user group (S…) and user (U…, W…) IDs"))
        return None
    bad = [i for i in items if not isinstance(i, str) or not SLACK_ID.fullmatch(i)]
    if bad:
        shown = ", ".join(repr(b) for b in bad)
        problems.append(PolicyProblem(key, f"{key}: {shown} is not a user group (S…) or user (U…, W…) ID"))
        return None
    return tuple(dict.fromkeys(items))  # duplicates once, order kept


def _who(value: Any, key: str, problems: list[PolicyProblem]) -> Who | None:
    if value in (EVERYONE, ADMINS):
        return Who(value)
    if isinstance(value, str):
        problems.append(
            PolicyProblem(key, f"{key} must be everyone, admins or a list of IDs (got {value!r})")
        )
        return None
    ids = _ids(value, key, problems)
    return None if ids is None else Who("listed", ids)


def parse_policy(raw: Mapping[str, Any] | None) -> MemberPolicy:
    """The policy a `members:` mapping states; InvalidPolicy listing every problem (keys starting with "__" are
    the file reader's bookkeeping and are skipped)."""
    if raw is None:
        return MemberPolicy()
    if not isinstance(raw, Mapping):
        raise InvalidPolicy([PolicyProblem(None, "members must be a mapping of actions to who may do them")])
    problems: list[PolicyProblem] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(key, str) and key.startswith("__"):
            continue
        if key in ACTIONS:
            values[key] = _who(value, key, problems)
        elif key == "max_severity":
            if value not in SEVERITY_ORDER:
                problems.append(
                    PolicyProblem(
                        key, f"max_severity must be one of: {', '.join(SEVERITY_ORDER)} (got {value!r})"
                    )
                )
            values[key] = value
        elif key == "critical_allowed":
            values[key] = _ids(value, key, problems)
        else:
            problems.append(
                PolicyProblem(
                    key,
                    f"unknown action {key!r} in members; the actions are {', '.join(ACTIONS)} (besides "
                    "max_severity and critical_allowed)",
                )
            )
    if problems:
        raise InvalidPolicy(problems)
    return MemberPolicy(**{k: v for k, v in values.items() if v is not None})


ADMINS_ONLY = MemberPolicy(*(Who(ADMINS) for _ in ACTIONS))


def stored_policy(raw: Mapping[str, Any] | None) -> MemberPolicy:
    """The policy a configuration row holds. Every writer validated it; should a row still not parse (edited by
    hand), only the app's admins may act until it is set again: a guardrail fails closed."""
    try:
        return parse_policy(raw)
    except InvalidPolicy:
        return ADMINS_ONLY
