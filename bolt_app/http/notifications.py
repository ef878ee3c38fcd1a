"""`POST /aws/events`: the EventBridge API destination for AWS Support case events.

Each AWS account sends with its own events token (`Authorization: Bearer <token>`, issued by
`aws-support-slack accounts events-token ACCOUNT_ID`). The checks run before anything is stored, and answer the
same way whatever accounts exist: 401 for a missing or unknown token, 400 for a body that is not a Support Case
Update event, 403 for an event of another account than the token's. An accepted event answers 200, and so does a
repeat of one (EventBridge retries what is not 2xx, and a duplicate needs no retry).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from importlib import resources

from aiohttp import web

from bolt_app.http.event_bodies import MAX_BODY_BYTES
from bolt_app.http.event_bodies import decode_event
from bolt_app.http.event_bodies import sender_problem
from bolt_app.http.events_token_gate import EventsTokenGate
from bolt_app.services.notifications.events import InvalidEvent
from bolt_app.services.notifications.service import NotificationService

log = logging.getLogger(__name__)

EVENTS_PATH = "/aws/events"
TEMPLATE = "eventbridge-forwarding.yml"
BUS_TEMPLATE = "app-event-bus.yml"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def forwarding_template() -> str:
    """The CloudFormation template a customer deploys in us-east-1 to forward its case events to the app."""
    return resources.files("bolt_app").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def app_event_bus_template() -> str:
    """The CloudFormation template the app's operator deploys: the event bus customers forward to, its rule to
    the worker's queue, and the queue policy that lets only that rule send."""
    return resources.files("bolt_app").joinpath("templates", BUS_TEMPLATE).read_text(encoding="utf-8")


def events_token_instructions(account_id: str, token: str, app_base_url: str) -> str:
    """What `aws-support-slack accounts events-token` prints: the token (shown this once) and where it goes."""
    endpoint = f"{app_base_url.rstrip('/')}{EVENTS_PATH}"
    return "\n".join(
        [
            f"events token for AWS account {account_id} (shown once; the previous token no longer works):",
            token,
            "",
            f"In account {account_id}, in us-east-1, forward AWS Support case events to {endpoint}:",
            "  aws-support-slack accounts events-template > eventbridge-forwarding.yml",
            "  aws cloudformation deploy --region us-east-1 --stack-name aws-support-slack-events \\",
            "    --template-file eventbridge-forwarding.yml --capabilities CAPABILITY_IAM \\",
            f"    --parameter-overrides Destination=ApiDestination EventsEndpoint={endpoint} EventsToken=<the token>",
        ]
    )


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _refused(status: int, error: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="aws-events"'} if status == 401 else None
    return web.json_response({"error": error}, status=status, headers=headers)


def events_route(notifications: NotificationService) -> Handler:
    """The aiohttp handler; `app.router.add_post(EVENTS_PATH, events_route(notifications))`."""
    tokens = EventsTokenGate(notifications.account_for_token)

    async def handle(request: web.Request) -> web.Response:
        account_id = await tokens.account_for_token(_bearer(request))
        if account_id is None:
            return _refused(401, "unauthorized")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _refused(400, "the body is larger than an EventBridge event can be")
        try:
            event = decode_event(await request.read())
        except InvalidEvent as e:
            return _refused(400, str(e))
        problem = sender_problem(event, account_id)
        if problem:
            log.warning("events token of account %s refused: %s", account_id, problem)
            return _refused(403, "this token cannot send events of that account")
        result = await notifications.ingest(event, source="http")
        return web.json_response({"status": "accepted" if result.accepted else "duplicate"})

    return handle
