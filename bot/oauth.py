"""OAuth mode's assembly: Bolt's own OAuth flow and `authorize`, on slack_sdk's SQLAlchemy
installation and state stores in our database, every token sealed (storage/installations.py).

- `GET /slack/install`: our "Add to Slack" page (a state cookie is set, as Bolt does).
- `GET /slack/oauth_redirect`: Bolt checks the state, calls `oauth.v2.access`, stores the
  installation (sealed) and we record the workspace as installed.
- Every request: Bolt's InstallationStoreAuthorize finds the requesting workspace's bot
  token (refreshing it first when token rotation is on) and hands listeners a client with it.
  Its `auth.test` answer is cached per token in each process.

Enterprise Grid: an install into one workspace of an organisation is stored and served like
any other (its enterprise_id is stored beside the team id, and Bolt finds it by both). An
org-wide install (one token for the whole organisation) is refused with a page saying so,
and the token Slack issued for it is revoked: our data and jobs are per workspace, and
manifest.yml keeps `org_deploy_enabled: false` so Slack does not offer it.

The client secret is never stored: it is read from SLACK_CLIENT_SECRET and sent only to
`oauth.v2.access` (installs and token refreshes).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_flow import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.manifest import bot_scopes
from bot.settings import Settings
from handlers.views.install import (
    install_failed_page,
    install_page,
    installed_page,
    org_wide_refused_page,
)
from storage.db import Database
from storage.encryption import TokenCipher
from storage.installations import SealedInstallationStore, mark_installed

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install started and not finished within 10 minutes starts again


class OrgWideInstall(BoltError):
    """An Enterprise Grid org-wide install, which Deal Coach does not support."""


def installation_store(settings: Settings, db: Database) -> SealedInstallationStore:
    assert settings.slack_client_id is not None
    cipher = TokenCipher(settings.require_encryption_keys())
    return SealedInstallationStore(settings.slack_client_id, db.engine, cipher)


def authorize_url(api_url: str) -> str:
    """Slack's consent screen beside its Web API (slack.com, GovSlack, a stand-in)."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"


class DealCoachOAuthFlow(OAuthFlow):
    """Bolt's flow with our pages, org-wide installs refused, and the workspace recorded."""

    db: Database

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url)

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install or not installation.team_id:
            self._revoke(installation.bot_token)
            raise OrgWideInstall("org-wide installs are not supported")
        super().store_installation(request, installation)
        with self.db.session() as session:
            mark_installed(session, installation.team_id, installation.enterprise_id)
        log.info(
            "workspace installed",
            extra={"team": installation.team_id, "enterprise": installation.enterprise_id},
        )

    def _revoke(self, token: str | None) -> None:
        if token is None:
            return
        try:
            self.client.auth_revoke(token=token)
        except SlackApiError as exc:
            log.warning("could not revoke a refused install's token: %s", exc.response.get("error"))


def _forget_state_cookie(settings: OAuthSettings) -> dict[str, str | Sequence[str]]:
    return {
        "Content-Type": ["text/html; charset=utf-8"],
        "Set-Cookie": [settings.state_utils.build_set_cookie_for_deletion()],
    }


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    query = urlencode({"team": installation.team_id or "", "app": installation.app_id or ""})
    page = installed_page(
        installation.team_name or installation.team_id or "", f"slack://app?{query}"
    )
    return BoltResponse(status=200, body=page, headers=_forget_state_cookie(args.settings))


def _failed(args: FailureArgs) -> BoltResponse:
    if isinstance(args.error, OrgWideInstall):
        page = org_wide_refused_page()
        status = 200
    else:
        log.warning("install failed", extra={"reason": args.reason})
        page = install_failed_page(args.reason)
        status = args.suggested_status_code
    return BoltResponse(status=status, body=page, headers=_forget_state_cookie(args.settings))


@dataclass(frozen=True)
class OAuthParts:
    flow: DealCoachOAuthFlow
    authorize: InstallationStoreAuthorize
    store: SealedInstallationStore


def oauth_parts(settings: Settings, db: Database, client: WebClient) -> OAuthParts:
    """The flow and the authorize of the Bolt app; `client` (no token) reaches the Web API."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    store = installation_store(settings, db)
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=bot_scopes(),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        callback_options=CallbackOptions(success=_installed, failure=_failed),
        authorization_url=authorize_url(settings.slack_api_url),
        installation_store=store,
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=db.engine, logger=log
        ),
        logger=log,
    )
    flow = DealCoachOAuthFlow(client=client, settings=oauth_settings, logger=log)
    flow.db = db
    authorize = InstallationStoreAuthorize(
        logger=log,
        installation_store=store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        bot_only=True,
        cache_enabled=True,  # one auth.test per token and process, not one per request
        client=client,
    )
    return OAuthParts(flow, authorize, store)
