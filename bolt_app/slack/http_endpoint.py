"""The Slack endpoints of the web app: the body is parsed once, its shape checked, and the parse handed to Bolt.

Bolt's aiohttp adapter would parse the body a second time (and build its context from it, which fails on a
malformed shape before the signature is checked). Here it is parsed once, as Bolt parses it, checked
(`payload_shapes`), and given to Bolt already parsed; Bolt still verifies the signature on the raw body.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.aiohttp import to_bolt_request
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import extract_content_type
from slack_sdk.signature import SignatureVerifier

from bolt_app.slack.payload_shapes import parse_slack_body

log = logging.getLogger(__name__)


class ParsedRequest(AsyncBoltRequest):
    """An HTTP request to Bolt whose body is already parsed. Bolt takes a parsed (dict) body only in Socket
    Mode, so it is built that way and then made an HTTP request again: the signature is checked on `raw_body`."""

    def __init__(self, raw_body: str, body: dict[str, Any], request: web.Request) -> None:
        super().__init__(body=body, query=request.query_string, headers=request.headers, mode="socket_mode")  # type: ignore[arg-type]
        self.raw_body = raw_body
        self.mode = "http"


def events_handler(
    bolt: AsyncApp, signing_secret: str
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.StreamResponse:
        raw = await request.text()  # what Bolt's adapter reads (a body that is not text is a ValueError: 400)
        content_type = extract_content_type({"content-type": [request.headers.get("Content-Type", "")]})
        parsed = parse_slack_body(raw, content_type)
        if parsed.problem is None:
            bolt_request = ParsedRequest(raw, parsed.body, request)
            return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))
        problem = parsed.problem
        signed = verifier.is_valid(
            raw,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        if not signed:  # what Bolt answers an unsigned request (it would fail on the shape before checking)
            return web.json_response({"error": "invalid request"}, status=401)
        log.info("malformed Slack payload refused: %s", problem)
        return web.json_response({"error": "malformed request", "detail": problem}, status=400)

    return slack_events


def slack_web_app(bolt: AsyncApp, path: str, signing_secret: str) -> web.Application:
    """What `AsyncApp.web_app` builds (the events endpoint, and the install pages when OAuth is on), with the
    events endpoint above."""
    app = web.Application()
    app.router.add_post(path, events_handler(bolt, signing_secret))
    flow = bolt.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def callback(request: web.Request) -> web.StreamResponse:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, callback)
    return app
