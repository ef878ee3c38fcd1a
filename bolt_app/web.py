"""The aiohttp application: Bolt's routes plus /healthz, /readyz and /metrics, and the process lifecycle
(start-up, shutdown)."""

from __future__ import annotations

import asyncio
import gc
import logging
import uuid
from functools import partial

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bolt_app.app import build_app
from bolt_app.app import build_services
from bolt_app.bundle import Services
from bolt_app.http.notifications import EVENTS_PATH
from bolt_app.http.notifications import events_route
from bolt_app.http.role_templates import TEMPLATE_PATH
from bolt_app.http.role_templates import role_template_route
from bolt_app.http.security_headers import security_headers
from bolt_app.logging_setup import bind
from bolt_app.logging_setup import start_request
from bolt_app.metrics import Metrics
from bolt_app.notifications_worker import options_from_env
from bolt_app.notifications_worker import serve_deliveries
from bolt_app.notifications_worker import serve_in_background
from bolt_app.notifications_worker import worker_id
from bolt_app.settings import Settings
from bolt_app.slack.http_endpoint import slack_web_app
from bolt_app.slack.socket_mode import prepare_socket_mode_bot
from storage.db import current_revision
from storage.db import head_revision
from storage.db import ping

log = logging.getLogger(__name__)

SERVICES_KEY = web.AppKey("services", Services)
HEAD_REVISION_KEY = web.AppKey("head_revision", str)
IN_FLIGHT_KEY = web.AppKey("in_flight", set)  # the Bolt listener tasks still running (keep_listener_tasks)


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES_KEY]
    if await ping(services.engine):
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


async def readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers and its schema is the one this code expects (a process started
    before `db upgrade` finished, or after a `db downgrade`, is not)."""
    services = request.app[SERVICES_KEY]
    head = request.app[HEAD_REVISION_KEY]
    if not await ping(services.engine):
        return web.json_response({"status": "database unavailable"}, status=503)
    try:
        async with asyncio.timeout(2):
            current = await current_revision(services.engine)
    except Exception:
        return web.json_response({"status": "database unavailable"}, status=503)
    if current != head:
        return web.json_response(
            {"status": "migrations pending", "revision": current, "head": head}, status=503
        )
    return web.json_response({"status": "ok", "revision": current})


@web.middleware
async def log_context(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Gives each request an ID that every log line written for it carries (LOG_FORMAT=json)."""
    start_request(uuid.uuid4().hex[:16])
    return await handler(request)


@web.middleware
async def malformed_requests_are_client_errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Bolt parses the body before any of its error handling runs, so a `payload` that is not JSON escapes as
    an exception, which aiohttp would answer 500. A malformed request from the network is a client error."""
    try:
        return await handler(request)
    except ValueError:
        if request.path != "/slack/events":
            raise
        log.info("malformed request body on %s", request.path)
        return web.json_response({"error": "malformed request"}, status=400)


def _aws_call_observer(metrics: Metrics | None):  # type: ignore[no-untyped-def]
    def observe(service: str, operation: str, error_code: str | None, aws_request_id: str | None) -> None:
        bind(aws_request_id=aws_request_id)  # the log lines written after this call name it
        if metrics:
            metrics.aws_call(service, operation, error_code)

    return observe


def keep_listener_tasks(loop: asyncio.AbstractEventLoop) -> set[asyncio.Future[object]]:
    """Holds a strong reference to every Bolt listener task until it finishes, and returns them.

    The event loop keeps only weak references to tasks, and Bolt starts each listener with `ensure_future` and
    drops the reference; a listener parked on something only it refers to can then be garbage-collected
    mid-transaction, which leaks its database connection. The set also lets shutdown wait for them."""
    running: set[asyncio.Future[object]] = set()
    default_factory = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro, **kwargs):  # type: ignore[no-untyped-def]
        task = (
            default_factory(loop, coro, **kwargs)
            if default_factory
            else asyncio.Task(coro, loop=loop, **kwargs)
        )
        if getattr(coro, "__qualname__", "").endswith("run_ack_function_asynchronously"):
            running.add(task)
            task.add_done_callback(running.discard)
        return task

    loop.set_task_factory(factory)
    return running


async def create_web_app(settings: Settings, *, socket_mode: bool = False) -> web.Application:
    """Builds everything inside the running loop; `web.run_app` accepts this coroutine."""
    in_flight = keep_listener_tasks(asyncio.get_running_loop())
    options = options_from_env()
    services = await build_services(
        settings, notification_options=options.notification, listen_for_changes=True
    )
    metrics = Metrics() if settings.metrics_enabled else None
    services.aws.observe_calls(_aws_call_observer(metrics))
    if metrics:
        metrics.watch_engine(services.engine)
        metrics.watch_open_deliveries(services.notifications.delivery.deliveries.count_open)
        admission = services.role_sessions.budget.admission
        metrics.watch_aws_work(lambda: (admission.admitted, admission.waiting))
        metrics.watch_deferred_cases(services.deferred.repository.count)
        services.notifications.delivery.observe = metrics.delivery
    bolt = build_app(services, socket_mode=socket_mode)
    if socket_mode:
        app = web.Application()
        handler = AsyncSocketModeHandler(bolt, settings.app_token, web_client=services.client)

        async def connect(_: web.Application) -> None:
            which = await prepare_socket_mode_bot(
                settings, bolt.client, services.installation_store, services.workspaces
            )
            log.info("%s", which)
            await handler.connect_async()

        async def disconnect(_: web.Application) -> None:
            await handler.close_async()

        app.on_startup.append(connect)
        app.on_shutdown.append(disconnect)
    else:
        app = slack_web_app(bolt, "/slack/events", settings.signing_secret or "")
        app.middlewares.append(log_context)
        if metrics:
            app.middlewares.append(metrics.slack_requests("/slack/events"))
        app.middlewares.append(malformed_requests_are_client_errors)
        app.middlewares.append(security_headers)
        app.router.add_post(EVENTS_PATH, events_route(services.notifications))
        app.router.add_get(TEMPLATE_PATH, role_template_route(services.role_templates))
        serve_deliveries(app, services.notifications, options)
    deferred = services.deferred
    serve_in_background(app, partial(deferred.run, worker_id()), deferred.options.attempt_seconds / 10)
    app[SERVICES_KEY] = services
    app[HEAD_REVISION_KEY] = head_revision() or ""
    app[IN_FLIGHT_KEY] = in_flight
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if metrics:
        app.router.add_get("/metrics", metrics.handler)

    async def close(_: web.Application) -> None:
        # Let listeners that already acked finish their work (bounded) before the database goes away, so a
        # stop never cuts a transaction in half.
        if in_flight:
            await asyncio.wait(list(in_flight), timeout=10)
        await services.close()

    async def freeze_heap(_: web.Application) -> None:
        # Everything built at start-up lives as long as the process: keep it out of full collections,
        # which otherwise show up as the p99 of request latency.
        gc.collect()
        gc.freeze()

    app.on_startup.append(freeze_heap)
    app.on_cleanup.append(close)
    return app
