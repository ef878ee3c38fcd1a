"""Install flow ("Add to Slack") through HTTP, against the fake Slack Web API."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.helpers.app import AppHarness


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
    state, _ = await harness.start_install()
    async with harness.services.engine.begin() as conn:
        await conn.execute(text("UPDATE slack_oauth_states SET expire_at = '2000-01-01 00:00:00'"))
    page = await harness.finish_install(state)
    assert page.status == 401 and "expired" in page.text
    assert await _rows(harness, "slack_installations") == []
