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
    secrets: tuple[str, ...] = field(default=(), repr=False)
    # One line each for the operator, logged at start: files other users can read.
    warnings: tuple[str, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def __repr__(self) -> str:  # never print a token, even by accident
        return (
            f"Settings(slack_api_url={self.slack_api_url!r}, port={self.port}, "
            f"timezone={self.timezone!r}, socket_mode={self.slack_app_token is not None})"
        )

    def require_bot_token(self) -> str:
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


def load_settings(env: Mapping[str, str] | None = None, env_file: Path | None = None) -> Settings:
    """Read and check every setting; raises SettingsError with a one-line message.

    Read from the environment and `.env` (when `env` is None), the settings also carry a
    warning for each of those files that other users can read."""
    values = dict(env) if env is not None else _environment(env_file)
    bot_token = _token(values, "SLACK_BOT_TOKEN", "xoxb-")
    app_token = _token(values, "SLACK_APP_TOKEN", "xapp-")
    secret = _blank_to_none(values.get("SLACK_SIGNING_SECRET"))
    database_url = _database_url(values)
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=_api_url(values),
        database_url=database_url,
        port=_port(values),
        timezone=_timezone(values),
        log_level=_log_level(values),
        secrets=tuple(s for s in (bot_token, app_token, secret) if s),
        warnings=file_warnings(env_file, database_url) if env is None else (),
    )
