"""The "Add to Slack" flow: Bolt's OAuth flow with our stores, our pages, and the AWS account an install is for."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable

from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions
from slack_bolt.oauth.async_callback_options import AsyncFailureArgs
from slack_bolt.oauth.async_callback_options import AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError

from bolt_app.aws.identity import AppIdentity
from bolt_app.http import pages
from bolt_app.http.role_templates import template_url
from bolt_app.identifiers import is_account_id
from bolt_app.services.accounts import AccountService
from bolt_app.services.role_templates import LINK_HOURS
from bolt_app.services.role_templates import RoleTemplates
from bolt_app.services.role_templates import role_name
from bolt_app.services.role_templates import stack_name
from bolt_app.services.role_templates import template_filename
from bolt_app.services.workspaces import WorkspaceService
from bolt_app.settings import Settings
from storage.installation_store import InstallationStore
from storage.state_store import OAuthStateStore
from storage.workspaces import WorkspaceKey

log = logging.getLogger(__name__)

# The least the built features need, and why, as the install page says it (manifest.yml lists the same).
SCOPES = [
    pages.Scope("commands", 'The /aws-support command and the "Create AWS support case" message shortcut.'),
    pages.Scope("chat:write", "Post case messages and case notifications in channels the app was added to."),
    pages.Scope("users:read", "Check that whoever runs an admin command is a workspace admin or owner."),
    pages.Scope("channels:read", "Read a public channel's name and members when it is configured."),
    pages.Scope("groups:read", "The same for private channels, where configuring the app is recommended."),
    pages.Scope(
        "files:read", "Download the files you attach in the case and reply forms, to send them to AWS."
    ),
    pages.Scope("usergroups:read", "See who is in the user groups a channel's “Who can…” rules name."),
]
BOT_SCOPES = [scope.name for scope in SCOPES]


def _html(status: int, body: str) -> BoltResponse:
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def _query_value(request: AsyncBoltRequest, name: str) -> str | None:
    values = request.query.get(name) if request.query else None
    return values[0] if values else None


class InstallFlow(AsyncOAuthFlow):
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        settings: AsyncOAuthSettings,
        states: OAuthStateStore,
        workspaces: WorkspaceService,
        accounts: AccountService,
    ) -> None:
        super().__init__(client=client, settings=settings)
        self.states = states
        self.workspaces = workspaces
        self.accounts = accounts

    async def handle_installation(self, request: AsyncBoltRequest) -> BoltResponse:
        account = _query_value(request, "aws_account")
        if account is not None and not is_account_id(account):
            return _html(
                400,
                pages.notice_page(
                    "That is not an AWS account ID",
                    "The aws_account in this link must be a 12-digit AWS account ID, such as 123456789012. "
                    "Ask for a corrected link, or install without it.",
                    link_label="Install without an AWS account",
                ),
            )
        return await super().handle_installation(request)

    async def issue_new_state(self, request: AsyncBoltRequest) -> str:
        return await self.states.async_issue(aws_account_id=_query_value(request, "aws_account"))

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return pages.install_page(url, SCOPES, _query_value(request, "aws_account"))

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation) -> None:
        # Bolt shows its storage_error page only for a BoltError; a raw database error would be a bare 500.
        try:
            await super().store_installation(request, installation)
            workspace = await self.workspaces.record_install(installation)
            state = _query_value(request, "state")
            consumed = await self.states.consumed(state) if state else None
            if consumed and consumed.aws_account_id:
                await self.accounts.record_pending(
                    workspace.key, consumed.aws_account_id, installation.user_id
                )
        except SQLAlchemyError as e:
            log.exception("storing the installation of team %s failed", installation.team_id)
            raise BoltError(f"storage error: {type(e).__name__}") from e


def _success_handler(
    states: OAuthStateStore, workspaces: WorkspaceService, identity: AppIdentity, templates: RoleTemplates
) -> Callable[[AsyncSuccessArgs], Awaitable[BoltResponse]]:
    async def on_success(args: AsyncSuccessArgs) -> BoltResponse:
        outcome = await _install_outcome(states, workspaces, identity, templates, args)
        return _html(200, pages.success_page(outcome))

    return on_success


async def _install_outcome(
    states: OAuthStateStore,
    workspaces: WorkspaceService,
    identity: AppIdentity,
    templates: RoleTemplates,
    args: AsyncSuccessArgs,
) -> pages.InstallOutcome:
    inst = args.installation
    key = WorkspaceKey.of(inst.enterprise_id, inst.team_id, inst.is_enterprise_install)
    workspace = await workspaces.get(key)
    state = _query_value(args.request, "state")
    consumed = await states.consumed(state) if state else None
    aws_account_id = consumed.aws_account_id if consumed else None
    return pages.InstallOutcome(
        team_name=(inst.enterprise_name if inst.is_enterprise_install else inst.team_name)
        or "your workspace",
        external_id=workspace.external_id if workspace else "",
        app_principal_arn=await identity.principal_arn(),
        aws_account_id=aws_account_id,
        slack_url=f"slack://app?team={inst.team_id or ''}&id={inst.app_id or ''}",
        template=pages.RoleTemplateLink(
            url=template_url(templates.link_token(key)),
            filename=template_filename(key),
            hours=LINK_HOURS,
            stack_name=stack_name(key),
            role_name=role_name(key),
        ),
    )


async def _on_failure(args: AsyncFailureArgs) -> BoltResponse:
    log.info("install failed: %s (%s)", args.reason, args.error)
    return _html(args.suggested_status_code, pages.failure_page(args.reason))


def build_install_flow(
    settings: Settings,
    client: AsyncWebClient,
    *,
    installations: InstallationStore,
    states: OAuthStateStore,
    workspaces: WorkspaceService,
    accounts: AccountService,
    identity: AppIdentity,
    templates: RoleTemplates,
) -> InstallFlow:
    oauth_settings = AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=BOT_SCOPES,
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=states.expiration_seconds,
        callback_options=AsyncCallbackOptions(
            success=_success_handler(states, workspaces, identity, templates), failure=_on_failure
        ),
    )
    return InstallFlow(
        client=client, settings=oauth_settings, states=states, workspaces=workspaces, accounts=accounts
    )
