"""The member policy value: what it reads from the file vocabulary, what it writes back, what it allows."""

from __future__ import annotations

import pytest

from bolt_app.services.member_policy import ADMINS_ONLY
from bolt_app.services.member_policy import InvalidPolicy
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import Who
from bolt_app.services.member_policy import parse_policy
from bolt_app.services.member_policy import stored_policy

ISSUE_BLOCK = {
    "create": "everyone",
    "reply": "everyone",
    "resolve": ["S0ONCALL"],
    "quota": "admins",
    "max_severity": "high",
    "critical_allowed": ["S0ONCALL"],
}


def test_the_issue_block_reads_and_writes_back_unchanged() -> None:
    policy = parse_policy(ISSUE_BLOCK)
    assert policy.resolve == Who("listed", ("S0ONCALL",)) and policy.quota == Who("admins")
    assert policy.as_mapping() == ISSUE_BLOCK
    assert parse_policy(policy.as_mapping()) == policy


def test_absent_or_everyone_everywhere_is_the_default_and_is_left_out_of_the_file() -> None:
    assert parse_policy(None).is_default and parse_policy({}).is_default
    assert parse_policy({a: "everyone" for a in ("create", "reply", "resolve", "quota")}).as_mapping() is None


def test_every_problem_is_reported_with_its_key() -> None:
    with pytest.raises(InvalidPolicy) as refused:
        parse_policy({"create": "all", "close": "admins", "max_severity": "sev1", "reply": ["X1"]})
    assert [p.key for p in refused.value.problems] == ["create", "close", "max_severity", "reply"]


@pytest.mark.parametrize(
    ("above_allowed", "offered"),
    [(False, ["low", "normal", "high"]), (True, ["low", "normal", "high", "urgent", "critical"])],
)
def test_the_ceiling_keeps_the_levels_up_to_it_unless_above_is_allowed(
    above_allowed: bool, offered: list[str]
) -> None:
    levels = ["low", "normal", "high", "urgent", "critical"]
    assert parse_policy({"max_severity": "high"}).severities_for(levels, above_allowed) == offered
    assert MemberPolicy().severities_for(levels, False) == levels


def test_an_unreadable_stored_policy_lets_only_admins_act() -> None:
    assert stored_policy({"resolve": "on-call"}) == ADMINS_ONLY
    assert stored_policy(None).is_default


def test_a_long_list_is_summarised_with_a_count() -> None:
    policy = parse_policy({"reply": [f"U000{i}X" for i in range(8)]})
    assert policy.summary() == "reply: <@U0000X>, <@U0001X>, <@U0002X>, <@U0003X>, <@U0004X> and 3 more"
