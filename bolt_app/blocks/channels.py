"""Blocks for configuring channels: the "Configure channel" modal and the lists of configurations."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bolt_app.blocks.accounts import role_name
from bolt_app.blocks.common import MAX_OPTIONS
from bolt_app.blocks.common import MESSAGE_BLOCKS
from bolt_app.blocks.common import Block
from bolt_app.blocks.common import View
from bolt_app.blocks.common import actions
from bolt_app.blocks.common import button
from bolt_app.blocks.common import confirm_dialog
from bolt_app.blocks.common import context
from bolt_app.blocks.common import escape
from bolt_app.blocks.common import home_list_blocks
from bolt_app.blocks.common import modal
from bolt_app.blocks.common import more_line
from bolt_app.blocks.common import option
from bolt_app.blocks.common import overflow
from bolt_app.blocks.common import plain
from bolt_app.blocks.common import rows_that_fit
from bolt_app.blocks.common import section
from bolt_app.blocks.common import text_input
from bolt_app.blocks.members import members_summary
from bolt_app.blocks.members import who_can_blocks
from bolt_app.services.accounts import display_name
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD
from bolt_app.services.channel_fields import SEVERITIES
from bolt_app.services.channels import configuration_line
from bolt_app.services.channels import notifications_text
from bolt_app.services.member_policy import MemberPolicy
from storage.accounts import AuthorizationRow
from storage.channels import ChannelConfigRow
from storage.channels import Notifications

CONFIGURE_CHANNEL_VIEW = "configure_channel_view"
CONFIGURE_ACCOUNT_ACTION = "configure_account"
EDIT_CHANNEL_ACTION = "edit_channel_configuration"
REMOVE_CHANNEL_ACTION = "remove_channel_configuration"
ADD_CHANNEL_ACCOUNT_ACTION = "add_channel_account"
HOME_CHANNEL_MENU_ACTION = "home_channel_menu"  # App Home's overflow menu: edit|<channel>|<account>, remove|…
REMOVE_CHANNEL_VIEW = "remove_channel_view"
ACCOUNT_BLOCK = "account"
ROLE_ARN_BLOCK = "role_arn"
SEVERITY_BLOCK = "notify_severity"
CONFIRM_PUBLIC_BLOCK = "confirm_public"
KINDS = {
    "create_or_reopen": "New and reopened cases",
    "correspondence": "Case correspondences",
    "resolve": "Resolved cases",
}


def _kinds_selected(n: Notifications) -> list[str]:
    return [
        k
        for k, on in (
            ("create_or_reopen", n.on_create_or_reopen),
            ("correspondence", n.on_correspondence),
            ("resolve", n.on_resolve),
        )
        if on
    ]


def notifications_from(severity: str | None, kinds: list[str]) -> Notifications:
    return Notifications(
        severity=severity or "none",
        on_create_or_reopen="create_or_reopen" in kinds,
        on_correspondence="correspondence" in kinds,
        on_resolve="resolve" in kinds,
    )


def configure_channel_modal(
    accounts: list[AuthorizationRow],
    metadata: str,
    *,
    channel_name: str,
    public: bool,
    shared_externally: bool = False,
    account_id: str | None = None,
    role_arn: str | None = None,
    verified_role_arn: str | None = None,
    notifications: Notifications | None = None,
    members: MemberPolicy | None = None,
    error: str | None = None,
) -> View:
    n = notifications or Notifications("all", True, True, True)
    blocks: list[Block] = [
        section(
            f"*#{escape(channel_name)}* · everyone in this channel acts with the AWS account and role below."
        )
    ]
    if error:
        blocks.append(section(f":warning: {error}"))
    if shared_externally:
        blocks.append(
            section(
                f":link: *#{escape(channel_name)} is shared with other organizations (Slack Connect).* Only "
                "members of this workspace will be able to use the AWS account configured here; people of the "
                "other organizations in the channel are refused."
            )
        )
    if public:
        blocks.append(
            section(
                f":warning: *#{escape(channel_name)} is a public channel.* Anyone in the workspace can join it and then has "
                "this role's permissions on AWS Support cases. A private channel is recommended."
            )
        )
        blocks.append(
            {
                "type": "input",
                "block_id": CONFIRM_PUBLIC_BLOCK,
                "label": plain("Public channel"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [option("I understand; configure this public channel anyway", "yes")],
                },
            }
        )
    account_options = [option(display_name(a.account), a.account.account_id) for a in accounts]
    shown = account_options[:MAX_OPTIONS]
    chosen = next((o for o in account_options if o["value"] == account_id), None)
    if chosen and chosen not in shown:
        shown[-1] = chosen  # the account being edited must stay selectable
    account_element: dict[str, Any] = {
        "type": "static_select",
        "action_id": CONFIGURE_ACCOUNT_ACTION,
        "options": shown,
    }
    if chosen:
        account_element["initial_option"] = chosen
    account_block: Block = {
        "type": "input",
        "block_id": ACCOUNT_BLOCK,
        "label": plain("AWS account"),
        "dispatch_action": True,  # choosing an account fills in its verified role
        "element": account_element,
    }
    if len(account_options) > len(shown):
        hidden = len(account_options) - len(shown)
        account_block["hint"] = plain(
            f"{len(shown)} of the {len(account_options)} accounts are listed; … and {hidden} more: configure "
            "one of them with `aws-support-slack channels apply`."
        )
    blocks.append(account_block)
    blocks.append(
        text_input(
            ROLE_ARN_BLOCK,
            "IAM role ARN",
            initial=role_arn,
            optional=True,
            placeholder="arn:aws:iam::123456789012:role/AWSSupportSlackRole",
            hint="A role of the chosen account that trusts this workspace's External ID. Empty: the role verified "
            "when the account was authorized. Everyone in the channel gets exactly this role's permissions.",
        )
    )
    if verified_role_arn:
        blocks.append(context(f"Role verified for this account: `{verified_role_arn}`"))
    severity_options = [option(label, value) for value, label in SEVERITIES.items()]
    blocks.append(
        {
            "type": "input",
            "block_id": SEVERITY_BLOCK,
            "label": plain("Notifications"),
            "element": {
                "type": "radio_buttons",
                "action_id": "value",
                "options": severity_options,
                "initial_option": next(o for o in severity_options if o["value"] == n.severity),
            },
            "hint": plain(
                "Which cases this channel hears about. High-severity: Production system impaired, Production "
                "system down and Business-critical system down."
            ),
        }
    )
    kind_options = [option(label, value) for value, label in KINDS.items()]
    kinds_element: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": kind_options}
    selected = [o for o in kind_options if o["value"] in _kinds_selected(n)]
    if selected:
        kinds_element["initial_options"] = selected
    blocks.append(
        {
            "type": "input",
            "block_id": NOTIFICATIONS_FIELD,
            # Optional only because "None" takes no choice; the hint says the rule (the service enforces it).
            "optional": True,
            "label": plain("Notify about"),
            "element": kinds_element,
            "hint": plain(
                "With All cases or High-severity cases, check at least one. With None, leave all unchecked."
            ),
        }
    )
    blocks.extend(who_can_blocks(members or MemberPolicy()))
    return modal(
        CONFIGURE_CHANNEL_VIEW, "Configure channel", blocks, submit="Save", private_metadata=metadata
    )


def _configuration_line(row: ChannelConfigRow) -> str:
    line = configuration_line(
        replace(row, account_name=escape(row.account_name) if row.account_name else None)
    )
    summary = members_summary(row.members)
    return f"{line} — {summary}" if summary else line


def configuration_buttons(row: ChannelConfigRow, *, with_channel: bool) -> Block:
    value = f"{row.channel_id}|{row.account_id}"
    where = f" from #{escape(row.channel_name)}" if with_channel else ""
    return actions(
        button("Edit", EDIT_CHANNEL_ACTION, value),
        button(
            "Remove",
            REMOVE_CHANNEL_ACTION,
            value,
            style="danger",
            confirm=confirm_dialog(
                "Remove configuration?",
                f"Account {row.account_id} will be detached{where}. The Slack channel itself is not deleted.",
                "Remove",
            ),
        ),
        block_id=f"cfg_{row.channel_id}_{row.account_id}",
    )


CHANNELS_ELSEWHERE = "an operator lists them all with `aws-support-slack channels list`."


def channel_configurations_blocks(
    rows: list[ChannelConfigRow], channel_name: str, admin: bool
) -> list[Block]:
    blocks: list[Block] = [section(f"*#{escape(channel_name)}* acts with these AWS accounts:")]
    room = MESSAGE_BLOCKS - 1 - (1 if admin else 0)  # the title, and the "Add another account" button
    shown = rows_that_fit(len(rows), 2 if admin else 1, room)
    for row in rows[:shown]:
        blocks.append(section(_configuration_line(row)))
        if admin:
            blocks.append(configuration_buttons(row, with_channel=False))
    if shown < len(rows):
        blocks.append(more_line(len(rows) - shown, CHANNELS_ELSEWHERE))
    if admin:
        blocks.append(
            actions(
                button("Add another account", ADD_CHANNEL_ACCOUNT_ACTION, rows[0].channel_id if rows else "")
            )
        )
    return blocks


def home_channel_line(row: ChannelConfigRow) -> str:
    account = (
        f"{escape(row.account_name)} · `{row.account_id}`" if row.account_name else f"`{row.account_id}`"
    )
    line = (
        f"<#{row.channel_id}> · {account}\nRole `{escape(role_name(row.role_arn))}` · "
        f"{notifications_text(row.notifications).capitalize()}"
    )
    summary = members_summary(row.members)
    return f"{line}\n{summary[0].upper()}{summary[1:]}" if summary else line


def workspace_channels_blocks(
    rows: list[ChannelConfigRow], admin: bool, *, max_blocks: int = MESSAGE_BLOCKS
) -> list[Block]:
    """App Home's channels: a heading with the count, one section per configuration (with its menu for admins),
    cut to fit with where the rest is."""

    def row_section(row: ChannelConfigRow) -> Block:
        value = f"{row.channel_id}|{row.account_id}"
        menu = overflow(HOME_CHANNEL_MENU_ACTION, ("Edit", f"edit|{value}"), ("Remove…", f"remove|{value}"))
        block_id = f"cfg_{row.channel_id}_{row.account_id}"
        return section(home_channel_line(row), accessory=menu if admin else None, block_id=block_id)

    return home_list_blocks(
        "Channels", "None configured yet.", rows, row_section, CHANNELS_ELSEWHERE, max_blocks
    )


def remove_channel_modal(row: ChannelConfigRow) -> View:
    """The confirmation App Home's "Remove…" opens."""
    text = (
        f"Detach *{escape(row.account_name or row.account_id)}* (`{row.account_id}`) from <#{row.channel_id}>? "
        "Cases can then no longer be opened there with it. The Slack channel itself is not deleted."
    )
    return modal(
        REMOVE_CHANNEL_VIEW,
        "Remove configuration",
        [section(text)],
        submit="Remove",
        private_metadata=json.dumps({"channel_id": row.channel_id, "account_id": row.account_id}),
    )
