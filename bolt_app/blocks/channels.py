"""Blocks for configuring channels: the "Configure channel" modal and the lists of configurations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bolt_app.blocks.common import (
    Block,
    View,
    actions,
    button,
    confirm_dialog,
    context,
    escape,
    modal,
    option,
    plain,
    section,
    text_input,
)
from bolt_app.services.accounts import display_name
from bolt_app.services.channel_fields import NOTIFICATIONS_FIELD, SEVERITIES
from bolt_app.services.channels import configuration_line
from storage.accounts import AuthorizationRow
from storage.channels import ChannelConfigRow, Notifications

CONFIGURE_CHANNEL_VIEW = "configure_channel_view"
CONFIGURE_ACCOUNT_ACTION = "configure_account"
EDIT_CHANNEL_ACTION = "edit_channel_configuration"
REMOVE_CHANNEL_ACTION = "remove_channel_configuration"
ADD_CHANNEL_ACCOUNT_ACTION = "add_channel_account"
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
    account_id: str | None = None,
    role_arn: str | None = None,
    verified_role_arn: str | None = None,
    notifications: Notifications | None = None,
    error: str | None = None,
) -> View:
    n = notifications or Notifications("all", True, True, True)
    blocks: list[Block] = []
    if error:
        blocks.append(section(f":warning: {error}"))
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
    account_element: dict[str, Any] = {
        "type": "static_select",
        "action_id": CONFIGURE_ACCOUNT_ACTION,
        "options": account_options[:100],
    }
    chosen = next((o for o in account_options if o["value"] == account_id), None)
    if chosen:
        account_element["initial_option"] = chosen
    blocks.append(
        {
            "type": "input",
            "block_id": ACCOUNT_BLOCK,
            "label": plain("AWS account"),
            "dispatch_action": True,  # choosing an account fills in its verified role
            "element": account_element,
        }
    )
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
            "hint": plain("High-severity: cases of severity high, urgent or critical."),
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
            "optional": True,
            "label": plain("Notify about"),
            "element": kinds_element,
        }
    )
    return modal(
        CONFIGURE_CHANNEL_VIEW, "Configure channel", blocks, submit="Save", private_metadata=metadata
    )


def _configuration_line(row: ChannelConfigRow) -> str:
    return configuration_line(
        replace(row, account_name=escape(row.account_name) if row.account_name else None)
    )


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


def channel_configurations_blocks(
    rows: list[ChannelConfigRow], channel_name: str, admin: bool
) -> list[Block]:
    blocks: list[Block] = [section(f"*#{escape(channel_name)}* acts with these AWS accounts:")]
    for row in rows:
        blocks.append(section(_configuration_line(row)))
        if admin:
            blocks.append(configuration_buttons(row, with_channel=False))
    if admin:
        blocks.append(
            actions(
                button("Add another account", ADD_CHANNEL_ACCOUNT_ACTION, rows[0].channel_id if rows else "")
            )
        )
    return blocks[:50]


def workspace_channels_blocks(rows: list[ChannelConfigRow], admin: bool) -> list[Block]:
    if not rows:
        return [context("No channel is configured yet.")]
    blocks: list[Block] = []
    for row in rows:
        blocks.append(section(f"<#{row.channel_id}> — {_configuration_line(row)}"))
        if admin:
            blocks.append(configuration_buttons(row, with_channel=True))
    return blocks
