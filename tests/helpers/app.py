"""The real app, in process, behind a real aiohttp server, wired to the fake Slack Web API."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from collections.abc import Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlparse

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from bolt_app.bundle import Services
from bolt_app.settings import Settings
from bolt_app.web import IN_FLIGHT_KEY
from bolt_app.web import SERVICES_KEY
from bolt_app.web import create_web_app
from storage.crypto import generate_key
from tests.fakes.slack_api import FakeSlackApi
from tests.helpers.slack_requests import RESPONSE_URL_ORIGIN
from tests.helpers.slack_requests import SignedResponse
from tests.helpers.slack_requests import post_signed
from tests.helpers.slack_requests import post_with_headers
from tests.helpers.slack_requests import slash_command_body

SIGNING_SECRET = "test-signing-secret"
CLIENT_ID = "111.222"
CLIENT_SECRET = "test-client-secret"


def app_settings(database_url: str, slack: FakeSlackApi, **overrides: Any) -> Settings:
    base = Settings(
        database_url=database_url,
        token_encryption_keys=(generate_key(),),
        slack_api_url=slack.base_url,
        app_base_url="http://localhost:3000",
        signing_secret=SIGNING_SECRET,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
    )
    return replace(base, **overrides)


@dataclass
class PageResponse:
    status: int
    text: str
    headers: dict[str, str]


@dataclass
class AppHarness:
    slack: FakeSlackApi
    settings: Settings
    services: Services
    server: TestServer
    http: aiohttp.ClientSession
    in_flight: set[asyncio.Future[object]]

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def post(self, body: str, **kwargs: Any) -> SignedResponse:
        return await post_signed(self.http, self.url("/slack/events"), body, SIGNING_SECRET, **kwargs)

    async def post_with(self, body: str, headers: Mapping[str, str]) -> SignedResponse:
        """POST to /slack/events with these headers as they are (a signature made earlier, Slack's retries)."""
        return await post_with_headers(self.http, self.url("/slack/events"), body, headers)

    async def settled(self, within: float = 10.0) -> None:
        """Returns once every listener the app started (after its ack) has finished; fails after `within`."""
        deadline = asyncio.get_running_loop().time() + within
        while self.in_flight:
            remaining = deadline - asyncio.get_running_loop().time()
            done, pending = await asyncio.wait(list(self.in_flight), timeout=max(remaining, 0))
            if pending and remaining <= 0:
                raise AssertionError(f"{len(pending)} listener(s) still running after {within}s")

    async def command(self, text: str = "help", **kwargs: Any) -> SignedResponse:
        return await self.post(slash_command_body(text=text, **kwargs))

    async def get(self, path: str, headers: dict[str, str] | None = None) -> PageResponse:
        async with self.http.get(self.url(path), headers=headers or {}, allow_redirects=False) as r:
            return PageResponse(r.status, await r.text(), dict(r.headers))

    async def start_install(self, query: str = "") -> tuple[str, PageResponse]:
        """GET /slack/install like a browser; returns the state (from the cookie) and the page."""
        page = await self.get("/slack/install" + (f"?{query}" if query else ""))
        cookie = page.headers.get("Set-Cookie", "")
        match = re.search(r"slack-app-oauth-state=([^;]+)", cookie)
        assert match, f"no state cookie in {page.status} {cookie!r}"
        state = match.group(1)
        authorize_url = re.search(r'href="([^"]+)"', page.text)
        assert authorize_url and parse_qs(urlparse(authorize_url.group(1).replace("&amp;", "&")).query)[
            "state"
        ] == [state]
        return state, page

    async def finish_install(
        self, state: str, code: str = "valid-code", cookie_state: str | None = None, extra: str = ""
    ) -> PageResponse:
        cookie = cookie_state if cookie_state is not None else state
        headers = {"Cookie": f"slack-app-oauth-state={cookie}"} if cookie else {}
        return await self.get(f"/slack/oauth_redirect?code={code}&state={state}{extra}", headers)

    async def download_role_template(self, success_page: PageResponse) -> PageResponse:
        """Follows the success page's "Download CloudFormation template" link."""
        link = re.search(r'<a class="download" href="([^"]+)"', success_page.text)
        assert link, "no download link on the page"
        return await self.get(html.unescape(link.group(1)))

    async def install(self, query: str = "") -> PageResponse:
        state, _ = await self.start_install(query)
        page = await self.finish_install(state)
        assert page.status == 200, page.text
        return page


@asynccontextmanager
async def running_app(settings: Settings, slack: FakeSlackApi) -> AsyncIterator[AppHarness]:
    previous_origin = RESPONSE_URL_ORIGIN["origin"]
    RESPONSE_URL_ORIGIN["origin"] = slack.origin  # response_url posts reach the fake, which records them
    app: web.Application = await create_web_app(settings)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            yield AppHarness(slack, settings, app[SERVICES_KEY], server, http, app[IN_FLIGHT_KEY])
    finally:
        await server.close()
        RESPONSE_URL_ORIGIN["origin"] = previous_origin
