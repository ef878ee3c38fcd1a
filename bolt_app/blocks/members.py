"""The "Who can…" section of "Configure channel" (the channel's member policy), its reader, and the one-line
summary lists show.

Per action, a Slack user picks Everyone, the app's admins, or "Only these people and groups"; then the people
with Slack's own user picker (multi_users_select) and the user groups with a type-ahead of the workspace's groups
(Block Kit has no user-group picker; `GROUPS_ACTION` answers from usergroups.list). The severity ceiling is one
select, and who may go above it the same two pickers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bolt_app.blocks.common import Block
from bolt_app.blocks.common import context
from bolt_app.blocks.common import header
from bolt_app.blocks.common import option
from bolt_app.blocks.common import plain
from bolt_app.errors import UserFacingError
from bolt_app.services.member_policy import ACTIONS
from bolt_app.services.member_policy import ADMINS
from bolt_app.services.member_policy import EVERYONE
from bolt_app.services.member_policy import RULE_NAMES
from bolt_app.services.member_policy import SEVERITY_ORDER
from bolt_app.services.member_policy import InvalidPolicy
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import parse_policy
from bolt_app.services.member_policy import stored_policy

GROUPS_ACTION = "member_policy_groups"  # the user-group type-ahead (listeners/options/channels.py)
WHO_ACTION = "member_policy_who"  # a rule's choice changed: the modal shows or hides its pickers
LISTED = "listed"
ANY_SEVERITY = "any"
WHO_CHOICES = {
    EVERYONE: "Everyone in the channel",
    ADMINS: "The app's admins",
    LISTED: "Only these people and groups",
}
SEVERITY_CHOICES = {ANY_SEVERITY: "Any severity the support plan offers"} | {
    s: f"Up to {s}" for s in SEVERITY_ORDER
}


def who_block(rule: str) -> str:
    return f"who_{rule}"


def people_block(rule: str) -> str:
    return f"who_{rule}_people"


def groups_block(rule: str) -> str:
    return f"who_{rule}_groups"


def _select(block_id: str, label: str, choices: Mapping[str, str], initial: str) -> Block:
    options = [option(text, value) for value, text in choices.items()]
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "dispatch_action": True,  # "Only these people and groups" (or a ceiling) shows the pickers
        "element": {
            "type": "static_select",
            "action_id": WHO_ACTION,
            "options": options,
            "initial_option": next(o for o in options if o["value"] == initial),
        },
    }


def _pickers(rule: str, ids: tuple[str, ...], prefix: str = "") -> list[Block]:
    users = [i for i in ids if not i.startswith("S")]
    groups = [i for i in ids if i.startswith("S")]
    people: dict[str, Any] = {"type": "multi_users_select", "action_id": "value"}
    if users:
        people["initial_users"] = users
    group_select: dict[str, Any] = {
        "type": "multi_external_select",
        "action_id": GROUPS_ACTION,
        "min_query_length": 0,
    }
    if groups:
        # Only the IDs are stored; the type-ahead shows the handles when the admin searches.
        group_select["initial_options"] = [option(g, g) for g in groups]
    return [
        {
            "type": "input",
            "block_id": people_block(rule),
            "optional": True,
            "label": plain(f"{prefix}people" if prefix else "People"),
            "element": people,
        },
        {
            "type": "input",
            "block_id": groups_block(rule),
            "optional": True,
            "label": plain(f"{prefix}user groups" if prefix else "User groups"),
            "element": group_select,
        },
    ]


def who_can_blocks(policy: MemberPolicy) -> list[Block]:
    """The section, prefilled with `policy` (the default one: everyone, any severity)."""
    blocks: list[Block] = [
        header("Who can…"),
        context(
            "The channel's role stays the limit (AWS enforces it); these rules narrow who in the channel may use "
            f"it. Now: {policy.summary()}."
        ),
    ]
    for rule in ACTIONS:
        who = policy.who(rule)  # type: ignore[arg-type]
        initial = LISTED if who.kind == "listed" else who.kind
        blocks.append(_select(who_block(rule), RULE_NAMES[rule], WHO_CHOICES, initial))
        if who.kind == LISTED:
            blocks.extend(_pickers(rule, who.ids))
    blocks.append(
        _select(
            who_block("max_severity"),
            RULE_NAMES["max_severity"],
            SEVERITY_CHOICES,
            policy.max_severity or ANY_SEVERITY,
        )
    )
    if policy.max_severity is not None:
        blocks.extend(_pickers("critical_allowed", policy.critical_allowed, "Above it: "))
    return blocks


def _selected(state: Mapping[str, Any], block_id: str) -> list[str]:
    element = next(iter((state.get("values", {}).get(block_id) or {}).values()), {})
    if element.get("type") == "multi_users_select":
        return [str(u) for u in element.get("selected_users") or []]
    return [str(o["value"]) for o in element.get("selected_options") or []]


def _choice(state: Mapping[str, Any], block_id: str) -> str | None:
    element = next(iter((state.get("values", {}).get(block_id) or {}).values()), {})
    selected = element.get("selected_option")
    return str(selected["value"]) if selected else None


def read_who_can(state: Mapping[str, Any], *, complete: bool = True) -> MemberPolicy:
    """The policy the section states; UserFacingError on the field at fault. A form without the section (an
    older modal) states the default policy. Not `complete`: the choices so far, while the admin is still
    picking (a rule may list nobody yet)."""
    raw: dict[str, Any] = {}
    for rule in ACTIONS:
        kind = _choice(state, who_block(rule)) or EVERYONE
        if kind == LISTED:
            ids = _selected(state, people_block(rule)) + _selected(state, groups_block(rule))
            if not ids and complete:
                raise UserFacingError(
                    f"{RULE_NAMES[rule]}: choose at least one person or user group, or pick Everyone in the "
                    "channel or The app's admins.",
                    field=who_block(rule),
                )
            raw[rule] = ids
        else:
            raw[rule] = kind
    ceiling = _choice(state, who_block("max_severity"))
    if ceiling and ceiling != ANY_SEVERITY:
        raw["max_severity"] = ceiling
    above = _selected(state, people_block("critical_allowed")) + _selected(
        state, groups_block("critical_allowed")
    )
    if above:
        raw["critical_allowed"] = above
    try:
        return parse_policy(raw)
    except InvalidPolicy as e:
        problem = e.problems[0]
        key = problem.key or "create"
        raise UserFacingError(
            f"{RULE_NAMES.get(key, 'Who can…')}: {problem.message}",
            field=people_block(key) if key == "critical_allowed" else who_block(key),
        ) from e


def members_summary(raw: Mapping[str, Any] | None) -> str | None:
    """For lists (App Home, `configure-channel`): the policy in a few words, None when everyone may act."""
    policy = stored_policy(raw)
    return None if policy.is_default else f"who can: {policy.summary()}"
