"""Configuration as code for channels: a file declares the wanted configurations of whole workspaces.

`plan_file` validates everything first (every error with its line), then compares with the database; `apply`
verifies the roles it would newly use and writes the whole plan in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import yaml

from bolt_app.errors import UserFacingError
from bolt_app.identifiers import CHANNEL_ID
from bolt_app.identifiers import ENTERPRISE_ID
from bolt_app.identifiers import TEAM_ID
from bolt_app.services.accounts import parse_account_id
from bolt_app.services.accounts import parse_role_arn
from bolt_app.services.channels import ACCOUNTS_PER_CHANNEL
from bolt_app.services.channels import CONFIGURATIONS_PER_ACCOUNT
from bolt_app.services.channels import ChannelService
from bolt_app.services.channels import NotificationRule
from bolt_app.services.channels import broken_notification_rule
from bolt_app.services.channels import limit_error
from bolt_app.services.context import Actor
from bolt_app.services.member_policy import InvalidPolicy
from bolt_app.services.member_policy import MemberPolicy
from bolt_app.services.member_policy import parse_policy
from bolt_app.services.member_policy import stored_policy
from storage.channels import ChannelConfigRow
from storage.channels import ChannelOwnedElsewhere
from storage.channels import LimitReached
from storage.channels import Notifications
from storage.workspaces import ChannelKey
from storage.workspaces import WorkspaceKey

_WORKSPACE_KEYS = {"team": str, "enterprise": str, "channels": list}
_CHANNEL_KEYS = {
    "channel": str,
    "name": str,
    "account": str,
    "role_arn": str,
    "notifications": dict,
    "members": dict,
}
_NOTIFICATION_KEYS = {"severity": str, "new_and_reopened": bool, "correspondence": bool, "resolved": bool}
_REQUIRED = {
    "workspace": ("team", "channels"),
    "channel": ("channel", "account"),
    "notifications": ("severity",),
}


class FileErrors(UserFacingError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so errors can say where they are."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k.value, str)}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


@dataclass(frozen=True)
class Wanted:
    line: int
    config: ChannelConfigRow
    role_given: bool


@dataclass
class Plan:
    create: list[ChannelConfigRow] = field(default_factory=list)
    update: list[tuple[ChannelConfigRow, ChannelConfigRow]] = field(default_factory=list)
    delete: list[ChannelConfigRow] = field(default_factory=list)
    unchanged: list[ChannelConfigRow] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)

    def lines(self) -> list[str]:
        def name(r: ChannelConfigRow) -> str:
            return f"{r.workspace.team_id or r.workspace.enterprise_id} #{r.channel_name or r.channel_id} {r.account_id}"

        out = [f"create    {name(r)} role={r.role_arn}" for r in self.create]
        out += [f"update    {name(new)} ({_diff(old, new)})" for old, new in self.update]
        out += [f"delete    {name(r)}" for r in self.delete]
        out += [f"unchanged {name(r)}" for r in self.unchanged]
        return out


def _diff(old: ChannelConfigRow, new: ChannelConfigRow) -> str:
    parts = []
    if old.role_arn != new.role_arn:
        parts.append(f"role {old.role_arn} -> {new.role_arn}")
    if old.notifications != new.notifications:
        parts.append("notifications")
    if old.channel_name != new.channel_name:
        parts.append("name")
    if _policy(old) != _policy(new):
        parts.append("members")
    return ", ".join(parts)


def _policy(row: ChannelConfigRow) -> dict[str, Any] | None:
    return stored_policy(row.members).as_mapping()


def _check_keys(
    entry: Any, allowed: dict[str, type], required: tuple[str, ...], where: str, errors: list[str]
) -> dict[str, Any] | None:
    if not isinstance(entry, dict):
        errors.append(f"{where}: expected a mapping, got {type(entry).__name__}")
        return None
    line = entry.get("__line__", "?")
    ok = True
    for key, value in entry.items():
        if key in ("__line__", "__lines__"):
            continue
        if key not in allowed:
            at = entry.get("__lines__", {}).get(key, line)
            errors.append(f"line {at} ({where}): unknown key {key!r}; allowed: {', '.join(allowed)}")
            ok = False
        elif not isinstance(value, allowed[key]) or (allowed[key] is not bool and isinstance(value, bool)):
            errors.append(f"line {line} ({where}): {key} must be a {allowed[key].__name__}, got {value!r}")
            ok = False
    for key in required:
        if key not in entry:
            errors.append(f"line {line} ({where}): {key} is required")
            ok = False
    return entry if ok else None


# The notification rules in the file's own vocabulary (the modal's labels mean nothing in a file).
_FILE_WORDS = {
    NotificationRule.UNKNOWN_SEVERITY: "severity must be one of: all, high, none (got {severity!r})",
    NotificationRule.NOTHING_CHOSEN: "with severity {severity}, set at least one of new_and_reopened, "
    "correspondence, resolved to true",
    NotificationRule.CHOSEN_WITH_NONE: "with severity none, new_and_reopened, correspondence and resolved must be "
    "false or left out (or use severity all or high)",
}


def _notifications(raw: dict[str, Any] | None, where: str, errors: list[str]) -> Notifications | None:
    if raw is None:
        return Notifications()
    entry = _check_keys(raw, _NOTIFICATION_KEYS, _REQUIRED["notifications"], where, errors)
    if entry is None:
        return None
    n = Notifications(
        severity=entry["severity"],
        on_create_or_reopen=entry.get("new_and_reopened", False),
        on_correspondence=entry.get("correspondence", False),
        on_resolve=entry.get("resolved", False),
    )
    problem = _FILE_WORDS.get(broken_notification_rule(n))  # type: ignore[arg-type]
    if problem:
        errors.append(f"line {entry['__line__']} ({where}): {problem.format(severity=n.severity)}")
        return None
    return n


def _members(raw: dict[str, Any] | None, where: str, errors: list[str]) -> MemberPolicy | None:
    """The `members:` block; each problem on the line of the key it is about."""
    try:
        return parse_policy(raw)
    except InvalidPolicy as e:
        lines = (raw or {}).get("__lines__") or {}
        for p in e.problems:
            line = lines.get(p.key, (raw or {}).get("__line__", "?"))
            errors.append(f"line {line} ({where}): {p.message}")
        return None


def parse_file(text: str) -> list[Wanted]:
    """The configurations a file declares; FileErrors listing every problem (nothing is applied then)."""
    errors: list[str] = []
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise FileErrors([f"not valid YAML or JSON: {e}"]) from e
    document = (
        _check_keys(document, {"workspaces": list}, ("workspaces",), "file", errors) if document else None
    )
    if document is None:
        raise FileErrors(errors or ["the file is empty: it must have a `workspaces:` list"])
    wanted: list[Wanted] = []
    seen: dict[tuple[ChannelKey, str], int] = {}
    for i, raw_ws in enumerate(document["workspaces"]):
        ws = _check_keys(raw_ws, _WORKSPACE_KEYS, _REQUIRED["workspace"], f"workspaces[{i}]", errors)
        if ws is None:
            continue
        enterprise = ws.get("enterprise", "")
        org_wide = ws["team"] == "" and bool(enterprise)
        if not (org_wide or TEAM_ID.fullmatch(ws["team"])) or (
            enterprise and not ENTERPRISE_ID.fullmatch(enterprise)
        ):
            errors.append(
                f'line {ws["__line__"]} (workspaces[{i}]): team must be a Slack team ID (T…; "" for an '
                "org-wide install) and enterprise an org ID (E…)"
            )
            continue
        key = WorkspaceKey(enterprise, ws["team"])
        for j, raw_ch in enumerate(ws["channels"]):
            where = f"workspaces[{i}].channels[{j}]"
            ch = _check_keys(raw_ch, _CHANNEL_KEYS, _REQUIRED["channel"], where, errors)
            if ch is None:
                continue
            line = ch["__line__"]
            n = _notifications(ch.get("notifications"), where + ".notifications", errors)
            members = _members(ch.get("members"), where + ".members", errors)
            try:
                if not CHANNEL_ID.fullmatch(ch["channel"]):
                    raise UserFacingError(
                        f"channel {ch['channel']!r} is not a channel ID (C… or G…; direct messages cannot be used)"
                    )
                account_id = parse_account_id(ch["account"])
                if "role_arn" in ch and parse_role_arn(ch["role_arn"]) != account_id:
                    raise UserFacingError(f"role_arn must be a role of account {account_id}")
            except UserFacingError as e:
                errors.append(f"line {line} ({where}): {e.message}")
                continue
            ident = (ChannelKey(key, ch["channel"]), account_id)
            if ident in seen:
                errors.append(f"line {line} ({where}): the same channel and account as line {seen[ident]}")
                continue
            seen[ident] = line
            if n is None or members is None:
                continue
            config = ChannelConfigRow(
                workspace=key,
                channel_id=ch["channel"],
                channel_name=ch.get("name", ""),
                account_id=account_id,
                account_name=None,
                role_arn=ch.get("role_arn", ""),
                notifications=n,
                members=members.as_mapping(),
            )
            wanted.append(Wanted(line, config, "role_arn" in ch))
    if errors:
        raise FileErrors(errors)
    return wanted


class ChannelFiles:
    def __init__(self, channels: ChannelService) -> None:
        self.channels = channels

    async def plan(self, text: str, actor_label: str) -> tuple[Plan, list[ChannelConfigRow]]:
        """The plan, and the rows to save (complete: default roles and names filled in)."""
        wanted = parse_file(text)
        accounts = self.channels.accounts
        errors: list[str] = []
        resolved: list[ChannelConfigRow] = []
        for w in wanted:
            c = w.config
            try:
                await accounts.installed_workspace(c.workspace)
                auth = await accounts.authorized(c.workspace, c.account_id)
            except UserFacingError as e:
                errors.append(f"line {w.line}: {e.message}")
                continue
            role = c.role_arn if w.role_given else (auth.verified_role_arn or "")
            if not role:
                errors.append(f"line {w.line}: account {c.account_id} has no verified role; give role_arn")
                continue
            resolved.append(replace(c, role_arn=role, created_by=actor_label))
        if errors:
            raise FileErrors(errors)
        plan = Plan()
        workspaces = {r.workspace for r in resolved} | {w.config.workspace for w in wanted}
        current = {r.key: r for ws in workspaces for r in await self.channels.for_workspace(ws)}
        for row in resolved:
            old = current.pop(row.key, None)
            named = row if row.channel_name or old is None else replace(row, channel_name=old.channel_name)
            if old is None:
                plan.create.append(named)
            elif (old.role_arn, old.notifications, old.channel_name, _policy(old)) != (
                named.role_arn,
                named.notifications,
                named.channel_name,
                _policy(named),
            ):
                plan.update.append((old, named))
            else:
                plan.unchanged.append(old)
        plan.delete = list(current.values())
        return plan, [*plan.create, *(new for _, new in plan.update)]

    async def apply(self, text: str, actor_label: str, *, dry_run: bool = False) -> Plan:
        plan, saves = await self.plan(text, actor_label)
        if dry_run or not plan.changes:
            return plan
        errors = []
        old_roles = {old.key: old.role_arn for old, _ in plan.update}
        for row in saves:
            if old_roles.get(row.key) == row.role_arn:
                continue  # a role this channel already uses was verified when it was set
            try:
                await self.channels.accounts.verify_role(
                    row.role_arn, Actor.at_command_line(row.workspace, actor_label)
                )
            except UserFacingError as e:
                errors.append(f"#{row.channel_name or row.channel_id} {row.account_id}: {e.message}")
        if errors:
            raise FileErrors(errors)
        try:
            await self.channels.repository.replace_all(
                plan.delete, saves, per_account=CONFIGURATIONS_PER_ACCOUNT, per_channel=ACCOUNTS_PER_CHANNEL
            )
            self.channels.forget_cached()
        except (LimitReached, ChannelOwnedElsewhere) as e:
            raise limit_error(e, {row.workspace for row in saves}) from e
        return plan


def rows_as_file(rows: list[ChannelConfigRow]) -> dict[str, Any]:
    """The current configurations in the file format (`channels list`), so list | apply round-trips."""
    by_ws: dict[WorkspaceKey, list[dict[str, Any]]] = {}
    for r in rows:
        n = r.notifications
        entry: dict[str, Any] = {
            "channel": r.channel_id,
            "name": r.channel_name,
            "account": r.account_id,
            "role_arn": r.role_arn,
        }
        entry["notifications"] = {
            "severity": n.severity,
            "new_and_reopened": n.on_create_or_reopen,
            "correspondence": n.on_correspondence,
            "resolved": n.on_resolve,
        }
        members = _policy(r)
        if members:
            entry["members"] = members
        by_ws.setdefault(r.workspace, []).append(entry)
    return {
        "workspaces": [
            ({"team": k.team_id} | ({"enterprise": k.enterprise_id} if k.enterprise_id else {}))
            | {"channels": v}
            for k, v in by_ws.items()
        ]
    }
