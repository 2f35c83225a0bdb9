"""Installed workspaces: slack_sdk's SQLAlchemy installation store, with every token sealed.

`SealedInstallationStore` is slack_sdk's store (Bolt's OAuth flow and its `authorize` use it
unchanged) reading and writing its tables through copies whose token columns seal each value
on the way in and open it on the way out (`SealedText`). So no code path of slack_sdk or Bolt
(saving an installation, a refreshed token, finding a bot) can store a token in clear, and
the rest of the app never sees ciphertext.

What else the app needs of the installations is here too, in plain SQLAlchemy: which
workspaces are installed, forgetting a workspace's tokens, marking it installed or gone, and
re-sealing every token under the newest key (`keys rotate`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, MetaData, Table, Text, delete, desc, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from storage.db import rows_changed
from storage.encryption import TokenCipher
from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    TOKEN_COLUMNS,
    Workspace,
    utcnow,
)

log = logging.getLogger(__name__)

TOKEN_TABLES = (SLACK_BOTS, SLACK_INSTALLATIONS)


class SealedText(TypeDecorator[str]):
    """Text that is a Fernet ciphertext in the database and the token in Python."""

    impl = Text
    cache_ok = True

    def __init__(self, cipher: TokenCipher) -> None:
        super().__init__()
        self.cipher = cipher

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.cipher.open(str(value))


def _sealed_copy(table: Table, metadata: MetaData, cipher: TokenCipher) -> Table:
    copy = table.to_metadata(metadata)
    for name in TOKEN_COLUMNS:
        if name in copy.c:
            copy.c[name].type = SealedText(cipher)
    return copy


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on our tables (created by our migrations), tokens sealed."""

    def __init__(self, client_id: str, engine: Engine, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=log)
        self.metadata = MetaData()
        self.bots = _sealed_copy(SLACK_BOTS, self.metadata, cipher)
        self.installations = _sealed_copy(SLACK_INSTALLATIONS, self.metadata, cipher)

    def create_tables(self) -> None:  # our Alembic migrations own the schema
        raise NotImplementedError("run `python -m bot db upgrade`")

    def bot_for_team(self, team_id: str) -> Bot | None:
        """The latest bot of workspace `team_id`, whatever organisation it belongs to: the
        one token jobs and workers use for it. None when it is not installed (or left)."""
        c = self.bots.c
        query = (
            self.bots.select()
            .where(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self.build_bot_entity(row)


def installed_team_ids(session: Session) -> list[str]:
    """Every workspace with a bot token stored, sorted."""
    c = SLACK_BOTS.c
    query = select(c.team_id).where(c.team_id.is_not(None), c.bot_token.is_not(None)).distinct()
    return sorted(str(team) for team in session.scalars(query))


def mark_installed(session: Session, team_id: str, enterprise_id: str | None) -> None:
    """A workspace installed (or installed again): any pending deletion of its data is off."""
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        session.add(Workspace(team_id=team_id, enterprise_id=enterprise_id, installed_at=utcnow()))
    else:
        workspace.enterprise_id = enterprise_id
        workspace.installed_at = utcnow()
        workspace.uninstalled_at = None


@dataclass(frozen=True)
class Forgotten:
    bots: int
    installations: int


def forget_tokens(session: Session, team_id: str) -> Forgotten:
    """Delete every token of the workspace, bot and user, in whatever organisation."""
    bots = rows_changed(session.execute(delete(SLACK_BOTS).where(SLACK_BOTS.c.team_id == team_id)))
    installs = rows_changed(
        session.execute(delete(SLACK_INSTALLATIONS).where(SLACK_INSTALLATIONS.c.team_id == team_id))
    )
    return Forgotten(int(bots or 0), int(installs or 0))


def mark_uninstalled(session: Session, team_id: str, now: datetime) -> None:
    """The workspace left: its data is deleted DATA_RETENTION_DAYS after `now`."""
    workspace = session.get(Workspace, team_id)
    if workspace is None:
        session.add(Workspace(team_id=team_id, installed_at=now, uninstalled_at=now))
    elif workspace.uninstalled_at is None:
        workspace.uninstalled_at = now


def uninstalled_before(session: Session, cutoff: datetime) -> list[str]:
    query = select(Workspace.team_id).where(Workspace.uninstalled_at < cutoff)
    return sorted(session.scalars(query))


def drop_expired_states(session: Session, now: datetime) -> int:
    """OAuth states of installs that were started and never finished (slack_sdk keeps them)."""
    expired = delete(SLACK_OAUTH_STATES).where(
        SLACK_OAUTH_STATES.c.expire_at < now.replace(tzinfo=None)
    )
    return rows_changed(session.execute(expired))


def _sealed_values(session: Session, table: Table) -> list[tuple[int, str, str]]:
    """(row id, column, ciphertext) of every token stored in `table`."""
    columns = [table.c[name] for name in TOKEN_COLUMNS if name in table.c]
    found = []
    for row in session.execute(select(table.c.id, *columns)):
        for column, value in zip(columns, row[1:], strict=True):
            if value is not None:
                found.append((int(row[0]), column.name, str(value)))
    return found


def reseal_all(session: Session, cipher: TokenCipher) -> tuple[int, int]:
    """Re-seal every stored token under the cipher's first key, in one transaction:
    (tokens looked at, tokens changed). UnreadableToken when one opens with none of the keys
    (nothing is changed then: the transaction rolls back)."""
    seen = changed = 0
    for table in TOKEN_TABLES:
        for row_id, column, sealed in _sealed_values(session, table):
            seen += 1
            resealed = cipher.reseal(sealed)
            if resealed != sealed:
                session.execute(
                    update(table).where(table.c.id == row_id).values({column: resealed})
                )
                changed += 1
    return seen, changed


def unreadable_tokens(session: Session, cipher: TokenCipher) -> int:
    """How many stored tokens none of the keys opens (0 when the key list is right)."""
    from storage.encryption import UnreadableToken

    count = 0
    for table in TOKEN_TABLES:
        for _row, _column, sealed in _sealed_values(session, table):
            try:
                cipher.open(sealed)
            except UnreadableToken:
                count += 1
    return count
