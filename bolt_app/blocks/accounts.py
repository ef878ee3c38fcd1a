"""Blocks for authorizing AWS accounts, naming them, organizations, and the accounts list."""

from __future__ import annotations

import json
from typing import Any

from bolt_app.aws.policies import RECOMMENDED_POLICY
from bolt_app.blocks.common import (
    MAX_OPTIONS,
    MESSAGE_BLOCKS,
    Block,
    View,
    actions,
    button,
    confirm_dialog,
    context,
    cut_options,
    escape,
    input_block,
    json_code,
    modal,
    more_line,
    option,
    section,
    static_select,
    text_input,
    type_ahead,
)
from bolt_app.services.accounts import RoleSetup, display_name
from bolt_app.services.choice import Choice, filter_choices
from storage.accounts import AUTHORIZED, AuthorizationRow

AUTHORIZE_ACCOUNT_VIEW = "authorize_account_view"
RENAME_ACCOUNT_VIEW = "rename_account_view"
REGISTER_ORGANIZATION_VIEW = "register_organization_view"
EDIT_ACCOUNT_NAME_ACTION = "edit_account_name"
REMOVE_ACCOUNT_ACTION = "remove_account"
ROLE_ARN_BLOCK = "role_arn"
ACCOUNT_NAME_BLOCK = "account_name"
ACCOUNT_BLOCK = "account"
ORGANIZATION_ACCOUNT_ACTION = "organization_account"  # the type-ahead of a workspace with over 100 accounts


def role_setup_blocks(setup: RoleSetup) -> list[Block]:
    blocks = [section(f"*This workspace's External ID:* `{setup.external_id}`")]
    if setup.trust_policy:
        blocks.append(
            section("*Trust policy* for the IAM role in your AWS account:\n" + json_code(setup.trust_policy))
        )
    else:
        blocks.append(
            context(
                "The app could not determine its own AWS principal; ask its operator for the ARN to trust."
            )
        )
    blocks.append(
        context(
            "Permissions: attach `AWSSupportAppFullAccess` (read and write) or `AWSSupportAppReadOnlyAccess` "
            "(read only), or the recommended inline policy below. A CloudFormation template that creates the "
            "role is on the page shown after installing, and `aws-support-slack accounts template` prints it."
        )
    )
    blocks.append(section("*Recommended permissions policy:*\n" + json_code(RECOMMENDED_POLICY)))
    return blocks


def authorize_account_modal(
    setup: RoleSetup,
    metadata: str,
    *,
    role_arn: str | None = None,
    account_name: str | None = None,
    error: str | None = None,
) -> View:
    blocks: list[Block] = []
    if error:
        blocks.append(section(f":warning: {error}"))
    blocks += [
        text_input(
            ROLE_ARN_BLOCK,
            "IAM role ARN",
            initial=role_arn,
            placeholder="arn:aws:iam::123456789012:role/AWSSupportSlackRole",
            hint="A role in the AWS account to authorize, trusting this app with this workspace's External ID.",
        ),
        text_input(
            ACCOUNT_NAME_BLOCK,
            "Account name",
            initial=account_name,
            optional=True,
            max_length=30,
            hint="Shown next to the account ID everywhere: 1-30 letters, digits, spaces, - and _.",
        ),
        *role_setup_blocks(setup),
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
