"""What `socket` needs from the environment: an app-level token, and a bot it can keep serving with."""

from __future__ import annotations

import pytest

from bolt_app.settings import Mode
from bolt_app.settings import SettingsError
from bolt_app.settings import load_settings

BASE = {"DATABASE_URL": "sqlite+aiosqlite:///:memory:", "SLACK_APP_TOKEN": "xapp-1-A1-1-abc"}
CLIENT = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "secret"}


def test_without_a_fixed_token_socket_mode_needs_the_client_credentials_that_rotate_the_stored_one() -> None:
    with pytest.raises(SettingsError) as e:
        load_settings(Mode.SOCKET, BASE)
    assert len(e.value.problems) == 2
    assert all("rotat" in p and "SLACK_BOT_REFRESH_TOKEN" in p for p in e.value.problems)
    settings = load_settings(Mode.SOCKET, BASE | CLIENT)
    assert settings.bot_token is None and settings.bot_refresh_token is None


def test_a_refresh_token_is_taken_and_one_of_another_kind_is_named() -> None:
    settings = load_settings(Mode.SOCKET, BASE | CLIENT | {"SLACK_BOT_REFRESH_TOKEN": "xoxe-1-abc"})
    assert settings.bot_refresh_token == "xoxe-1-abc"
    with pytest.raises(SettingsError) as e:
        load_settings(Mode.SOCKET, BASE | CLIENT | {"SLACK_BOT_REFRESH_TOKEN": "xoxb-1-abc"})
    assert e.value.problems == ["SLACK_BOT_REFRESH_TOKEN must be a refresh token (starts with xoxe-)."]


def test_a_fixed_bot_token_still_works_alone() -> None:
    settings = load_settings(Mode.SOCKET, BASE | {"SLACK_BOT_TOKEN": "xoxb-1-abc"})
    assert settings.bot_token == "xoxb-1-abc" and not settings.oauth_enabled
