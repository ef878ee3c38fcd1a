"""The baseline: a bare Bolt AsyncApp with one `/aws-support` command that only acks, its authorize answered in
memory, served by aiohttp with the same settings as `aws-support-slack serve`."""

from __future__ import annotations

import argparse
import gc
import logging

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult


async def authorize(enterprise_id: str | None, team_id: str | None, user_id: str | None) -> AuthorizeResult:
    return AuthorizeResult(
        enterprise_id=enterprise_id,
        team_id=team_id,
        bot_user_id="UBOT",
        bot_id="B1",
        bot_token="xoxb-baseline",
    )


async def aws_support(ack) -> None:  # type: ignore[no-untyped-def]
    await ack()


async def create(signing_secret: str) -> web.Application:
    app = AsyncApp(signing_secret=signing_secret, authorize=authorize)
    app.command("/aws-support")(aws_support)
    web_app = app.web_app(path="/slack/events")

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def freeze(_: web.Application) -> None:
        gc.collect()
        gc.freeze()

    web_app.router.add_get("/healthz", healthz)
    web_app.on_startup.append(freeze)
    return web_app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    web.run_app(create(args.signing_secret), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
