"""Configuration as code: the `accounts` and `workspaces` commands, through the same services as Slack."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bolt_app.app import build_services
from bolt_app.aws.policies import cloudformation_template
from bolt_app.bundle import Services
from bolt_app.errors import UserFacingError
from bolt_app.http.notifications import app_event_bus_template
from bolt_app.http.notifications import events_token_instructions
from bolt_app.http.notifications import forwarding_template
from bolt_app.identifiers import ACCOUNT_ID
from bolt_app.identifiers import ENTERPRISE_ID
from bolt_app.identifiers import ROLE_ARN
from bolt_app.identifiers import TEAM_ID
from bolt_app.identifiers import identifier_argument
from bolt_app.services.accounts import display_name
from bolt_app.services.channel_files import ChannelFiles
from bolt_app.services.channel_files import rows_as_file
from bolt_app.services.context import Actor
from bolt_app.services.role_templates import role_name
from bolt_app.settings import Settings
from storage.workspace_summaries import WorkspaceSummary
from storage.workspaces import WorkspaceKey


def add_workspace_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--team",
        type=identifier_argument(TEAM_ID, "a Slack team ID (T…) or org ID (E…)"),
        help="Slack team ID (T…), or an org ID (E…) for an org-wide install; optional when only one "
        "workspace is installed",
    )
    parser.add_argument(
        "--enterprise",
        default="",
        type=identifier_argument(ENTERPRISE_ID, "an Enterprise Grid org ID (E…)", empty_ok=True),
        help="Enterprise Grid org ID (E…): alone, the org-wide install; with --team, that org's workspace",
    )


def _format_arg(parser: argparse.ArgumentParser, default: str = "yaml") -> None:
    choices = ["table", "yaml", "json"] if default == "table" else ["yaml", "json"]
    parser.add_argument("--format", choices=choices, default=default)


def add_account_commands(sub: Any) -> None:
    accounts = sub.add_parser("accounts", help="AWS accounts authorized for a workspace").add_subparsers(
        dest="accounts_command", required=True
    )
    p = accounts.add_parser("list", help="list the accounts and their state")
    add_workspace_args(p)
    _format_arg(p)
    p = accounts.add_parser("authorize", help="authorize the workspace with a role of the account")
    add_workspace_args(p)
    p.add_argument("--role-arn", required=True, type=identifier_argument(ROLE_ARN, "an IAM role ARN"))
    p.add_argument("--name", help="account name (1-30 letters, digits, spaces, - and _)")
    p = accounts.add_parser("rename", help="set or clear an account's name")
    add_workspace_args(p)
    p.add_argument("account_id", type=identifier_argument(ACCOUNT_ID, "a 12-digit AWS account ID"))
    p.add_argument("name", nargs="?", default=None, help="omit to show the account ID only")
    p = accounts.add_parser("remove", help="remove the workspace's authorization for an account")
    add_workspace_args(p)
    p.add_argument("account_id", type=identifier_argument(ACCOUNT_ID, "a 12-digit AWS account ID"))
    p = accounts.add_parser("template", help="print the CloudFormation template of the role for a workspace")
    add_workspace_args(p)
    p = accounts.add_parser(
        "events-token", help="issue the account's POST /aws/events token (shown once; revokes the old)"
    )
    p.add_argument("account_id", type=identifier_argument(ACCOUNT_ID, "a 12-digit AWS account ID"))
    accounts.add_parser("events-template", help="print the CloudFormation template that forwards case events")
    accounts.add_parser(
        "events-bus-template",
        help="print the app-side CloudFormation template: the event bus accounts forward to, and the queue",
    )

    channels = sub.add_parser(
        "channels", help="channel configurations (configuration as code)"
    ).add_subparsers(dest="channels_command", required=True)
    p = channels.add_parser(
        "list", help="print a workspace's channel configurations in the apply file format"
    )
    add_workspace_args(p)
    _format_arg(p)
    p = channels.add_parser(
        "apply", help="make the configurations of the workspaces in FILE what FILE declares"
    )
    p.add_argument("-f", "--file", required=True, help="YAML or JSON file; see README")
    p.add_argument("--dry-run", action="store_true", help="print the plan only")

    workspaces = sub.add_parser("workspaces", help="installed workspaces").add_subparsers(
        dest="workspaces_command", required=True
    )
    p = workspaces.add_parser("list", help="the installed workspaces, with their accounts and channels")
    _format_arg(p, default="table")
    p = workspaces.add_parser(
        "admins", help="set the Slack users who may configure the app besides Slack admins"
    )
    add_workspace_args(p)
    p.add_argument("user_ids", nargs="*", help="Slack user IDs (U…); none clears the list")


def _describe(w: WorkspaceSummary) -> str:
    if not w.key.team_id:
        return f"--enterprise {w.key.enterprise_id} (org-wide, {w.name})"
    enterprise = f" --enterprise {w.key.enterprise_id}" if w.key.enterprise_id else ""
    return f"--team {w.key.team_id}{enterprise} ({w.name})"


def resolve_workspace(installed: list[WorkspaceSummary], team: str | None, enterprise: str) -> WorkspaceKey:
    """The workspace the operator named; with neither --team nor --enterprise, the only one installed."""
    if team and team.startswith("E"):  # an org ID given as --team: the org-wide install
        enterprise, team = team, ""
    if team and enterprise:
        return WorkspaceKey(enterprise, team)
    if enterprise:
        return WorkspaceKey(enterprise, "")
    if team:
        matches = [w for w in installed if w.key.team_id == team]
        if len(matches) > 1:
            raise UserFacingError(
                f"{team} is installed in {len(matches)} orgs; add one of: "
                + "; ".join(_describe(w) for w in matches)
            )
        return matches[0].key if matches else WorkspaceKey("", team)
    if len(installed) == 1:
        return installed[0].key
    if not installed:
        raise UserFacingError("no workspace is installed yet: install the app first (Add to Slack).")
    raise UserFacingError(
        f"{len(installed)} workspaces are installed; name one with "
        + "; ".join(_describe(w) for w in installed)
    )


async def _actor(services: Services, args: argparse.Namespace) -> Actor:
    """The operator at the command line: whoever may run the app's commands may change any workspace's
    configuration, so the services' Slack admin check does not apply (`Actor.operator`)."""
    key = resolve_workspace(await services.workspaces.installed(), args.team, args.enterprise)
    return Actor.at_command_line(key, f"cli:{getpass.getuser()}"[:64])


def _dump(data: Any, fmt: str) -> str:
    return json.dumps(data, indent=2) if fmt == "json" else yaml.safe_dump(data, sort_keys=False)


async def _accounts(services: Services, args: argparse.Namespace) -> str:
    command = args.accounts_command
    if command == "events-token":
        token = await services.notifications.issue_events_token(
            args.account_id, f"cli:{getpass.getuser()}"[:64]
        )
        return events_token_instructions(args.account_id, token, services.settings.app_base_url)
    if command == "events-template":
        return forwarding_template()
    if command == "events-bus-template":
        return app_event_bus_template()
    actor = await _actor(services, args)
    if command == "list":
        rows = await services.accounts.list(actor.workspace)
        data = [
            {
                "account_id": r.account.account_id,
                "account_name": r.account.account_name,
                "shown_as": display_name(r.account),
                "state": r.state,
                "via": r.via,
                "role_arn": r.verified_role_arn,
                "authorized_by": r.authorized_by,
                "authorized_at": r.authorized_at.isoformat() if r.authorized_at else None,
            }
            for r in rows
        ]
        return _dump(data, args.format)
    if command == "authorize":
        row = await services.accounts.authorize(actor, args.role_arn, args.name)
        return f"authorized: {display_name(row.account)} with {row.verified_role_arn}"
    if command == "rename":
        account = await services.accounts.rename(actor, args.account_id, args.name)
        return f"renamed: {display_name(account)}"
    if command == "remove":
        await services.accounts.remove(actor, args.account_id)
        return f"removed: {args.account_id}"
    setup = await services.accounts.role_setup(actor.workspace)
    if not setup.app_principal_arn:
        raise UserFacingError(
            "The app's AWS principal is unknown (sts:GetCallerIdentity failed); check AWS_* settings."
        )
    return cloudformation_template(setup.app_principal_arn, setup.external_id, role_name(actor.workspace))


async def _channels(services: Services, args: argparse.Namespace) -> str:
    if args.channels_command == "list":
        actor = await _actor(services, args)
        return _dump(rows_as_file(await services.channels.for_workspace(actor.workspace)), args.format)
    plan = await ChannelFiles(services.channels).apply(
        args.file_text, f"cli:{getpass.getuser()}"[:64], dry_run=args.dry_run
    )
    verb = "would change" if args.dry_run else "changed"
    return "\n".join(
        [
            *plan.lines(),
            f"{verb}: {plan.changes} (create {len(plan.create)}, update {len(plan.update)}, delete {len(plan.delete)})",
        ]
    )


async def _workspaces(services: Services, args: argparse.Namespace) -> str:
    if args.workspaces_command == "list":
        return _workspace_list(await services.workspaces.installed(), args.format)
    actor = await _actor(services, args)
    await services.accounts.installed_workspace(actor.workspace)
    await services.workspaces.repository.set_admins(actor.workspace, list(args.user_ids))
    return f"admins: {', '.join(args.user_ids) or '(Slack admins and owners only)'}"


def _workspace_list(installed: list[WorkspaceSummary], fmt: str) -> str:
    data = [
        {
            "team": w.key.team_id,
            "enterprise": w.key.enterprise_id,
            "name": w.name,
            "installed_at": w.installed_at.isoformat(timespec="seconds"),
            "accounts": w.accounts,
            "channels": w.channels,
        }
        for w in installed
    ]
    if fmt != "table":
        return _dump(data, fmt)
    if not data:
        return "no workspace is installed yet"
    header = {k: k.upper().replace("_", " ") for k in data[0]}
    rows = [header, *({k: str(v) or "-" for k, v in row.items()} for row in data)]
    widths = {k: max(len(r[k]) for r in rows) for k in header}
    return "\n".join("  ".join(r[k].ljust(widths[k]) for k in header).rstrip() for r in rows)


async def run_with_services(settings: Settings, work: Callable[[Services], Awaitable[str]]) -> int:
    """Prints what `work` answers; a UserFacingError is one line on stderr and exit status 1."""
    services = await build_services(settings)
    try:
        print(await work(services))
        return 0
    except UserFacingError as e:
        print(f"aws-support-slack: {e.message}", file=sys.stderr)
        return 1
    finally:
        await services.close()


def run_admin_command(settings: Settings, args: argparse.Namespace) -> int:
    handler = {"accounts": _accounts, "channels": _channels, "workspaces": _workspaces}[args.command]
    if getattr(args, "file", None):
        try:
            args.file_text = Path(args.file).read_text(encoding="utf-8")
        except OSError as e:
            print(f"aws-support-slack: cannot read {args.file}: {e.strerror}", file=sys.stderr)
            return 1
    return asyncio.run(run_with_services(settings, lambda services: handler(services, args)))
