"""Lists longer than Block Kit allows are cut with "… and N more" saying where the rest is, and keep what
must stay (the "Add another account" button, App Home's hint, the "All accounts" choice)."""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest

from bolt_app.blocks import quotas as quota_blocks
from bolt_app.blocks.accounts import ORGANIZATION_ACCOUNT_ACTION
from bolt_app.blocks.accounts import accounts_blocks
from bolt_app.blocks.accounts import organization_account_options
from bolt_app.blocks.accounts import register_organization_modal
from bolt_app.blocks.cases import forms as case_forms
from bolt_app.blocks.cases.forms import create_case_modal
from bolt_app.blocks.cases.forms import search_modal
from bolt_app.blocks.channels import ADD_CHANNEL_ACCOUNT_ACTION
from bolt_app.blocks.channels import channel_configurations_blocks
from bolt_app.blocks.channels import configure_channel_modal
from bolt_app.blocks.channels import workspace_channels_blocks
from bolt_app.blocks.common import NOT_A_CHOICE
from bolt_app.blocks.home import home_view
from bolt_app.services.cases import fields
from bolt_app.services.cases.models import SearchFilter
from bolt_app.services.cases.models import SupportService
from bolt_app.services.channels import ACCOUNTS_PER_CHANNEL
from bolt_app.services.choice import Choice
from bolt_app.services.context import ChannelAccount
from bolt_app.services.home import WorkspaceOverview
from bolt_app.services.quotas.fields import REGIONS
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.channels import ChannelConfigRow
from storage.workspaces import WorkspaceKey

WORKSPACE = WorkspaceKey("E1", "T1")
AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
MORE = re.compile(r"… and (\d+) more: (.+)")
SIZES = [1, 24, 25, 60, 101, 150]


def _id(i: int) -> str:
    return f"{100000000000 + i}"


def _authorizations(n: int) -> list[AuthorizationRow]:
    return [
        AuthorizationRow(
            AccountRow(_id(i), f"acct-{i}", None, None),
            WORKSPACE,
            "authorized",
            "role",
            f"arn:aws:iam::{_id(i)}:role/R",
            "U1",
            AT,
        )
        for i in range(n)
    ]


def _configurations(n: int, *, channels: bool = False) -> list[ChannelConfigRow]:
    return [
        ChannelConfigRow(
            WORKSPACE,
            f"C{i}" if channels else "C1",
            f"chan-{i}" if channels else "ops",
            _id(i),
            f"acct-{i}",
            f"arn:aws:iam::{_id(i)}:role/R",
        )
        for i in range(n)
    ]


def _channel_accounts(n: int) -> list[ChannelAccount]:
    return [
        ChannelAccount(
            WORKSPACE, "C1", "ops", _id(i), f"acct-{i} ({_id(i)})", f"arn:aws:iam::{_id(i)}:role/R", "x"
        )
        for i in range(n)
    ]


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text of the blocks, in order (sections, contexts, hints)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return found


def _shown_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return set(re.findall(r"1000000\d{5}", " ".join(_texts(blocks)))) | {
        o["value"] for o in _all_options(blocks) if re.fullmatch(r"\d{12}", o["value"])
    }


def _all_options(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [o for b in blocks for o in b.get("element", {}).get("options", []) if "element" in b]


def _hidden(blocks: list[dict[str, Any]]) -> tuple[int, str] | None:
    """The N and the "where" of the one "… and N more" line, or None when nothing says the list is cut."""
    matches = [m for t in _texts(blocks) if (m := MORE.search(t))]
    assert len(matches) <= 1, matches
    return (int(matches[0].group(1)), matches[0].group(2)) if matches else None


def _within_limits(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    assert all(len(t) <= 3000 for t in _texts(blocks))
    for block in blocks:
        assert len(block.get("element", {}).get("options", [])) <= 100
    json.dumps(blocks)


def _says_the_rest(blocks: list[dict[str, Any]], total: int, shown: int) -> None:
    """Either everything is shown, or the blocks say exactly how many are not."""
    hidden = _hidden(blocks)
    if shown == total:
        assert hidden is None
    else:
        assert hidden is not None, "the list is cut without saying so"
        assert hidden[0] == total - shown


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("admin", [True, False])
def test_accounts_message_names_what_it_leaves_out(n: int, admin: bool) -> None:
    blocks = accounts_blocks(_authorizations(n), admin)
    _within_limits(blocks, 50)
    shown = _shown_ids(blocks)
    assert shown == {_id(i) for i in range(len(shown))}  # the first ones, in order, none skipped
    _says_the_rest(blocks, n, len(shown))
    if n == 60:
        assert "aws-support-slack accounts list" in _hidden(blocks)[1]  # type: ignore[index]


@pytest.mark.parametrize("n", [*SIZES, 100])
def test_channel_with_many_accounts_keeps_add_another_account(n: int) -> None:
    blocks = channel_configurations_blocks(_configurations(n), "ops", admin=True)
    _within_limits(blocks, 50)
    assert blocks[-1]["elements"][0]["action_id"] == ADD_CHANNEL_ACCOUNT_ACTION
    _says_the_rest(blocks, n, len(_shown_ids(blocks)))
    if n > 24:
        assert "aws-support-slack channels list" in _hidden(blocks)[1]  # type: ignore[index]


@pytest.mark.parametrize("accounts", [0, 1, 60, 150])
@pytest.mark.parametrize("channels", [0, 1, 60, 150])
@pytest.mark.parametrize("mine", [0, 1, 150])
def test_app_home_keeps_the_hint_and_says_how_much_of_each_list_is_left(
    accounts: int, channels: int, mine: int
) -> None:
    rows = _configurations(channels, channels=True)
    overview = WorkspaceOverview(_authorizations(accounts), rows, True, my_channels=rows[:mine])
    blocks = home_view(overview)["blocks"]
    _within_limits(blocks, 100)
    assert "`/aws-support help` lists every command" in blocks[-1]["elements"][0]["text"]
    channels_at = next(
        i for i, b in enumerate(blocks) if b.get("text", {}).get("text", "").startswith("*Channels*")
    )
    accounts_at = next(
        i for i, b in enumerate(blocks) if b.get("text", {}).get("text", "").startswith("*AWS accounts*")
    )
    account_part, channel_part = blocks[accounts_at:channels_at], blocks[channels_at:]
    _says_the_rest(account_part, accounts, len(_shown_ids(account_part)))
    shown_channels = {
        b["text"]["text"].split(">")[0] for b in channel_part if "<#C" in b.get("text", {}).get("text", "")
    }
    _says_the_rest(channel_part, channels, len(shown_channels))
    if accounts and channels:
        assert _shown_ids(account_part) and shown_channels  # neither list crowds the other out


@pytest.mark.parametrize("n", [60, 101, 150])
def test_workspace_channels_alone_fit_a_message(n: int) -> None:
    blocks = workspace_channels_blocks(_configurations(n, channels=True), admin=True)
    _within_limits(blocks, 50)
    shown = sum(1 for b in blocks if "<#C" in b.get("text", {}).get("text", ""))
    _says_the_rest(blocks, n, shown)


def _account_select(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


@pytest.mark.parametrize("n", [2, 60, 99, 100, 101, 150])
def test_search_modal_keeps_all_accounts_and_says_how_many_are_left(n: int) -> None:
    view = search_modal(_channel_accounts(n))
    _within_limits(view["blocks"], 100)
    block = _account_select(view, fields.SEARCH_ACCOUNT_BLOCK)
    options = block["element"]["options"]
    assert options[0]["text"]["text"] == "All accounts"
    assert block["element"]["initial_option"] == options[0]
    listed = len(options) - 1
    assert listed == min(n, 99)
    _says_the_rest([block], n, listed)
    if n > 99:
        assert "All accounts" in _hidden([block])[1]  # type: ignore[index]


def test_search_modal_keeps_a_chosen_account_beyond_the_first_hundred() -> None:
    view = search_modal(_channel_accounts(150), search=SearchFilter(account_id=_id(140)))
    block = _account_select(view, fields.SEARCH_ACCOUNT_BLOCK)
    assert block["element"]["initial_option"]["value"] == _id(140)
    assert block["element"]["initial_option"] in block["element"]["options"]
    assert len(block["element"]["options"]) == 100


@pytest.mark.parametrize("n", [60, 100, 101, 150])
def test_create_case_modal_says_how_many_accounts_are_left(n: int) -> None:
    view = create_case_modal(_channel_accounts(n))
    _within_limits(view["blocks"], 100)
    block = _account_select(view, fields.CASE_ACCOUNT_BLOCK)
    _says_the_rest([block], n, len(block["element"]["options"]))


@pytest.mark.parametrize("n", [60, 100, 101, 150])
def test_configure_channel_modal_says_how_many_accounts_are_left(n: int) -> None:
    rows = _authorizations(n)
    view = configure_channel_modal(rows, "{}", channel_name="ops", public=False, account_id=_id(n - 1))
    _within_limits(view["blocks"], 100)
    block = _account_select(view, "account")
    options = block["element"]["options"]
    assert block["element"]["initial_option"]["value"] == _id(n - 1)
    assert block["element"]["initial_option"] in options
    _says_the_rest([block], n, len(options))


# --- selects and type-ahead answers: at most 100 options, the last saying how many more --------------------


def _choices(n: int) -> list[Choice]:
    return [Choice(f"code-{i}", f"Name {i}") for i in range(n)]


def _services(n: int) -> list[SupportService]:
    return [SupportService(f"code-{i}", f"Name {i}", tuple(_choices(n))) for i in range(n)]


OPTION_LISTS = {
    "quota services": lambda n: quota_blocks.service_options(_choices(n)),
    "quotas": lambda n: quota_blocks.quota_options(_choices(n)),
    "case services": lambda n: case_forms.service_options(_services(n)),
    "case categories": lambda n: case_forms.category_options(
        [SupportService("code-0", "Name 0", tuple(_choices(n)))], "code-0"
    ),
    "severities": lambda n: case_forms.severity_options(_choices(n)),
    "organization accounts": lambda n: organization_account_options(_authorizations(n)),
}


@pytest.mark.parametrize("n", [*SIZES, 99, 100])
@pytest.mark.parametrize("name", OPTION_LISTS)
def test_every_option_list_says_how_many_more_there_are(name: str, n: int) -> None:
    options = OPTION_LISTS[name](n)
    assert len(options) <= 100
    listed = [o for o in options if o["value"] != NOT_A_CHOICE]
    assert len(listed) == min(n, 99 if n > 100 else n)  # the first ones, the note taking the last place
    _says_the_rest([{"element": {"options": options}}], n, len(listed))
    if n > 100:
        assert options[-1]["value"] == NOT_A_CHOICE and "type more" in options[-1]["text"]["text"]


def test_the_region_select_lists_every_region() -> None:
    assert [o["value"] for o in quota_blocks.region_options()] == list(REGIONS)
    assert len(REGIONS) <= 100


def test_quota_modal_lists_every_account_a_channel_can_hold() -> None:
    assert ACCOUNTS_PER_CHANNEL <= 100  # what keeps the quota modal's account select whole
    accounts = _channel_accounts(ACCOUNTS_PER_CHANNEL)
    view = quota_blocks.quota_modal(accounts, None, None, None, None, account_id=_id(99))
    _within_limits(view["blocks"], 100)
    element = _account_select(view, quota_blocks.ACCOUNT_BLOCK)["element"]
    assert [o["value"] for o in element["options"]] == [_id(i) for i in range(100)]
    assert element["initial_option"]["value"] == _id(99)


@pytest.mark.parametrize("n", [1, 100, 101, 150])
def test_register_organization_turns_a_long_account_list_into_a_type_ahead(n: int) -> None:
    view = register_organization_modal(_authorizations(n), "{}")
    _within_limits(view["blocks"], 100)
    element = _account_select(view, "account")["element"]
    if n <= 100:
        assert element["type"] == "static_select" and len(element["options"]) == n
    else:
        assert element["type"] == "external_select" and element["min_query_length"] == 0
        assert element["action_id"] == ORGANIZATION_ACCOUNT_ACTION


def test_type_ahead_answers_hold_only_what_matches_what_was_typed() -> None:
    rows = _authorizations(150)
    assert [o["value"] for o in organization_account_options(rows, "acct-14")] == [
        _id(i) for i in (14, *range(140, 150))
    ]
    assert [o["value"] for o in organization_account_options(rows, _id(7))] == [_id(7)]
