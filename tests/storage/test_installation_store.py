from __future__ import annotations

import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import text

from storage.crypto import TokenDecryptionError
from storage.crypto import configure_token_cipher
from storage.crypto import generate_key
from storage.db import create_engine
from storage.installation_store import InstallationStore
from storage.installation_store import reencrypt_tokens
from storage.state_store import OAuthStateStore
from storage.state_store import state_key

BOT_TOKEN = "xoxb-111-222-plaintextsecret"
REFRESH = "xoxe-1-refreshsecret"


def _installation(
    team_id: str | None = "T1", enterprise_id: str | None = None, org: bool = False
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name="Acme",
        user_id="U1",
        bot_token=BOT_TOKEN,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=REFRESH,
        bot_token_expires_at=int(time.time()) + 43200,
        is_enterprise_install=org,
    )


@pytest.fixture
async def engine(database_url: str):  # type: ignore[no-untyped-def]
    configure_token_cipher([generate_key()])
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def _raw_rows(engine, table: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(text(f"SELECT * FROM {table}"))]


async def test_tokens_are_encrypted_at_rest_and_readable_by_the_app(engine) -> None:  # type: ignore[no-untyped-def]
    store = InstallationStore(client_id="C1", engine=engine)
    await store.async_save(_installation())

    for table in ("slack_installations", "slack_bots"):
        rows = await _raw_rows(engine, table)
        assert len(rows) == 1
        dumped = repr(rows)
        assert BOT_TOKEN not in dumped and REFRESH not in dumped
        assert str(rows[0]["bot_token"]).startswith("gAAAA")  # Fernet ciphertext

    store.bot_cache.clear()
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH
    inst = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert inst is not None and inst.bot_token == BOT_TOKEN


async def test_a_rotated_key_still_reads_old_rows_and_a_wrong_key_fails_loudly(engine) -> None:  # type: ignore[no-untyped-def]
    old = generate_key()
    configure_token_cipher([old])
    store = InstallationStore(client_id="C1", engine=engine)
    await store.async_save(_installation())

    configure_token_cipher([generate_key(), old])  # new primary key, old one kept for reading
    store.bot_cache.clear()
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN

    configure_token_cipher([generate_key()])
    store.bot_cache.clear()
    with pytest.raises(TokenDecryptionError, match="TOKEN_ENCRYPTION_KEY"):
        await store.async_find_bot(enterprise_id=None, team_id="T1")


async def test_reencrypt_moves_every_token_to_the_new_key_so_the_old_one_can_go(engine) -> None:  # type: ignore[no-untyped-def]
    old, new = generate_key(), generate_key()
    configure_token_cipher([old])
    store = InstallationStore(client_id="C1", engine=engine)
    await store.async_save(_installation())
    configure_token_cipher([new, old])
    assert await reencrypt_tokens(engine) == 2  # the installation row and the bot row
    configure_token_cipher([new])
    store.bot_cache.clear()
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN and bot.bot_refresh_token == REFRESH


async def test_org_wide_install_is_found_from_any_workspace_of_the_org(engine) -> None:  # type: ignore[no-untyped-def]
    store = InstallationStore(client_id="C1", engine=engine)
    await store.async_save(_installation(team_id="T-ignored", enterprise_id="E1", org=True))
    bot = await store.async_find_bot(enterprise_id="E1", team_id="T-any", is_enterprise_install=True)
    assert bot is not None and bot.bot_token == BOT_TOKEN
    rows = await _raw_rows(engine, "slack_installations")
    assert rows[0]["team_id"] is None


async def test_delete_drops_the_cached_bot(engine) -> None:  # type: ignore[no-untyped-def]
    store = InstallationStore(client_id="C1", engine=engine)
    await store.async_save(_installation())
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await _raw_rows(engine, "slack_bots") == []


async def test_oauth_state_is_single_use_and_expires(engine) -> None:  # type: ignore[no-untyped-def]
    key = state_key("client-secret")
    states = OAuthStateStore(engine, key, expiration_seconds=600)
    state = await states.async_issue(aws_account_id="123456789012")
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False  # reused
    consumed = await states.consumed(state)
    assert consumed is not None and consumed.aws_account_id == "123456789012"
    assert await states.async_consume("forged") is False

    expired = await OAuthStateStore(engine, key, expiration_seconds=-1).async_issue()
    assert await states.async_consume(expired) is False


async def test_a_state_signed_with_another_key_or_altered_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    states = OAuthStateStore(engine, state_key("client-secret"))
    other = await OAuthStateStore(engine, state_key("another-secret")).async_issue()
    assert await states.async_consume(other) is False
    nonce, expires, _, signature = (await states.async_issue(aws_account_id="123456789012")).split(".")
    assert await states.async_consume(f"{nonce}.{expires}.210987654321.{signature}") is False
    assert await states.async_consume(f"{nonce}.{int(expires) + 3600}.123456789012.{signature}") is False
    assert await _raw_rows(engine, "slack_oauth_states") == []


async def test_issuing_states_writes_nothing_and_a_use_purges_expired_ones(engine) -> None:  # type: ignore[no-untyped-def]
    key = state_key("client-secret")
    now = [time.time()]
    states = OAuthStateStore(engine, key, expiration_seconds=600, clock=lambda: now[0])
    issued = [await states.async_issue() for _ in range(100)]
    assert await _raw_rows(engine, "slack_oauth_states") == []
    assert await states.async_consume(issued[0]) and await states.async_consume(issued[1])
    assert len(await _raw_rows(engine, "slack_oauth_states")) == 2
    now[0] += 601
    assert await states.async_consume(await states.async_issue())
    rows = await _raw_rows(engine, "slack_oauth_states")
    assert len(rows) == 1  # the two used ones expired and were purged
    expire_at = rows[0]["expire_at"]
    expire_at = datetime.fromisoformat(expire_at) if isinstance(expire_at, str) else expire_at
    assert expire_at > datetime.fromtimestamp(now[0], UTC).replace(tzinfo=None) + timedelta(seconds=500)
