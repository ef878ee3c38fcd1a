"""Blocks for authorizing AWS accounts, naming them, organizations, and the accounts list."""

from __future__ import annotations

import json
from typing import Any

from bolt_app.aws.policies import RECOMMENDED_POLICY
from bolt_app.blocks.common import MAX_OPTIONS
from bolt_app.blocks.common import MESSAGE_BLOCKS
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import confirm_dialog
from bolt_app.blocks.common import context
from bolt_app.blocks.common import cut_options
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import home_list_blocks
from bolt_app.blocks.common import input_block
from bolt_app.blocks.common import json_code
from bolt_app.blocks.common import modal
from bolt_app.blocks.common import more_line
from bolt_app.blocks.common import option
from bolt_app.blocks.common import overflow
from bolt_app.blocks.common import section
from bolt_app.blocks.common import static_select
from bolt_app.blocks.common import text_input
from bolt_app.blocks.common import type_ahead
from bolt_app.services.accounts import RoleSetup
from bolt_app.services.accounts import display_name
from bolt_app.services.choice import Choice
from bolt_app.services.choice import filter_choices
from storage.accounts import AUTHORIZED
from storage.accounts import AuthorizationRow

AUTHORIZE_ACCOUNT_VIEW = "authorize_account_view"
POLICIES_VIEW = "role_policies_view"
SHOW_POLICIES_ACTION = "show_role_policies"
RENAME_ACCOUNT_VIEW = "rename_account_view"
REGISTER_ORGANIZATION_VIEW = "register_organization_view"
EDIT_ACCOUNT_NAME_ACTION = "edit_account_name"
REMOVE_ACCOUNT_ACTION = "remove_account"
HOME_ACCOUNT_MENU_ACTION = (
    "home_account_menu"  # App Home's overflow menu of an account: edit:<id>, remove:<id>
)
REMOVE_ACCOUNT_VIEW = "remove_account_view"
ROLE_ARN_BLOCK = "role_arn"
ACCOUNT_NAME_BLOCK = "account_name"
ACCOUNT_BLOCK = "account"
ORGANIZATION_ACCOUNT_ACTION = "organization_account"  # the type-ahead of a workspace with over 100 accounts


def policies_modal(setup: RoleSetup) -> View:
    """ "Show policies" (pushed over the authorize form, so Back returns to it): the trust policy and the
    permissions the role needs."""
    blocks: list[Block] = []
    if setup.trust_policy:
        blocks.append(section("*Trust policy* of the IAM role:\n" + json_code(setup.trust_policy)))
    else:
        blocks.append(
            context(
                "The app could not determine its own AWS principal; ask its operator for the ARN to trust."
            )
        )
    blocks += [
        context(
            "Permissions: attach `AWSSupportAppFullAccess` (read and write) or `AWSSupportAppReadOnlyAccess` "
            "(read only), or this recommended inline policy:"
        ),
        section("*Recommended permissions policy:*\n" + json_code(RECOMMENDED_POLICY)),
    ]
    return modal(POLICIES_VIEW, "Role policies", blocks, close="Back")


def setup_steps_blocks(setup: RoleSetup, template_link: str | None) -> list[Block]:
    """What to do in AWS before the ARN can be filled in: the External ID, then the role."""
    template = (
        f"with the <{template_link}|CloudFormation template> (it makes the role, its trust and its permissions; "
        "the link works for 24 hours)"
        if template_link
        else "with the CloudFormation template (`aws-support-slack accounts template` prints it)"
    )
    return [
        section(f"*1. Copy this workspace's External ID*\n`{setup.external_id}`"),
        section(
            f"*2. Create the IAM role* in the AWS account, {template}, or by hand with the policies.",
            accessory=button("Show policies", SHOW_POLICIES_ACTION),
        ),
        section("*3. Paste the role's ARN* below, and authorize."),
    ]


def authorize_account_modal(
    setup: RoleSetup,
    metadata: str,
    *,
    role_arn: str | None = None,
    account_name: str | None = None,
    error: str | None = None,
    template_link: str | None = None,
) -> View:
    blocks: list[Block] = []
    if error:
        blocks.append(section(f":warning: {error}"))
    blocks += [
        *setup_steps_blocks(setup, template_link),
        text_input(
            ROLE_ARN_BLOCK,
            "IAM role ARN",
            initial=role_arn,
            placeholder="arn:aws:iam::123456789012:role/AWSSupportSlackRole",
            hint="The role of step 2, trusting this app with this workspace's External ID.",
        ),
        text_input(
            ACCOUNT_NAME_BLOCK,
            "Account name",
            initial=account_name,
            optional=True,
            max_length=30,
            hint="Shown next to the account ID everywhere: 1-30 letters, digits, spaces, - and _.",
        ),
    ]
    return modal(
        AUTHORIZE_ACCOUNT_VIEW, "Authorize AWS account", blocks, submit="Authorize", private_metadata=metadata
    )


def state_label(row: AuthorizationRow) -> str:
    if row.state != AUTHORIZED:
        return "pending: finish with `/aws-support authorize-account`"
    return "authorized via organization" if row.via == "organization" else "authorized"


def account_line(row: AuthorizationRow) -> str:
    role = f" — role `{row.verified_role_arn}`" if row.verified_role_arn else ""
    return f"*{escape(display_name(row.account))}* — {state_label(row)}{role}"


ACCOUNTS_ELSEWHERE = "an operator lists them all with `aws-support-slack accounts list`."


def accounts_blocks(
    rows: list[AuthorizationRow], admin: bool, *, max_blocks: int = MESSAGE_BLOCKS
) -> list[Block]:
    if not rows:
        return [
            section(
                "No AWS account has authorized this workspace yet. A workspace admin can run "
                "`/aws-support authorize-account`."
            )
        ]
    blocks: list[Block] = [section(f"*AWS accounts of this workspace* ({len(rows)})")]
    per_row = 2 if admin else 1
    shown = len(rows)
    if 1 + shown * per_row > max_blocks:
        shown = (max_blocks - 2) // per_row  # room for the title and the "… and N more" line
    for row in rows[:shown]:
        blocks.append(section(account_line(row)))
        if admin:
            account_id = row.account.account_id
            blocks.append(
                actions(
                    button("Edit name", EDIT_ACCOUNT_NAME_ACTION, account_id),
                    button(
                        "Remove",
                        REMOVE_ACCOUNT_ACTION,
                        account_id,
                        style="danger",
                        confirm=confirm_dialog(
                            "Remove account?",
                            f"{escape(display_name(row.account))} will no longer be usable from this workspace. "
                            "Channels must be unconfigured first.",
                            "Remove",
                        ),
                    ),
                    block_id=f"account_{account_id}",
                )
            )
    if shown < len(rows):
        blocks.append(more_line(len(rows) - shown, ACCOUNTS_ELSEWHERE))
    return blocks


def role_name(role_arn: str | None) -> str:
    """The role's name, which is what people recognise (the account is shown beside it)."""
    return (role_arn or "").rpartition("/")[2] or (role_arn or "")


def home_account_line(row: AuthorizationRow) -> str:
    account = row.account
    name = (
        f"*{escape(account.account_name)}* · `{account.account_id}`"
        if account.account_name
        else (f"*{account.account_id}*")
    )
    if row.state != AUTHORIZED:
        return f"{name}\nPending: finish with `/aws-support authorize-account`"
    how = "Authorized through its organization" if row.via == "organization" else "Authorized"
    role = f" · role `{escape(role_name(row.verified_role_arn))}`" if row.verified_role_arn else ""
    return f"{name}\n{how}{role}"


def home_accounts_blocks(rows: list[AuthorizationRow], *, max_blocks: int) -> list[Block]:
    """App Home's accounts: a heading with the count, one section per account with its menu, cut to fit."""
    return home_list_blocks("AWS accounts", "None yet.", rows, _home_account, ACCOUNTS_ELSEWHERE, max_blocks)


def _home_account(row: AuthorizationRow) -> Block:
    account_id = row.account.account_id
    menu = overflow(
        HOME_ACCOUNT_MENU_ACTION, ("Edit name", f"edit:{account_id}"), ("Remove…", f"remove:{account_id}")
    )
    return section(home_account_line(row), accessory=menu, block_id=f"account_{account_id}")


def remove_account_modal(row: AuthorizationRow) -> View:
    """The confirmation App Home's "Remove…" opens (an overflow menu cannot carry one per choice)."""
    text = (
        f"Remove *{escape(display_name(row.account))}* from this workspace? It will no longer be usable here. "
        "Channels that use it must be unconfigured first."
    )
    return modal(
        REMOVE_ACCOUNT_VIEW,
        "Remove account",
        [section(text)],
        submit="Remove",
        private_metadata=metadata(account_id=row.account.account_id),
    )


def rename_account_modal(row: AuthorizationRow, metadata: str, error: str | None = None) -> View:
    blocks: list[Block] = [section(f"AWS account `{row.account.account_id}`")]
    if error:
        blocks.append(section(f":warning: {error}"))
    blocks.append(
        text_input(
            ACCOUNT_NAME_BLOCK,
            "Account name",
            initial=row.account.account_name,
            optional=True,
            max_length=30,
            hint="Leave empty to show the account ID only. 1-30 letters, digits, spaces, - and _.",
        )
    )
    return modal(RENAME_ACCOUNT_VIEW, "Edit account name", blocks, submit="Save", private_metadata=metadata)


def organization_account_options(
    rows: list[AuthorizationRow], query: str | None = None
) -> list[dict[str, Any]]:
    """The accounts with a verified role, those matching what was typed, cut to Slack's 100 options."""
    choices = [Choice(r.account.account_id, display_name(r.account)) for r in rows if r.verified_role_arn]
    return cut_options(
        [option(c.name, c.code) for c in filter_choices(choices, query)], "type more of the name or ID"
    )


def register_organization_modal(rows: list[AuthorizationRow], metadata: str) -> View:
    """Past Slack's 100 options the account select is a type-ahead of the same accounts."""
    if sum(1 for r in rows if r.verified_role_arn) <= MAX_OPTIONS:
        select = static_select(ACCOUNT_BLOCK, "AWS account", organization_account_options(rows))
    else:
        element = type_ahead(ORGANIZATION_ACCOUNT_ACTION, "Type to search the accounts")
        select = input_block(ACCOUNT_BLOCK, "AWS account", element)
    blocks: list[Block] = [
        section(
            "Pick the organization's *management account*. Its role must allow "
            "`organizations:DescribeOrganization` and `organizations:ListAccounts`. Every active member account "
            "is then authorized for this workspace; each still needs its own role, trusting this workspace's "
            "External ID, before a channel can use it."
        ),
        select,
    ]
    return modal(
        REGISTER_ORGANIZATION_VIEW,
        "Authorize organization",
        blocks,
        submit="Register",
        private_metadata=metadata,
    )


def metadata(**values: str | None) -> str:
    return json.dumps({k: v for k, v in values.items() if v is not None})
