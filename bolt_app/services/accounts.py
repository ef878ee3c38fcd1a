"""AWS accounts authorizing workspaces: the account's consent, proven by assuming its role."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError

from bolt_app.aws.errors import CallContext
from bolt_app.aws.errors import explain
from bolt_app.aws.errors import is_access_denied
from bolt_app.aws.identity import AppIdentity
from bolt_app.aws.policies import trust_policy
from bolt_app.aws.sessions import AwsClients
from bolt_app.aws.sessions import Credentials
from bolt_app.aws.sessions import session_name
from bolt_app.errors import UserFacingError
from bolt_app.identifiers import ACCOUNT_ID
from bolt_app.identifiers import ROLE_ARN
from bolt_app.services.context import Actor
from bolt_app.services.workspaces import WorkspaceService
from bolt_app.services.workspaces import new_external_id
from storage.accounts import AUTHORIZED
from storage.accounts import AccountRepository
from storage.accounts import AccountRow
from storage.accounts import AuthorizationRow
from storage.accounts import ChannelsStillConfigured
from storage.accounts import WorkspaceLimitReached
from storage.workspaces import WorkspaceKey
from storage.workspaces import WorkspaceRow

WORKSPACES_PER_ACCOUNT = 5
# The supportapp API's alias rule, ^[\w\- ]+$ with Java's ASCII \w, 1-30 characters.
ACCOUNT_NAME = re.compile(r"[\w\- ]{1,30}", re.ASCII)


def display_name(account: AccountRow) -> str:
    """How an account appears everywhere: "Name (123456789012)", or the bare ID when it has no name."""
    return f"{account.account_name} ({account.account_id})" if account.account_name else account.account_id


def _strip_spaces(value: str) -> str:
    # Spaces around a pasted value are forgiven; a newline or other control character is not (it would be kept).
    return value.strip(" ")


def parse_role_arn(value: str, field: str = "role_arn") -> str:
    """The account ID of a role ARN; UserFacingError naming the rule otherwise."""
    value = _strip_spaces(value)
    if value.startswith("arn:") and not value.startswith("arn:aws:"):
        raise UserFacingError(
            "Only roles in the standard AWS partition (arn:aws:…) can be used; GovCloud and China roles cannot.",
            field=field,
        )
    m = ROLE_ARN.fullmatch(value)
    if not m:
        raise UserFacingError(
            "Enter an IAM role ARN like arn:aws:iam::123456789012:role/AWSSupportSlackRole "
            "(12-digit account ID, then role/ and the role name).",
            field=field,
        )
    return m["account"]


def parse_account_id(value: str, field: str = "account_id") -> str:
    value = _strip_spaces(value)
    if not ACCOUNT_ID.fullmatch(value):
        raise UserFacingError("An AWS account ID is 12 digits, like 123456789012.", field=field)
    return value


def parse_account_name(value: str | None, field: str = "account_name") -> str | None:
    """None (no name: shown as the account ID) or a valid name."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not ACCOUNT_NAME.fullmatch(value):
        problem = "is longer than 30 characters" if len(value) > 30 else "has characters that are not allowed"
        raise UserFacingError(
            f"The account name {problem}: use 1 to 30 letters, digits, spaces, hyphens (-) and underscores (_).",
            field=field,
        )
    return value


@dataclass(frozen=True)
class RoleSetup:
    """What an AWS admin needs to let this workspace use a role."""

    external_id: str
    app_principal_arn: str | None

    @property
    def trust_policy(self) -> dict[str, Any] | None:
        return trust_policy(self.app_principal_arn, self.external_id) if self.app_principal_arn else None


@dataclass(frozen=True)
class AccountList:
    """The workspace's accounts as `actor` sees them: admins also get the buttons that change them."""

    rows: list[AuthorizationRow]
    admin: bool


@dataclass(frozen=True)
class OrganizationOutcome:
    organization_id: str
    authorized: list[str]
    at_limit: list[str]


@dataclass(eq=False)
class AccountService:
    repository: AccountRepository
    workspaces: WorkspaceService
    aws: AwsClients
    identity: AppIdentity

    async def installed_workspace(self, key: WorkspaceKey) -> WorkspaceRow:
        workspace = await self.workspaces.get(key)
        if workspace is None or not workspace.installed:
            raise UserFacingError(
                "AWS Support is not installed in this workspace; install it first (Add to Slack), then authorize "
                "the account."
            )
        return workspace

    async def role_setup(self, key: WorkspaceKey) -> RoleSetup:
        workspace = await self.installed_workspace(key)
        return RoleSetup(workspace.external_id, await self.identity.principal_arn())

    async def setup_to_authorize(self, actor: Actor) -> RoleSetup:
        """What the "Authorize AWS account" form shows; only admins may authorize."""
        await self.workspaces.require_admin(actor, "authorize AWS accounts")
        return await self.role_setup(actor.workspace)

    # ---- proving a role --------------------------------------------------------------------------

    async def verify_role(self, role_arn: str, actor: Actor, account_shown: str | None = None) -> None:
        """Proves the role is usable by this workspace and by no other: it can be assumed with the workspace's
        External ID, it lives in the account its ARN names, and a different External ID is refused."""
        account_id = parse_role_arn(role_arn)
        setup = await self.role_setup(actor.workspace)
        ctx = CallContext(role_arn, account_shown or account_id, "sts:AssumeRole", setup.trust_policy)
        name = session_name(actor.workspace.team_id or actor.workspace.enterprise_id, actor.user_id)
        credentials = await self._assume(role_arn, setup.external_id, name, ctx)
        caller_account = await self._caller_account(credentials, ctx)
        if caller_account != account_id:
            raise UserFacingError(
                f"Assuming {role_arn} gave credentials of account {caller_account}, not {account_id}. "
                "Check the role ARN.",
                field="role_arn",
            )
        try:
            await asyncio.to_thread(self.aws.assume_role, role_arn, new_external_id(), name)
        except ClientError as e:
            if is_access_denied(e):
                return  # refused, as it must be
            raise explain(e, ctx) from e
        raise UserFacingError(
            f"The role {role_arn} can be assumed with any External ID, so any Slack workspace using this app could "
            "use it. Add the condition StringEquals sts:ExternalId (this workspace's External ID) to its trust "
            "policy, then try again.",
            field="role_arn",
        )

    async def _assume(self, role_arn: str, external_id: str, name: str, ctx: CallContext) -> Credentials:
        try:
            return await asyncio.to_thread(self.aws.assume_role, role_arn, external_id, name)
        except (ClientError, BotoCoreError) as e:
            raise explain(e, ctx) from e

    async def _caller_account(self, credentials: Credentials, ctx: CallContext) -> str:
        def get() -> str:
            sts = self.aws.client_for(credentials, "sts", "us-east-1")
            return str(sts.get_caller_identity()["Account"])

        try:
            return await asyncio.to_thread(get)
        except (ClientError, BotoCoreError) as e:
            raise explain(e, ctx) from e

    # ---- authorizations --------------------------------------------------------------------------

    async def authorize(
        self, actor: Actor, role_arn: str, account_name: str | None = None, *, keep_name: bool = False
    ) -> AuthorizationRow:
        await self.workspaces.require_admin(actor, "authorize AWS accounts")
        account_id = parse_role_arn(role_arn)
        name = parse_account_name(account_name)
        await self.verify_role(role_arn.strip(), actor)
        try:
            return await self.repository.authorize(
                actor.workspace,
                account_id,
                via="role",
                role_arn=role_arn.strip(),
                authorized_by=actor.label,
                account_name=None if keep_name and name is None else name,
                limit=WORKSPACES_PER_ACCOUNT,
            )
        except WorkspaceLimitReached as e:
            raise self._limit_error(e) from e

    @staticmethod
    def _limit_error(e: WorkspaceLimitReached) -> UserFacingError:
        # The other workspaces are other tenants: their names are not this workspace's to read.
        return UserFacingError(
            f"AWS account {e.account_id} has already authorized {len(e.workspaces)} Slack workspaces, the most "
            "an account can. To add this one, an admin of one of the others removes the account there first "
            "(`/aws-support accounts` → Remove), or the app's operator does (`aws-support-slack workspaces list` "
            "shows where it is, `aws-support-slack accounts remove` removes it)."
        )

    async def record_pending(self, key: WorkspaceKey, account_id: str, requested_by: str | None) -> None:
        await self.repository.record_pending(key, parse_account_id(account_id), requested_by)

    async def list(self, key: WorkspaceKey) -> list[AuthorizationRow]:
        """Every account the workspace knows of, pending ones too."""
        return await self.repository.list_for_workspace(key)

    async def authorized_accounts(self, key: WorkspaceKey) -> list[AuthorizationRow]:
        """The accounts that have authorized the workspace: those a channel can be configured with."""
        return [a for a in await self.list(key) if a.state == AUTHORIZED]

    async def list_for(self, actor: Actor) -> AccountList:
        return AccountList(await self.list(actor.workspace), await self.workspaces.is_admin(actor))

    async def authorized(self, key: WorkspaceKey, account_id: str) -> AuthorizationRow:
        row = await self.repository.get_authorization(key, account_id)
        if row is None or row.state != AUTHORIZED:
            raise UserFacingError(
                f"AWS account {account_id} has not authorized this workspace. A workspace admin can run "
                "`/aws-support authorize-account` with a role of that account."
            )
        return row

    async def to_rename(self, actor: Actor, account_id: str) -> AuthorizationRow:
        """The account whose name the "Edit name" form changes; only admins may rename."""
        await self.workspaces.require_admin(actor, "rename AWS accounts")
        return await self.authorized(actor.workspace, account_id)

    async def rename(self, actor: Actor, account_id: str, account_name: str | None) -> AccountRow:
        account_id = parse_account_id(account_id)
        await self.to_rename(actor, account_id)
        await self.repository.rename(account_id, parse_account_name(account_name))
        account = await self.repository.get_account(account_id)
        assert account is not None
        return account

    async def remove(self, actor: Actor, account_id: str) -> None:
        account_id = parse_account_id(account_id)
        await self.workspaces.require_admin(actor, "remove AWS accounts")
        try:
            removed = await self.repository.remove(actor.workspace, account_id)
        except ChannelsStillConfigured as e:
            raise UserFacingError(
                f"AWS account {account_id} is still attached to {', '.join(e.channel_names)}. Remove it from "
                "those channels first (`/aws-support configure-channel` in each), then remove the account."
            ) from e
        if not removed:
            raise UserFacingError(f"AWS account {account_id} is not authorized for this workspace.")

    # ---- organizations ---------------------------------------------------------------------------

    async def organization_candidates(self, actor: Actor) -> list[AuthorizationRow]:
        """The accounts the "Authorize organization" form offers; only admins may register an organization."""
        await self.workspaces.require_admin(actor, "register an AWS Organization")
        rows = await self.list(actor.workspace)
        if not any(r.verified_role_arn for r in rows):
            raise UserFacingError(
                "Authorize the organization's management account first (`/aws-support authorize-account`)."
            )
        return rows

    async def register_organization(self, actor: Actor, account_id: str) -> OrganizationOutcome:
        """Registers the workspace for the organization whose management account is `account_id`, which
        authorizes every active member account of it for this workspace."""
        await self.workspaces.require_admin(actor, "register an AWS Organization")
        auth = await self.authorized(actor.workspace, account_id)
        role_arn = auth.verified_role_arn
        if role_arn is None:
            raise UserFacingError(
                f"AWS account {account_id} is authorized through its organization, not with a role of its own; "
                "run this with the organization's management account."
            )
        setup = await self.role_setup(actor.workspace)
        shown = display_name(auth.account)
        name = session_name(actor.workspace.team_id or actor.workspace.enterprise_id, actor.user_id)
        credentials = await self._assume(
            role_arn,
            setup.external_id,
            name,
            CallContext(role_arn, shown, "sts:AssumeRole", setup.trust_policy),
        )
        org = await self._organization(credentials, role_arn, shown)
        org_id, management = org["Id"], org["MasterAccountId"]
        await self.repository.set_organization(account_id, org_id, management)
        if management != account_id:
            registered = await self.repository.organization_registered(actor.workspace, org_id)
            raise UserFacingError(
                f"AWS account {shown} is a member of organization {org_id}, not its management account "
                f"({management}). "
                + (
                    "The management account has already registered this workspace for the organization, so "
                    "this account is authorized through it."
                    if registered
                    else "Run this command with the management account (authorize it first with "
                    "`/aws-support authorize-account`), or authorize this account on its own."
                )
            )
        members = await self._active_members(credentials, role_arn, shown)
        outcome = await self.repository.register_organization(
            actor.workspace, org_id, management, members, actor.label, WORKSPACES_PER_ACCOUNT
        )
        return OrganizationOutcome(
            organization_id=org_id,
            authorized=[a for a, e in outcome.items() if e is None],
            at_limit=[a for a, e in outcome.items() if e is not None],
        )

    async def _organization(self, credentials: Credentials, role_arn: str, shown: str) -> dict[str, Any]:
        def describe() -> dict[str, Any]:
            client = self.aws.client_for(credentials, "organizations", "us-east-1")
            return client.describe_organization()["Organization"]

        try:
            return await asyncio.to_thread(describe)
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "AWSOrganizationsNotInUseException":
                raise UserFacingError(
                    f"AWS account {shown} is not in an AWS Organization, so there is no organization to register. "
                    "Authorize each account with `/aws-support authorize-account` instead."
                ) from e
            raise explain(e, CallContext(role_arn, shown, "organizations:DescribeOrganization")) from e

    async def _active_members(self, credentials: Credentials, role_arn: str, shown: str) -> list[str]:
        def list_accounts() -> list[str]:
            client = self.aws.client_for(credentials, "organizations", "us-east-1")
            accounts: list[str] = []
            for page in client.get_paginator("list_accounts").paginate():
                accounts += [a["Id"] for a in page["Accounts"] if a.get("Status", "ACTIVE") == "ACTIVE"]
            return accounts

        try:
            return await asyncio.to_thread(list_accounts)
        except ClientError as e:
            raise explain(e, CallContext(role_arn, shown, "organizations:ListAccounts")) from e
