"""The Slack app manifest for `python -m bot manifest`: manifest.yml as is (Socket Mode), or
turned into the HTTP-mode manifest with one request URL everywhere Slack needs one.

manifest.yml stays the one place where commands, scopes and events are declared; HTTP mode
only switches Socket Mode off and adds the URLs, so the two can never drift apart.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
LOOPBACK_HOSTS = ("localhost",)
SLACK_PATH = "/slack/events"  # bot/http.py serves Slack's requests here
REDIRECT_PATH = "/slack/oauth_redirect"  # bot/oauth.py: where Slack sends the installer back


class ManifestError(Exception):
    """manifest.yml cannot be read or is not the shape expected; one line for an operator."""


def check_request_url(raw: str) -> str:
    """The URL as given when Slack could use it as a request URL, else ValueError with one line:
    https with a host (plain http only on loopback, for a tunnel or a local stand-in)."""
    url = raw.strip()
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError(f"not a URL with a valid port: {raw!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValueError(f"not a URL: {raw!r} (like https://bot.example.com{SLACK_PATH})")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise ValueError(
            f"Slack sends requests only to https URLs: {raw!r} "
            "(plain http is accepted for 127.0.0.1 and localhost only)"
        )
    if parts.path in ("", "/"):
        raise ValueError(
            f"the URL has no path: {raw!r}; the bot answers at {SLACK_PATH}, "
            f"so use {parts.scheme}://{parts.netloc}{SLACK_PATH}"
        )
    return url


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def manifest_text() -> str:
    try:
        return MANIFEST.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read {MANIFEST.name}: {exc.strerror or exc}") from None


def bot_scopes(text: str | None = None) -> list[str]:
    """The bot scopes `oauth_config.scopes.bot` declares: what an OAuth install asks for, so
    the consent screen and the manifest can never disagree."""
    import yaml

    try:
        scopes = yaml.safe_load(text if text is not None else manifest_text())["oauth_config"][
            "scopes"
        ]["bot"]
    except (KeyError, TypeError, yaml.YAMLError) as exc:
        raise ManifestError(f"{MANIFEST.name} lacks oauth_config.scopes.bot: {exc}") from None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ManifestError(f"{MANIFEST.name}: oauth_config.scopes.bot is not a list of scopes")
    return list(scopes)


def http_manifest(text: str, request_url: str, *, oauth: bool = False) -> dict[str, Any]:
    """The manifest for HTTP mode: Socket Mode off, and `request_url` as the request URL of
    every slash command, of interactivity (actions and the deal picker's options) and of
    event subscriptions; with `oauth`, the OAuth redirect URL on the same host too."""
    import yaml

    data = yaml.safe_load(text)
    try:
        features, settings = data["features"], data["settings"]
        for command in features.get("slash_commands", []):
            command["url"] = request_url
        interactivity = settings["interactivity"]
        interactivity["request_url"] = request_url
        interactivity["message_menu_options_url"] = request_url
        settings["event_subscriptions"] = {
            "request_url": request_url,
            **settings["event_subscriptions"],
        }
        settings["socket_mode_enabled"] = False
        if oauth:  # installing into many workspaces: where Slack sends the installer back
            origin = urlsplit(request_url)
            data["oauth_config"]["redirect_urls"] = [
                f"{origin.scheme}://{origin.netloc}{REDIRECT_PATH}"
            ]
    except (KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(f"{MANIFEST.name} lacks a part Slack needs: {exc}") from None
    return dict(data)


def dump(data: dict[str, Any]) -> str:
    import yaml

    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return text
