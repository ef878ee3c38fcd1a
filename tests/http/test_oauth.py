"""Install flow ("Add to Slack") through HTTP, against the fake Slack Web API."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import text

from tests.helpers.app import AppHarness
from tests.helpers.identifiers import UNICODE_DIGITS


async def _rows(h: AppHarness, table: str) -> list[dict[str, object]]:
    async with h.services.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(f"SELECT * FROM {table}"))]


async def test_install_stores_encrypted_tokens_and_a_workspace_with_an_external_id(
    harness: AppHarness,
) -> None:
    harness.slack.oauth.token_rotation = True
    page = await harness.install()

    assert "AWS Support is installed" in page.text
    workspaces = await _rows(harness, "workspaces")
    assert len(workspaces) == 1
    external_id = str(workspaces[0]["external_id"])
    assert len(external_id) >= 32 and external_id in page.text

    issued = list(harness.slack.issued_tokens())
    raw = repr(await _rows(harness, "slack_installations")) + repr(await _rows(harness, "slack_bots"))
    assert issued and not any(token in raw for token in issued)
    harness.services.installation_store.bot_cache.clear()
    bot = await harness.services.installation_store.async_find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None and bot.bot_token in issued


async def test_install_page_sets_the_state_cookie(harness: AppHarness) -> None:
    state, page = await harness.start_install()
    assert page.status == 200 and "Add to Slack" in page.text
    assert "HttpOnly" in page.headers["Set-Cookie"] and len(state) >= 32


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [
        ("cancelled", 200, "cancelled"),
        ("forged", 401, "expired or was already used"),
        ("missing_cookie", 400, "did not start the install"),
        ("bad_code", 401, "refused the authorization code"),
    ],
)
async def test_failed_installs_explain_and_store_nothing(
    harness: AppHarness, case: str, status: int, words: str
) -> None:
    state, _ = await harness.start_install()
    if case == "cancelled":
        page = await harness.get(f"/slack/oauth_redirect?error=access_denied&state={state}")
    elif case == "forged":
        page = await harness.finish_install("forged-state", cookie_state="forged-state")
    elif case == "missing_cookie":
        page = await harness.finish_install(state, cookie_state="")
    else:
        page = await harness.finish_install(state, code="wrong-code")
    assert page.status == status
    assert words in page.text
    assert await _rows(harness, "slack_installations") == []
    assert await _rows(harness, "workspaces") == []


async def test_a_reused_state_is_refused(harness: AppHarness) -> None:
    state, _ = await harness.start_install()
    assert (await harness.finish_install(state)).status == 200
    again = await harness.finish_install(state)
    assert again.status == 401 and "already used" in again.text
    assert len(await _rows(harness, "slack_installations")) == 1


async def test_an_expired_state_is_refused(harness: AppHarness) -> None:
    store = harness.services.state_store
    store.expiration_seconds = -1  # issued already expired
    try:
        state, _ = await harness.start_install()
    finally:
        store.expiration_seconds = 600
    page = await harness.finish_install(state)
    assert page.status == 401 and "expired" in page.text
    assert await _rows(harness, "slack_installations") == []


async def test_a_thousand_anonymous_install_page_loads_write_nothing(harness: AppHarness) -> None:
    before = {t: await _rows(harness, t) for t in ("slack_oauth_states", "workspaces", "slack_installations")}
    for _ in range(1000):
        page = await harness.get("/slack/install?aws_account=123456789012")
        assert page.status == 200
    after = {t: await _rows(harness, t) for t in before}
    assert after == before
    # and the account still travels with the state to the install that uses it
    page = await harness.install("aws_account=123456789012")
    assert "123456789012" in page.text and "pending" in page.text


@pytest.mark.parametrize("account", [UNICODE_DIGITS, "123456789012\n", "12345678901"])
async def test_an_install_link_for_a_malformed_account_is_refused(harness: AppHarness, account: str) -> None:
    page = await harness.get(f"/slack/install?{urlencode({'aws_account': account})}")
    assert page.status == 400 and "12-digit AWS account ID" in page.text
    assert await _rows(harness, "slack_oauth_states") == []


def _inline_hashes(html: str, tag: str) -> list[str]:
    return [
        base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for body in re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    ]


async def test_every_install_page_is_sent_with_security_headers(harness: AppHarness) -> None:
    _, install_page = await harness.start_install()
    failure_page = await harness.finish_install("forged-state", cookie_state="forged-state")
    success_page = await harness.install()
    for page in (install_page, failure_page, success_page):
        headers = page.headers
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        policy = dict(
            (d.split(" ", 1) + [""])[:2]
            for d in (d.strip() for d in headers["Content-Security-Policy"].split(";"))
        )
        assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
        # the page's own style and script (the copy buttons) are the ones the policy allows, nothing else
        assert [f"'sha256-{h}'" for h in _inline_hashes(page.text, "style")] == [policy["style-src"]]
        assert all(f"'sha256-{h}'" == policy["script-src"] for h in _inline_hashes(page.text, "script"))
        assert page.text.count("<script") == len(_inline_hashes(page.text, "script"))
    assert len(_inline_hashes(success_page.text, "script")) == 1
