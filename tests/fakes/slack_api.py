"""A local fake of the Slack Web API (aiohttp.web on 127.0.0.1, ephemeral port).

Point a client at it with ``AsyncWebClient(base_url=slack.base_url)``. Every call is recorded as a
``Call``; tests configure users, channels, files, OAuth and tokens, and inject failures.

Run it in the test's own loop (``async with FakeSlackApi() as slack``) or in a background thread with
its own loop (``with FakeSlackApi() as slack`` / ``start_in_thread()``) when the code under test runs in
another process. All state sits behind one ``threading.Condition``, so recording, configuring and
``wait_for`` work from any thread. In an async test, use ``await slack.wait_for(...)``; the blocking
``wait_for_blocking`` is for sync tests with the fake in its own thread.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from types import TracebackType
from typing import Any
from typing import Self

from aiohttp import web

Json = dict[str, Any]

TEAM_ID = "T0001"
TEAM_NAME = "Test Team"
TEAM_DOMAIN = "test-team"
ENTERPRISE_NAME = "Test Enterprise"
APP_ID = "A0001"
BOT_USER_ID = "UBOT0001"
BOT_ID = "B0001"
USER_ID = "U0001"
FILE_DOWNLOAD = "files.download"  # pseudo method name under which file downloads are recorded
RESPONSE_URL = "response_url"  # the method name under which response_url posts are recorded
_NO_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.access", "api.test"})
SOCKET_CONNECTED = "socket_mode.connected"  # pseudo method: a Socket Mode client opened the websocket
SOCKET_ACK = (
    "socket_mode.ack"  # pseudo method: what a Socket Mode client sent back (acks, with their payload)
)
_LOGIN_PAGE = "<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


@dataclass(frozen=True)
class Call:
    """One request the fake received, with the answer it gave."""

    method: str
    params: Json
    token: str | None
    at: float
    status: int = 200
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != 200 or self.error is not None


@dataclass
class OAuthConfig:
    """What ``oauth.v2.access`` accepts and returns. ``client_id``/``client_secret`` None = accept any."""

    code: str = "valid-code"
    client_id: str | None = None
    client_secret: str | None = None
    team_id: str = TEAM_ID
    team_name: str = TEAM_NAME
    enterprise_id: str | None = None
    enterprise_name: str = ENTERPRISE_NAME
    is_enterprise_install: bool = False
    token_rotation: bool = False
    expires_in: int = 43200
    scope: str = "commands,chat:write,users:read,channels:read,groups:read,im:read,files:read"
    authed_user_id: str = USER_ID
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    app_id: str = APP_ID


@dataclass
class TokenInfo:
    """Who a bot token belongs to."""

    team_id: str
    enterprise_id: str | None = None
    is_enterprise_install: bool = False
    user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    revoked: bool = False


@dataclass(frozen=True)
class FakeFile:
    id: str
    name: str
    content: bytes
    mimetype: str
    info: Json = field(default_factory=dict)  # fields of files.info to answer differently (url_private, ...)


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int
    remaining: int | None


class SlackError(Exception):
    """Raised inside handlers; becomes ``{"ok": false, "error": ...}`` with the given HTTP status."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.retry_after = retry_after

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return web.json_response({"ok": False, "error": self.error}, status=self.status, headers=headers)


Handler = Callable[[Json, TokenInfo], Json]


class FakeSlackApi:
    def __init__(self, *, accept_any_token: bool = True, latency: float = 0.0) -> None:
        self.accept_any_token = accept_any_token
        self.latency = latency
        self.oauth = OAuthConfig()
        self._cond = threading.Condition(threading.RLock())
        self._calls: list[Call] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._tokens: dict[str, TokenInfo] = {}
        self._refresh_tokens: dict[str, TokenInfo] = {}
        self._used_refresh_tokens: set[str] = set()
        self._users: dict[str, Json] = {}
        self._channels: dict[str, Json] = {}
        self._members: dict[str, set[str]] = {}  # channel -> users in it (users.conversations)
        self._groups: dict[str, list[str]] = {}
        self._group_handles: dict[str, str] = {}
        self._files: dict[str, FakeFile] = {}
        self._views: dict[str, Json] = {}
        self._home_views: dict[str, str] = {}
        self._rate: tuple[float, int] | None = None
        self._last_post: dict[str, float] = {}
        self._seq = itertools.count(1)
        self._ts = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self._origin: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Handler] = {
            "oauth.v2.access": self._oauth_v2_access,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "conversations.info": self._conversations_info,
            "users.conversations": self._users_conversations,
            "files.info": self._files_info,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.list": self._usergroups_list,
        }

    # ---- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/actions/{team}/{seq}/{secret}", self._handle_response_url)
        app.router.add_get("/files-pri/{file_ref}/download/{name}", self._handle_download)
        app.router.add_get("/files-pri/{file_ref}/{name}", self._handle_download)  # url_private
        app.router.add_get("/socket-mode/link", self._handle_socket_mode)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self._origin = f"http://{host}:{port}"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def origin(self) -> str:
        if self._origin is None:
            raise RuntimeError("FakeSlackApi is not started")
        return self._origin

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> None:
        """Serve from a daemon thread running its own event loop; returns once listening."""
        loop = asyncio.new_event_loop()
        ready: Future[None] = Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # surface start-up errors to the caller
                ready.set_exception(exc)
                loop.close()
                return
            ready.set_result(None)
            loop.run_forever()
            loop.close()

        thread = threading.Thread(target=run, name="fake-slack-api", daemon=True)
        thread.start()
        ready.result(timeout)
        self._loop, self._thread = loop, thread

    def stop_thread(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop = self._thread = None

    def __enter__(self) -> Self:
        self.start_in_thread()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_thread()

    # ---- recorded calls --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forget recorded calls (configuration and injected failures stay)."""
        with self._cond:
            self._calls.clear()

    def wait_for_blocking(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until ``count`` calls of ``method`` (matching ``where``) were recorded; return them."""

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (where is None or where(c))]

        with self._cond:
            if not self._cond.wait_for(lambda: len(matching()) >= count, timeout):
                seen = ", ".join(_describe(c) for c in self._calls[-50:]) or "nothing"
                raise AssertionError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(matching())}; "
                    f"received: {seen}"
                )
            return matching()

    def wait_until_blocking(self, where: Callable[[Call], bool], timeout: float = 5.0) -> list[Call]:
        """Block until a call of any method matches ``where``; return the matching calls."""
        with self._cond:
            if not self._cond.wait_for(lambda: any(where(c) for c in self._calls), timeout):
                seen = ", ".join(_describe(c) for c in self._calls[-50:]) or "nothing"
                raise AssertionError(f"no matching call within {timeout}s; received: {seen}")
            return [c for c in self._calls if where(c)]

    async def wait_until(
        self,
        where: Callable[[Call], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - the wait runs in a worker thread, bounded by this
    ) -> list[Call]:
        return await asyncio.to_thread(self.wait_until_blocking, where, timeout)

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the wait runs in a worker thread, bounded by this
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Like ``wait_for_blocking`` without blocking the running event loop."""
        return await asyncio.to_thread(self.wait_for_blocking, method, count, timeout, where)

    # ---- configuration ---------------------------------------------------------------------------

    def add_token(
        self,
        token: str,
        *,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
        user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
    ) -> None:
        with self._cond:
            self._tokens[token] = TokenInfo(team_id, enterprise_id, is_enterprise_install, user_id, bot_id)

    def revoke_token(self, token: str) -> None:
        """Later calls with ``token`` answer ``invalid_auth`` (even with ``accept_any_token``)."""
        with self._cond:
            self._tokens.setdefault(token, self._default_token_info()).revoked = True

    def new_refresh_token(self, team_id: str = TEAM_ID) -> str:
        """A refresh token for the workspace, as the app's OAuth & Permissions page shows with rotation on."""
        refresh = f"xoxe-1-{secrets.token_hex(16)}"
        with self._cond:
            self._refresh_tokens[refresh] = replace(self._default_token_info(), team_id=team_id)
        return refresh

    def issued_tokens(self) -> dict[str, TokenInfo]:
        with self._cond:
            return dict(self._tokens)

    def set_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        real_name: str | None = None,
        email: str | None = None,
        team_id: str | None = None,
        **fields: Any,
    ) -> None:
        name = real_name or f"User {user_id}"
        user = self._default_user(user_id) | {
            "team_id": team_id or self.oauth.team_id,
            "real_name": name,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
        }
        profile = user["profile"]
        profile |= {"real_name": name, "display_name": name, "email": email or profile["email"]}
        with self._cond:
            self._users[user_id] = user | fields

    def set_group(self, group_id: str, user_ids: list[str], handle: str | None = None) -> None:
        """A user group (S…) and its members, as ``usergroups.users.list`` and ``usergroups.list`` answer."""
        with self._cond:
            self._groups[group_id] = list(user_ids)
            self._group_handles[group_id] = handle or group_id.lower()

    def set_channel(self, channel_id: str, **fields: Any) -> None:
        """Override ``conversations.info`` fields (is_private, is_member, is_archived, name, ...)."""
        with self._cond:
            self._channels[channel_id] = self._channel(channel_id) | fields

    def set_members(self, channel_id: str, *user_ids: str) -> None:
        """Who is in the channel, as ``users.conversations`` tells (a channel never given members lists nobody)."""
        with self._cond:
            self._members[channel_id] = set(user_ids)

    def add_file(
        self, file_id: str, name: str, content: bytes, mimetype: str = "application/octet-stream", **info: Any
    ) -> None:
        """A file users can attach; `info` overrides what files.info says of it (`url_private`, `is_external`)."""
        with self._cond:
            self._files[file_id] = FakeFile(file_id, name, content, mimetype, info)

    def fail(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int = 1,
        times: int | None = 1,
    ) -> None:
        """Answer the next ``times`` calls (None = all) of ``method`` with an error.

        No ``status`` and no ``error``: HTTP 429 with Retry-After. ``error`` alone: HTTP 200
        ``{"ok": false, "error": error}``. ``status=500/503``: that status.
        """
        status = status if status is not None else (200 if error else 429)
        with self._cond:
            self._failures.setdefault(method, []).append(_Failure(status, error, retry_after, times))

    def clear_failures(self) -> None:
        with self._cond:
            self._failures.clear()

    def rate_limit_per_channel(self, per_second: float | None = 1.0, retry_after: int = 1) -> None:
        """Limit ``chat.postMessage`` per channel (None turns it off); excess calls get 429."""
        with self._cond:
            self._rate = (1.0 / per_second, retry_after) if per_second else None
            self._last_post.clear()

    # ---- HTTP ------------------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        token = _bearer(request) or params.get("token")
        at = time.monotonic()
        if self.latency:
            await asyncio.sleep(self.latency)
        with self._cond:
            try:
                self._raise_injected_failure(method)
                if method == "apps.connections.open":
                    body = {"ok": True} | self._apps_connections_open(token)
                else:
                    no_token = method in _NO_TOKEN_METHODS
                    auth = self._default_token_info() if no_token else self._authenticate(token)
                    body = {"ok": True} | self._handlers.get(method, _generic_ok)(params, auth)
            except SlackError as exc:
                self._record(Call(method, params, token, at, exc.status, exc.error))
                return exc.response()
            self._record(Call(method, params, token, at))
        return web.json_response(body)

    # ---- Socket Mode ------------------------------------------------------------------------------

    def _apps_connections_open(self, token: str | None) -> Json:
        """Like Slack: only an app-level token (xapp-) may open a Socket Mode connection."""
        if not token:
            raise SlackError("not_authed")
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        return {"url": f"ws{self.origin.removeprefix('http')}/socket-mode/link?ticket={secrets.token_hex(8)}"}

    async def _handle_socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers pings with pongs, as slack_sdk's client expects
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": APP_ID}})
        with self._cond:
            self._sockets.append(ws)
            self._record(Call(SOCKET_CONNECTED, dict(request.query), None, time.monotonic()))
        try:
            async for message in ws:
                if message.type == web.WSMsgType.TEXT:
                    with self._cond:
                        self._record(Call(SOCKET_ACK, _maybe_json(message.data), None, time.monotonic()))
        finally:
            with self._cond:
                self._sockets.remove(ws)
        return ws

    async def send_envelope(self, envelope: Json) -> None:
        """Sends a Socket Mode envelope (an event, command, interaction) to the connected client."""

        async def send() -> None:
            with self._cond:
                if not self._sockets:
                    raise AssertionError("no Socket Mode client is connected")
                ws = self._sockets[-1]
            await ws.send_json(envelope)

        if self._loop is None:
            await send()
        else:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(send(), self._loop))

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        """A message sent to an interaction's response_url; recorded as method RESPONSE_URL."""
        params = await _read_params(request) | {"_path": request.path}
        with self._cond:
            self._record(Call(RESPONSE_URL, params, None, time.monotonic()))
        return web.Response(text="ok")

    async def _handle_download(self, request: web.Request) -> web.Response:
        token, at = _bearer(request), time.monotonic()
        file_id = request.match_info["file_ref"].split("-", 1)[-1]
        params: Json = {"file": file_id}
        with self._cond:
            try:
                self._raise_injected_failure(FILE_DOWNLOAD)
                if token is None:
                    raise SlackError("not_authed")
                self._authenticate(token)
            except SlackError as exc:
                self._record(Call(FILE_DOWNLOAD, params, token, at, exc.status, exc.error))
                if exc.status != 200:
                    return exc.response()
                # Like Slack: without a valid token you get the sign-in page, not the file.
                return web.Response(text=_LOGIN_PAGE, content_type="text/html")
            found = self._files.get(file_id)
            self._record(Call(FILE_DOWNLOAD, params, token, at, 200 if found else 404))
        if found is None:
            return web.Response(status=404, text="file not found")
        return web.Response(body=found.content, content_type=found.mimetype)

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    def _raise_injected_failure(self, method: str) -> None:
        queue = self._failures.get(method)
        if not queue:
            return
        failure = queue[0]
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
        if failure.status == 429:
            raise SlackError(failure.error or "ratelimited", 429, failure.retry_after)
        raise SlackError(failure.error or "fatal_error", failure.status)

    def _default_token_info(self) -> TokenInfo:
        cfg = self.oauth
        return TokenInfo(
            cfg.team_id, cfg.enterprise_id, cfg.is_enterprise_install, cfg.bot_user_id, cfg.bot_id
        )

    def _authenticate(self, token: str | None) -> TokenInfo:
        info = self._tokens.get(token) if token else None
        if info is not None and info.revoked:
            raise SlackError("invalid_auth")
        if info is not None:
            return info
        if not self.accept_any_token:
            raise SlackError("invalid_auth" if token else "not_authed")
        return self._default_token_info()

    # ---- oauth / auth ----------------------------------------------------------------------------

    def _oauth_v2_access(self, p: Json, _: TokenInfo) -> Json:
        cfg = self.oauth
        if cfg.client_id is not None and p.get("client_id") != cfg.client_id:
            raise SlackError("invalid_client_id")
        if cfg.client_secret is not None and p.get("client_secret") != cfg.client_secret:
            raise SlackError("bad_client_secret")
        if p.get("grant_type") == "refresh_token":
            return self._refresh(p.get("refresh_token"))
        if not p.get("code") or p.get("code") != cfg.code:
            raise SlackError("invalid_code")
        body = self._issue(self._default_token_info(), with_refresh=cfg.token_rotation)
        return body | {"authed_user": {"id": cfg.authed_user_id}}

    def _refresh(self, refresh_token: str | None) -> Json:
        info = self._refresh_tokens.get(refresh_token or "")
        if info is None or refresh_token in self._used_refresh_tokens:
            raise SlackError("invalid_refresh_token")
        self._used_refresh_tokens.add(refresh_token)
        return self._issue(info, with_refresh=True)

    def _issue(self, info: TokenInfo, *, with_refresh: bool) -> Json:
        cfg = self.oauth
        token = f"xoxb-{info.team_id}-{next(self._seq)}-{secrets.token_hex(12)}"
        self._tokens[token] = replace(info, revoked=False)
        enterprise = {"id": info.enterprise_id, "name": cfg.enterprise_name} if info.enterprise_id else None
        body: Json = {
            "access_token": token,
            "token_type": "bot",
            "scope": cfg.scope,
            "bot_user_id": info.user_id,
            "app_id": cfg.app_id,
            "team": None if info.is_enterprise_install else {"id": info.team_id, "name": cfg.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": info.is_enterprise_install,
        }
        if with_refresh:
            refresh = f"xoxe-1-{secrets.token_hex(16)}"
            self._refresh_tokens[refresh] = info
            body |= {"refresh_token": refresh, "expires_in": cfg.expires_in}
        return body

    def _auth_test(self, _: Json, auth: TokenInfo) -> Json:
        body: Json = {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": self.oauth.team_name,
            "user": "aws-support",
            "team_id": auth.enterprise_id if auth.is_enterprise_install else auth.team_id,
            "user_id": auth.user_id,
            "bot_id": auth.bot_id,
            "is_enterprise_install": auth.is_enterprise_install,
        }
        if auth.enterprise_id:
            body["enterprise_id"] = auth.enterprise_id
        return body

    # ---- chat ------------------------------------------------------------------------------------

    def _chat_post_message(self, p: Json, auth: TokenInfo) -> Json:
        channel = self._writable_channel(p)
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise SlackError("no_text")
        self._check_rate(channel)
        ts = self._next_ts()
        return {"channel": channel, "ts": ts, "message": self._message(p, auth, ts)}

    def _chat_update(self, p: Json, auth: TokenInfo) -> Json:
        channel = self._writable_channel(p)
        if not p.get("ts"):
            raise SlackError("message_not_found")
        message = self._message(p, auth, p["ts"])
        return {"channel": channel, "ts": p["ts"], "text": message["text"], "message": message}

    def _chat_post_ephemeral(self, p: Json, _: TokenInfo) -> Json:
        self._writable_channel(p)
        if not p.get("user"):
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._next_ts()}

    def _chat_get_permalink(self, p: Json, _: TokenInfo) -> Json:
        channel, ts = p.get("channel", ""), str(p.get("message_ts", ""))
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _writable_channel(self, p: Json) -> str:
        channel_id = p.get("channel")
        if not channel_id:
            raise SlackError("channel_not_found")
        channel = self._channel(channel_id)
        if channel["is_archived"]:
            raise SlackError("is_archived")
        if not channel["is_member"]:
            raise SlackError("channel_not_found" if channel["is_private"] else "not_in_channel")
        return channel_id

    def _message(self, p: Json, auth: TokenInfo, ts: str) -> Json:
        message: Json = {
            "type": "message",
            "text": p.get("text", ""),
            "user": auth.user_id,
            "bot_id": auth.bot_id,
            "app_id": self.oauth.app_id,
            "team": auth.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata"):
            if p.get(key):
                message[key] = _maybe_json(p[key])
        if p.get("thread_ts"):
            message["thread_ts"] = p["thread_ts"]
        return message

    def _check_rate(self, channel: str) -> None:
        if self._rate is None:
            return
        interval, retry_after = self._rate
        now, last = time.monotonic(), self._last_post.get(channel)
        if last is not None and now - last < interval:
            raise SlackError("ratelimited", 429, retry_after)
        self._last_post[channel] = now

    def _next_ts(self) -> str:
        micros = next(self._ts) * 100
        return f"{1_700_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    # ---- views -----------------------------------------------------------------------------------

    def _views_open(self, p: Json, auth: TokenInfo) -> Json:
        if not p.get("trigger_id"):
            raise SlackError("invalid_arguments")
        return {"view": self._store_view(p, auth, None)}

    def _views_update(self, p: Json, auth: TokenInfo) -> Json:
        # Unknown view ids are accepted (views opened by payload helpers never went through the fake).
        external_id = p.get("external_id")
        view_id = p.get("view_id") or next(
            (v["id"] for v in self._views.values() if external_id and v["external_id"] == external_id), None
        )
        if not view_id:
            raise SlackError("not_found")
        known = self._views.get(view_id)
        if known and p.get("hash") and p["hash"] != known["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(p, auth, view_id)}

    def _views_publish(self, p: Json, auth: TokenInfo) -> Json:
        user_id = p.get("user_id")
        if not user_id:
            raise SlackError("invalid_arguments")
        view = self._store_view(p, auth, self._home_views.get(user_id))
        self._home_views[user_id] = view["id"]
        return {"view": view}

    def _store_view(self, p: Json, auth: TokenInfo, view_id: str | None) -> Json:
        submitted = _maybe_json(p.get("view"))
        if not isinstance(submitted, dict):
            raise SlackError("invalid_arguments")
        view_id = view_id or f"V{next(self._seq):010d}"
        defaults: Json = {
            "team_id": auth.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.oauth.app_id,
            "app_installed_team_id": auth.team_id,
            "bot_id": auth.bot_id,
        }
        view = (
            defaults
            | submitted
            | {
                "id": view_id,
                "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "state": {"values": {}},
            }
        )
        self._views[view_id] = view
        return view

    # ---- users / conversations / files -----------------------------------------------------------

    def _users_info(self, p: Json, _: TokenInfo) -> Json:
        user_id = p.get("user")
        if not user_id:
            raise SlackError("user_not_found")
        return {"user": self._users.get(user_id) or self._default_user(user_id)}

    def _default_user(self, user_id: str) -> Json:
        name = f"User {user_id}"
        return {
            "id": user_id,
            "team_id": self.oauth.team_id,
            "name": user_id.lower(),
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "tz": "Europe/Paris",
            "profile": {"real_name": name, "display_name": name, "email": f"{user_id.lower()}@example.com"},
        }

    def _usergroups_users_list(self, p: Json, _: TokenInfo) -> Json:
        group_id = p.get("usergroup")
        if not group_id or group_id not in self._groups:
            raise SlackError("no_such_subteam")
        return {"users": list(self._groups[group_id])}

    def _usergroups_list(self, _: Json, __: TokenInfo) -> Json:
        return {
            "usergroups": [
                {"id": g, "handle": h, "name": f"Group {h}", "date_delete": 0}
                for g, h in self._group_handles.items()
            ]
        }

    def _conversations_info(self, p: Json, _: TokenInfo) -> Json:
        if not p.get("channel"):
            raise SlackError("channel_not_found")
        return {"channel": self._channel(p["channel"])}

    def _users_conversations(self, p: Json, _: TokenInfo) -> Json:
        """The channels the user is in that the app can see (a private one only with the app in it), paged."""
        user = p.get("user") or ""
        visible = [
            self._channel(c)
            for c, members in sorted(self._members.items())
            if user in members and (self._channel(c)["is_member"] or not self._channel(c)["is_private"])
        ]
        start, size = int(p.get("cursor") or 0), int(p.get("limit") or 100)
        page = visible[start : start + size]
        more = str(start + size) if start + size < len(visible) else ""
        return {"channels": page, "response_metadata": {"next_cursor": more}}

    def _channel(self, channel_id: str) -> Json:
        if channel_id in self._channels:
            return self._channels[channel_id]
        is_im = channel_id.startswith("D")
        return {
            "id": channel_id,
            "name": "" if is_im else f"channel-{channel_id.lower()}",
            "is_channel": not is_im,
            "is_group": False,
            "is_im": is_im,
            "is_mpim": False,
            "is_private": True,
            "is_archived": False,
            "is_general": False,
            "is_member": True,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "context_team_id": self.oauth.team_id,
            "created": 1_600_000_000,
            "creator": USER_ID,
        }

    def _files_info(self, p: Json, auth: TokenInfo) -> Json:
        found = self._files.get(p.get("file", ""))
        if found is None:
            raise SlackError("file_not_found")
        private = f"{self.origin}/files-pri/{auth.team_id}-{found.id}"
        return {
            "file": {
                "id": found.id,
                "name": found.name,
                "title": found.name,
                "mimetype": found.mimetype,
                "filetype": found.name.rsplit(".", 1)[-1] if "." in found.name else "binary",
                "size": len(found.content),
                "user": USER_ID,
                "url_private": f"{private}/{found.name}",
                "url_private_download": f"{private}/download/{found.name}",
            }
            | found.info
        }


def _generic_ok(_: Json, __: TokenInfo) -> Json:
    return {}


def _describe(call: Call) -> str:
    return f"{call.method}({call.status} {call.error})" if call.failed else call.method


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[len("Bearer ") :] if header.startswith("Bearer ") else None


async def _read_params(request: web.Request) -> Json:
    """Merge query string, JSON or form/multipart body, and basic-auth client credentials."""
    params: Json = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else None
        params.update(body if isinstance(body, dict) else {})
    elif request.can_read_body:
        for key, value in (await request.post()).items():
            params[key] = value.file.read() if isinstance(value, web.FileField) else value
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        client_id, _, client_secret = base64.b64decode(header[len("Basic ") :]).decode().partition(":")
        params.setdefault("client_id", client_id)
        params.setdefault("client_secret", client_secret)
    return params


__all__ = [
    "SOCKET_ACK",
    "SOCKET_CONNECTED",
    "Call",
    "FakeFile",
    "FakeSlackApi",
    "OAuthConfig",
    "SlackError",
    "TokenInfo",
]
