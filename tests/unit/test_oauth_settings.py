"""OAuth settings and the token cipher: each mistake is one line naming the variable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from bot.settings import SettingsError, load_settings
from storage.encryption import TokenCipher, UnreadableToken, generate_key, parse_keys

BASE = {"SLACK_SIGNING_SECRET": "s", "DATABASE_URL": "sqlite:///x.db"}


def settings_error(**env: str) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings({**BASE, **env})
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_oauth_needs_both_credentials_and_not_the_bot_token() -> None:
    assert settings_error(SLACK_CLIENT_ID="1.2").startswith("SLACK_CLIENT_SECRET is not set")
    assert settings_error(SLACK_CLIENT_SECRET="x").startswith("SLACK_CLIENT_ID is not set")
    both = settings_error(SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="x", SLACK_BOT_TOKEN="xoxb-1")
    assert "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set" in both


def test_a_malformed_key_is_named_and_never_echoed() -> None:
    message = settings_error(DEALCOACH_ENCRYPTION_KEY="short-secret-value")
    assert message.startswith("DEALCOACH_ENCRYPTION_KEY is not a Fernet key")
    assert "short-secret-value" not in message
    good = generate_key()
    assert "(key 2 of 2)" in settings_error(DEALCOACH_ENCRYPTION_KEY=f"{good}, nope")


def test_oauth_settings_without_a_key_are_refused_where_tokens_are_needed() -> None:
    settings = load_settings({**BASE, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "x"})
    assert settings.oauth and not settings.encryption_keys
    with pytest.raises(SettingsError, match=r"^DEALCOACH_ENCRYPTION_KEY is not set"):
        settings.require_slack_credentials()
    with pytest.raises(SettingsError, match="--workspace"):
        settings.require_bot_token()
    assert "x" in settings.secrets  # the client secret is masked in logs like a token
    assert "oauth=True" in repr(settings) and "'x'" not in repr(settings)


def test_retention_days_and_redirect_uri_are_checked() -> None:
    assert settings_error(DATA_RETENTION_DAYS="0").startswith("DATA_RETENTION_DAYS must be")
    assert settings_error(SLACK_REDIRECT_URI="slack/oauth").startswith("SLACK_REDIRECT_URI")
    assert load_settings(BASE).data_retention_days == 30


def test_cipher_seals_opens_and_reseals_under_the_first_key() -> None:
    old, new = generate_key(), generate_key()
    sealed = TokenCipher([old]).seal("xoxb-1-secret")
    assert "xoxb" not in sealed
    both = TokenCipher([new, old])
    assert both.open(sealed) == "xoxb-1-secret"
    resealed = both.reseal(sealed)
    assert resealed != sealed and Fernet(new).decrypt(resealed.encode()) == b"xoxb-1-secret"
    assert both.reseal(resealed) == resealed  # already under the first key: unchanged
    with pytest.raises(UnreadableToken):
        TokenCipher([generate_key()]).open(sealed)
    assert parse_keys(f" {new} ,{old},") == (new, old)
