"""OAuth mode in tests: the real app in OAuth mode behind the real server, and installing a
workspace through the real redirect flow (install page, Slack's consent screen on the
stand-in, the redirect back with its state cookie)."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

from bot.app import create_app
from bot.http import SlackWsgi
from bot.settings import Settings, load_settings
from handlers.deps import Deps
from sandbox.payloads import SlackRequests
from sandbox.webapi import SlackStandIn
from storage.db import Database
from tests.conftest import SIGNING_SECRET, Clock
from tests.support.server import start_server

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret-do-not-store"
# Two fixed Fernet keys (what `keys generate` prints), so that tests can rotate between them.
KEY_ONE = "kHoFRMGvFnwxse8G9BCbThkv4PkMqpNpBzSWR2wGQO0="
KEY_TWO = "g7ljlEafAIKeM6zUiZD93GoEc8qL0RWgLCE3nz3_evs="


def oauth_env(db: Database, fake: SlackStandIn, key: str = KEY_ONE, **extra: str) -> dict[str, str]:
    return {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "DEALCOACH_ENCRYPTION_KEY": key,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "DATABASE_URL": db.url,
        "TIMEZONE": "UTC",
        **extra,
    }


@dataclass
class OAuthApp:
    url: str
    fake: SlackStandIn
    db: Database
    clock: Clock
    deps: Deps
    settings: Settings

    def slack(self, team_id: str) -> SlackRequests:
        """Signed requests as Slack sends them for workspace `team_id`."""
        return SlackRequests(
            self.url,
            SIGNING_SECRET,
            team_id=team_id,
            response_url_base=self.fake.hooks_url,
            issuer=self.fake,
        )

    def install(self, team_id: str, **consent: str) -> tuple[int, str]:
        return install(self.url, team_id, **consent)


@contextmanager
def serve_oauth_app(
    db: Database, fake: SlackStandIn, clock: Clock, *, rotation: bool = False, expires_in: int = 0
) -> Iterator[OAuthApp]:
    settings = load_settings(oauth_env(db, fake))
    deps = Deps(db=db, default_zone=settings.zone, now=clock.now)
    app = create_app(settings, deps, socket_mode=False)
    url, stop = start_server(SlackWsgi(app, db, SIGNING_SECRET))
    fake.register_oauth_app(
        CLIENT_ID,
        CLIENT_SECRET,
        f"{url}/slack/oauth_redirect",
        token_rotation=rotation,
        expires_in=expires_in or 12 * 3600,
    )
    try:
        yield OAuthApp(url, fake, db, clock, deps, settings)
    finally:
        deps.background.drain()
        stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """One GET, redirects not followed; (status, headers with lower-case names, body)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", errors="replace")
        fields: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            fields[key] = f"{fields[key]}, {value}" if key in fields else value
        return response.status, fields, body
    finally:
        connection.close()


def install(app_url: str, team_id: str, **consent: str) -> tuple[int, str]:
    """Install the app into `team_id` as a person would: open the install page, follow "Add to
    Slack" to the consent screen (the stand-in approves at once, for `team_id`), and follow
    its redirect back to the app with the state cookie. Returns the final page."""
    status, headers, page = get(f"{app_url}/slack/install?team={team_id}")
    assert status == 200, page
    link = re.search(r'href="([^"]+)"', page)
    assert link is not None, page
    cookie = headers["set-cookie"].split(";", 1)[0]
    authorize = unescape(link.group(1))
    extra = "".join(f"&{k}={v}" for k, v in consent.items())
    status, headers, _ = get(authorize + extra)
    assert status == 302
    status, _, page = get(headers["location"], {"Cookie": cookie})
    return status, page
