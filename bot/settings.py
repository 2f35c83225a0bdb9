"""Settings read once at start-up, from the environment and an optional `.env` file.

Every problem is reported as one line naming the variable, so an operator never has to read a
traceback to find a typo in a token.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///dealcoach.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_RETENTION_DAYS = 30


class SettingsError(Exception):
    """A setting is missing or malformed; the message is meant for the operator, as is."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    timezone: str
    log_level: str = "INFO"
    # OAuth (install into many workspaces): both set, or neither.
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_redirect_uri: str | None = None
    # DEALCOACH_ENCRYPTION_KEY: Fernet keys, newest first (checked: each is a Fernet key).
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    data_retention_days: int = DEFAULT_RETENTION_DAYS
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # One line each for the operator, logged at start: files other users can read.
    warnings: tuple[str, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:  # never print a token, even by accident
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, port={self.port}, "
            f"timezone={self.timezone!r}, socket_mode={self.slack_app_token is not None}, "
            f"oauth={self.oauth})"
        )

    @property
    def oauth(self) -> bool:
        """Installed into many workspaces through OAuth, each with its own token."""
        return self.slack_client_id is not None

    def require_slack_credentials(self) -> None:
        """What serving Slack needs: the bot token, or the OAuth settings and a key."""
        if self.oauth:
            self.require_encryption_keys()
        else:
            self.require_bot_token()

    def require_encryption_keys(self) -> tuple[str, ...]:
        if not self.encryption_keys:
            raise SettingsError(
                "DEALCOACH_ENCRYPTION_KEY is not set: with SLACK_CLIENT_ID every workspace's "
                "token is stored encrypted; run `python -m bot keys generate` and put the key "
                "it prints in .env"
            )
        return self.encryption_keys

    def require_bot_token(self) -> str:
        if not self.slack_bot_token and self.oauth:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: with SLACK_CLIENT_ID each workspace has its own "
                "token; name the workspace with --workspace T..."
            )
        if not self.slack_bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: copy the bot token (xoxb-...) from your Slack app's "
                "OAuth & Permissions page into .env"
            )
        return self.slack_bot_token

    def require_signing_secret(self) -> str:
        if not self.slack_signing_secret:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify requests "
                "from Slack (Basic Information > App Credentials); or set SLACK_APP_TOKEN "
                "for Socket Mode"
            )
        return self.slack_signing_secret

    def require_app_token(self) -> str:
        if not self.slack_app_token:
            raise SettingsError(
                "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) "
                "with the connections:write scope"
            )
        return self.slack_app_token


def env_file_path(env_file: Path | None = None) -> Path:
    return env_file if env_file is not None else Path.cwd() / ".env"


def _environment(env_file: Path | None) -> dict[str, str]:
    """The environment wins over `.env`, as the contract says."""
    merged: dict[str, str] = {}
    path = env_file_path(env_file)
    if path.is_file():
        try:
            values = dotenv_values(path, encoding="utf-8")
        except UnicodeDecodeError:
            raise SettingsError(f"{path.name} is not UTF-8 text; save it as UTF-8") from None
        except OSError as exc:
            raise SettingsError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        merged.update({k: v for k, v in values.items() if v is not None})
    merged.update(os.environ)
    return merged


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _token(env: Mapping[str, str], name: str, prefix: str) -> str | None:
    value = _blank_to_none(env.get(name))
    if value is not None and not value.startswith(prefix):
        raise SettingsError(
            f"{name} must start with {prefix!r}; check that you copied the right token"
        )
    return value


def _api_url(env: Mapping[str, str]) -> str:
    value = _blank_to_none(env.get("SLACK_API_URL")) or DEFAULT_SLACK_API_URL
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {value!r}")
    return value if value.endswith("/") else value + "/"


def _database_url(env: Mapping[str, str]) -> str:
    value = _blank_to_none(env.get("DATABASE_URL")) or DEFAULT_DATABASE_URL
    if value.startswith("postgres://") or value.startswith("postgresql://"):
        # Heroku-style and bare URLs: pin the driver this project ships with (psycopg 3).
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    expected = (
        "DATABASE_URL must be a SQLite URL (sqlite:///file.db) or a PostgreSQL URL "
        "(postgresql+psycopg://user@host/db)"
    )
    try:
        url = make_url(value)
        url.port  # noqa: B018 - parsed lazily by some versions: a bad port fails here
    except (ArgumentError, ValueError):
        raise SettingsError(f"{expected}; cannot read {_without_password(value)!r}") from None
    if url.drivername not in SUPPORTED_DATABASES:
        raise SettingsError(f"{expected}, got scheme {url.drivername!r}")
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise SettingsError(
            f"{expected}; a SQLite URL must name a file (an in-memory database keeps nothing)"
        )
    return value


# The SQLAlchemy dialect+driver names this project ships drivers for.
SUPPORTED_DATABASES = {"sqlite", "sqlite+pysqlite", "postgresql+psycopg"}


def _without_password(value: str) -> str:
    """The URL as an operator may see it in a message: any password masked."""
    scheme, sep, rest = value.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return value
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _port(env: Mapping[str, str]) -> int:
    raw = _blank_to_none(env.get("PORT")) or "3000"
    try:
        port = int(raw)
    except ValueError:
        raise SettingsError(f"PORT must be a number from 1 to 65535, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise SettingsError(f"PORT must be a number from 1 to 65535, got {raw!r}")
    return port


def _timezone(env: Mapping[str, str]) -> str:
    value = _blank_to_none(env.get("TIMEZONE")) or "UTC"
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"TIMEZONE must be a zone name such as Europe/Paris or America/New_York, got {value!r}"
        ) from None
    return value


def _log_level(env: Mapping[str, str]) -> str:
    value = (_blank_to_none(env.get("LOG_LEVEL")) or "INFO").upper()
    if value not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return value


def readable_by_others(path: Path) -> bool:
    """True when users other than the file's owner may read it (its group or anyone)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def _shown(path: Path) -> str:
    """The path as the operator would type it: relative to the working directory if inside."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def file_warnings(env_file: Path | None, database_url: str) -> tuple[str, ...]:
    """What holds secrets or every rep's notes should be private: the `.env` file (tokens,
    the signing secret) and a SQLite database file. One line for each that is not."""
    found = []
    env_path = env_file_path(env_file)
    if env_path.is_file() and readable_by_others(env_path):
        shown = _shown(env_path)
        found.append(f"{shown} is readable by other users: run `chmod 600 {shown}`")
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        db_path = Path(url.database)
        if db_path.is_file() and readable_by_others(db_path):
            shown = _shown(db_path)
            found.append(
                f"{shown} is readable by other users: run `chmod 600 {shown}*` "
                "(the database and its -wal and -shm files)"
            )
    return tuple(found)


def _oauth(env: Mapping[str, str], bot_token: str | None) -> tuple[str | None, str | None]:
    client_id = _blank_to_none(env.get("SLACK_CLIENT_ID"))
    client_secret = _blank_to_none(env.get("SLACK_CLIENT_SECRET"))
    if client_id and not client_secret:
        raise SettingsError(
            "SLACK_CLIENT_SECRET is not set: OAuth needs it beside SLACK_CLIENT_ID (Basic "
            "Information > App Credentials)"
        )
    if client_secret and not client_id:
        raise SettingsError(
            "SLACK_CLIENT_ID is not set: OAuth needs it beside SLACK_CLIENT_SECRET (Basic "
            "Information > App Credentials)"
        )
    if client_id and bot_token:
        raise SettingsError(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: keep SLACK_BOT_TOKEN for one "
            "workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install into many "
            "(then remove SLACK_BOT_TOKEN)"
        )
    return client_id, client_secret


def _redirect_uri(env: Mapping[str, str]) -> str | None:
    value = _blank_to_none(env.get("SLACK_REDIRECT_URI"))
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(
            "SLACK_REDIRECT_URI must be an https URL ending in /slack/oauth_redirect, "
            f"got {value!r}"
        )
    return value


def _encryption_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    from storage.encryption import parse_keys

    raw = _blank_to_none(env.get("DEALCOACH_ENCRYPTION_KEY"))
    if raw is None:
        return ()
    try:
        return parse_keys(raw)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _retention_days(env: Mapping[str, str]) -> int:
    raw = _blank_to_none(env.get("DATA_RETENTION_DAYS")) or str(DEFAULT_RETENTION_DAYS)
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 3650:
        raise SettingsError(
            f"DATA_RETENTION_DAYS must be a number of days from 1 to 3650, got {raw!r}"
        )
    return int(raw)


def load_settings(env: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read and check every setting; raises SettingsError with a one-line message.

    Read from the environment and `.env` (when `env` is None), the settings also carry a
    warning for each of those files that other users can read."""
    values = dict(env) if env is not None else _environment(env_file)
    bot_token = _token(values, "SLACK_BOT_TOKEN", "xoxb-")
    app_token = _token(values, "SLACK_APP_TOKEN", "xapp-")
    secret = _blank_to_none(values.get("SLACK_SIGNING_SECRET"))
    database_url = _database_url(values)
    client_id, client_secret = _oauth(values, bot_token)
    keys = _encryption_keys(values)
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=_api_url(values),
        database_url=database_url,
        port=_port(values),
        timezone=_timezone(values),
        log_level=_log_level(values),
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_redirect_uri=_redirect_uri(values),
        encryption_keys=keys,
        data_retention_days=_retention_days(values),
        secrets=tuple(s for s in (bot_token, app_token, secret, client_secret, *keys) if s),
        warnings=file_warnings(env_file, database_url) if env is None else (),
    )
