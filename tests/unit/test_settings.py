"""Settings: defaults, normalisation, and that a token never shows in a repr."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///dealcoach.db"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000 and settings.timezone == "UTC"


def test_normalisation() -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgres://u@h/db", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


def test_secrets_stay_out_of_repr() -> None:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-secret-1", "SLACK_SIGNING_SECRET": "shh-secret"}
    )
    assert "secret" not in repr(settings)


def test_socket_mode_needs_an_app_token() -> None:
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN"):
        load_settings({}).require_app_token()


@pytest.mark.parametrize(
    "url,words",
    [
        ("postgresql+psycopg://u@127.0.0.1:notaport/x", "cannot read"),
        ("postgresql+psycopg://u@[::1:5432/x", "cannot read"),
        ("sqlite:/relative.db", "cannot read"),
        ("postgresql+psycopg2://u@h/db", "got scheme 'postgresql+psycopg2'"),
        ("sqlite+aiosqlite:///x.db", "got scheme 'sqlite+aiosqlite'"),
        ("sqlitex://foo", "got scheme 'sqlitex'"),
        ("sqlite://", "must name a file"),
        ("sqlite:///:memory:", "must name a file"),
    ],
)
def test_a_database_url_that_cannot_work_is_refused_at_start(url: str, words: str) -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL must be") as refused:
        load_settings({"DATABASE_URL": url})
    assert words in str(refused.value)


def test_an_unreadable_database_url_does_not_show_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"DATABASE_URL": "postgresql+psycopg://u:hunter2@h:port/db"})
    assert "hunter2" not in str(refused.value) and "u:***@h:port/db" in str(refused.value)
