"""Which Web API client serves workspace T: the one question every job and worker asks.

Requests need no such question: Bolt's `authorize` puts the requesting workspace's token in
the client it hands each listener. Work that runs outside a request (the clock's jobs, a
worker draining the outbox) asks `clients.client_for(team_id)` for every workspace it serves:

- one workspace (`SLACK_BOT_TOKEN`): the bot token's client, whatever the workspace id;
- installed through OAuth: that workspace's own bot token, refreshed first when Slack's token
  rotation is on and it expires within REFRESH_MINUTES; None when the workspace is not
  installed (never was, uninstalled, revoked), so nothing is sent for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.oauth.token_rotation import TokenRotator

from storage.installations import SealedInstallationStore

log = logging.getLogger(__name__)

# Refresh a rotating token this long before it expires (Bolt's own default for requests).
REFRESH_MINUTES = 120


class Clients(Protocol):
    def client_for(self, team_id: str) -> WebClient | None:
        """The client for workspace `team_id`, or None when nothing may be sent there."""
        ...


class OneWorkspace:
    """Single-workspace mode: the bot token serves every workspace id the data holds."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def client_for(self, team_id: str) -> WebClient | None:
        return self.client


class Installed:
    """OAuth mode: each workspace's own token, from the installation store."""

    def __init__(
        self,
        store: SealedInstallationStore,
        make_client: Callable[[str], WebClient],
        rotator: TokenRotator,
    ) -> None:
        self.store = store
        self.make_client = make_client
        self.rotator = rotator

    def client_for(self, team_id: str) -> WebClient | None:
        bot = self.store.bot_for_team(team_id)
        if bot is None or not bot.bot_token:
            return None
        if bot.bot_refresh_token is not None:
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=bot, minutes_before_expiration=REFRESH_MINUTES
            )
            if refreshed is not None:
                self.store.save_bot(refreshed)
                log.info("bot token refreshed", extra={"team": team_id})
                bot = refreshed
        assert bot.bot_token is not None
        return self.make_client(bot.bot_token)


def as_clients(value: WebClient | Clients) -> Clients:
    """A job handed one client (tests, benchmarks, single-workspace callers) or the clients."""
    return OneWorkspace(value) if isinstance(value, WebClient) else value
