"""The composition root: builds the services and the Bolt app from settings. Wiring only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bolt_app.aws.budget import AwsBudget
from bolt_app.aws.identity import AppIdentity
from bolt_app.aws.sessions import AwsClients
from bolt_app.aws.sessions import RoleSessions
from bolt_app.bundle import Services
from bolt_app.http.oauth import build_install_flow
from bolt_app.logging_setup import bolt_log_context
from bolt_app.services.accounts import AccountService
from bolt_app.services.audit_log import AuditLog
from bolt_app.services.audited import AuditedActions
from bolt_app.services.cases.channel_actions import CaseActions
from bolt_app.services.cases.deferred import DeferredCases
from bolt_app.services.cases.service import CaseService
from bolt_app.services.channels import ChannelService
from bolt_app.services.home import HomeService
from bolt_app.services.member_rules import MemberRules
from bolt_app.services.notifications.case_reading import CaseReader
from bolt_app.services.notifications.delivery import ChannelDelivery
from bolt_app.services.notifications.events_tokens import EventsTokens
from bolt_app.services.notifications.inbox import Inbox
from bolt_app.services.notifications.options import Clock
from bolt_app.services.notifications.options import NotificationOptions
from bolt_app.services.notifications.options import system_clock
from bolt_app.services.notifications.reconcile import Reconciliation
from bolt_app.services.notifications.service import NotificationService
from bolt_app.services.quotas.service import QuotaService
from bolt_app.services.role_templates import LINK_HOURS
from bolt_app.services.role_templates import RoleTemplates
from bolt_app.services.workspaces import WorkspaceService
from bolt_app.settings import Settings
from bolt_app.shared_caches import forget_changed
from bolt_app.shared_caches import forget_everything
from bolt_app.signed_links import LinkSigner
from bolt_app.signed_links import derived_key
from bolt_app.slack.authorize import StoredInstallationAuthorize
from bolt_app.slack.authorize import TokenRotation
from bolt_app.slack.authorize import answer_when_not_installed
from bolt_app.slack.authorize import not_installed_message
from bolt_app.slack.client import build_web_client
from bolt_app.slack.client import new_http_session
from bolt_app.slack.deferred_cases import SlackDeferredCases
from bolt_app.slack.delivery import SlackDelivery
from bolt_app.slack.people import SlackPeopleDirectory
from bolt_app.slack.retries import drop_retries_after_timeout
from listeners import register_listeners
from storage.accounts import AccountRepository
from storage.audit import AuditRepository
from storage.audit import IdempotencyKeys
from storage.case_openers import CaseOpenerRepository
from storage.change_feed import ChangeFeed
from storage.change_feed import announces_changes
from storage.channels import ChannelRepository
from storage.crypto import configure_token_cipher
from storage.db import create_engine
from storage.deferred_cases import DeferredCaseRepository
from storage.installation_store import InstallationStore
from storage.notifications.deliveries import DeliveryRepository
from storage.notifications.events_tokens import EventsTokenRepository
from storage.notifications.reconciliations import ReconciliationRepository
from storage.notifications.threads import ThreadRepository
from storage.state_store import OAuthStateStore
from storage.state_store import state_key
from storage.workspaces import WorkspaceRepository

__all__ = ["Services", "build_app", "build_notification_service", "build_services"]

log = logging.getLogger(__name__)

Middleware = Callable[[AsyncBoltContext, Callable[[], Awaitable[None]]], Awaitable[None]]


async def build_services(
    settings: Settings,
    engine: AsyncEngine | None = None,
    notification_options: NotificationOptions | None = None,
    *,
    listen_for_changes: bool = False,
) -> Services:
    """Must run inside the event loop that will serve requests (it opens the shared HTTP session).

    `listen_for_changes`: a long-running process drops what it cached when another process changes it
    (PostgreSQL's announcements); a one-off command has nothing to keep fresh."""
    configure_token_cipher(settings.token_encryption_keys)
    engine = engine or create_engine(settings.database_url)
    http = new_http_session()
    client = build_web_client(settings.slack_api_url, http)
    store = InstallationStore(client_id=settings.client_id or "socket-mode", engine=engine)
    rotation = TokenRotation(store, settings.client_id, settings.client_secret, client)
    workspaces = WorkspaceService(WorkspaceRepository(engine), store)
    identity = AppIdentity()
    aws = AwsClients()
    role_sessions = RoleSessions(aws, budget=AwsBudget(admission_limit=settings.aws_work_limit))
    accounts = AccountService(AccountRepository(engine), workspaces, aws, identity)
    audit, idempotency = AuditRepository(engine), IdempotencyKeys(engine)
    audit_log = AuditLog(audit, workspaces, settings.audit_retention_days)
    openers = CaseOpenerRepository(engine)
    members = MemberRules(SlackPeopleDirectory(client, rotation, settings.bot_token), workspaces.repository)
    cases = CaseService(
        role_sessions, audit, idempotency, openers, members=members, deferred=DeferredCaseRepository(engine)
    )
    channels = ChannelService(ChannelRepository(engine), accounts, workspaces, role_sessions)
    notifications = build_notification_service(
        engine=engine,
        client=client,
        rotation=rotation,
        channels=channels.repository,
        workspaces=workspaces.repository,
        cases=cases,
        role_sessions=role_sessions,
        audit=audit,
        bot_token=settings.bot_token,
        options=notification_options,
    )
    case_actions = CaseActions(cases, notifications)
    deferred = DeferredCases(
        DeferredCaseRepository(engine),
        case_actions,
        channels,
        SlackDeferredCases(notifications.delivery.posters),  # type: ignore[arg-type]
        AuditedActions(audit, idempotency, members),
    )
    changes = None
    if listen_for_changes and announces_changes(engine):
        changes = ChangeFeed(
            engine, forget_changed(store, channels), on_gap=forget_everything(store, channels)
        )
        await changes.start()
    return Services(
        changes=changes,
        settings=settings,
        engine=engine,
        http=http,
        client=client,
        installation_store=store,
        state_store=OAuthStateStore(engine, state_key(settings.client_secret)),
        rotation=rotation,
        workspaces=workspaces,
        app_identity=identity,
        aws=aws,
        role_sessions=role_sessions,
        accounts=accounts,
        channels=channels,
        home=HomeService(workspaces, accounts, channels, openers, audit_log),
        audit=audit,
        audit_log=audit_log,
        quotas=QuotaService(role_sessions, audit, idempotency, members=members),
        members=members,
        cases=cases,
        notifications=notifications,
        case_actions=case_actions,
        deferred=deferred,
        role_templates=RoleTemplates(
            LinkSigner(derived_key(settings.client_secret, "role template link v1"), LINK_HOURS * 3600),
            workspaces,
            identity,
            settings.app_base_url,
        ),
    )


def build_notification_service(
    *,
    engine: AsyncEngine,
    client: AsyncWebClient,
    rotation: TokenRotation,
    channels: ChannelRepository,
    workspaces: WorkspaceRepository,
    cases: CaseService,
    role_sessions: RoleSessions,
    audit: AuditRepository,
    bot_token: str | None = None,
    options: NotificationOptions | None = None,
    clock: Clock = system_clock,
    checkpoint: Callable[[str], None] | None = None,
) -> NotificationService:
    """The notification service and its parts; `checkpoint` lets tests stop a delivery where a process could die."""
    options = options or NotificationOptions()
    deliveries, threads = DeliveryRepository(engine), ThreadRepository(engine)
    inbox = Inbox(deliveries, clock)
    posters = SlackDelivery(
        client,
        rotation,
        post_interval_seconds=options.post_interval_seconds,
        bot_token=bot_token,  # Socket Mode: the one workspace's token, when nothing is stored
    )
    delivery = ChannelDelivery(
        deliveries=deliveries,
        threads=threads,
        channels=channels,
        workspaces=workspaces,
        reader=CaseReader(cases),
        posters=posters,
        audit=audit,
        options=options,
        clock=clock,
        checkpoint=checkpoint or (lambda step: None),
    )
    reconciliation = Reconciliation(
        reconciliations=ReconciliationRepository(engine),
        inbox=inbox,
        threads=threads,
        deliveries=deliveries,
        channels=channels,
        workspaces=workspaces,
        role_sessions=role_sessions,
        options=options,
        clock=clock,
    )
    return NotificationService(
        tokens=EventsTokens(EventsTokenRepository(engine), clock),
        inbox=inbox,
        delivery=delivery,
        reconciliation=reconciliation,
        threads=threads,
        clock=clock,
    )


def build_app(services: Services, *, socket_mode: bool = False) -> AsyncApp:
    settings = services.settings
    if settings.oauth_enabled and not (socket_mode and settings.bot_token):
        # Over HTTP, and in Socket Mode without a fixed token: the stored installations, rotating their tokens.
        app = AsyncApp(
            client=services.client,
            signing_secret=settings.signing_secret,
            oauth_flow=build_install_flow(
                settings,
                services.client,
                installations=services.installation_store,
                states=services.state_store,
                workspaces=services.workspaces,
                accounts=services.accounts,
                identity=services.app_identity,
                templates=services.role_templates,
            ),
            authorize=StoredInstallationAuthorize(services.installation_store, services.rotation),
            before_authorize=answer_when_not_installed(services.installation_store, settings.app_base_url),
            user_facing_authorize_error_message=not_installed_message(settings.app_base_url),
            installation_store_bot_only=True,
            raise_error_for_unhandled_request=False,
        )
    else:  # Socket Mode with a fixed token, one workspace
        app = AsyncApp(
            client=build_web_client(settings.slack_api_url, services.http, token=settings.bot_token),
            token=settings.bot_token,
            signing_secret=settings.signing_secret,
        )
    app.use(per_request(services))
    register_listeners(app)
    return app


def per_request(services: Services) -> Callable[..., Awaitable[Any]]:
    """`drop_retries_after_timeout`, then `services_by_name`, then `bolt_log_context`, as one Bolt middleware:
    Bolt builds every listener argument for each middleware it calls, so one costs less than three."""
    put_services = services_by_name(services)

    async def middleware(
        req: AsyncBoltRequest, context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        async def then() -> Any:
            return await put_services(context, lambda: bolt_log_context(context, next))

        return await drop_retries_after_timeout(req, then)

    return middleware


def services_by_name(services: Services) -> Middleware:
    """A middleware that puts each service into the context under its name, so that Bolt hands it to any
    listener with a parameter of that name (`async def x(ack, body, accounts: AccountService)`)."""
    provided = services.for_listeners()

    async def put_services(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
        context.update(provided)
        await next()

    return put_services
