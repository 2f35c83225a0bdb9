"""The least a Bolt app can do for bench/ack.py's two requests and still keep the contract,
served like ours: the floor our stack is judged against.

``/debrief`` acknowledges, then opens a one-field modal. The ``debrief`` view submission saves
one row before it acknowledges (the contract: a rep who sees the modal close knows the
debrief is stored), in the same database as ours (``DATABASE_URL``: SQLite or PostgreSQL,
through a SQLAlchemy engine and one prepared INSERT), then acknowledges, then sends the rep
one DM. No validation, no deal, no outbox, no logging. It runs in a process of its own, as
``python -m bot serve`` does, behind the same waitress set-up (``bot.server.create_server``),
so that the only difference from ours is the work each request does.

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... DATABASE_URL=... \
        python -m bench.bare_app --port 3001
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import text

from bot.server import create_server
from storage.db import make_engine

# One row per submission; the view id is unique, as ours is, so a repeat is refused.
CREATE = (
    "CREATE TABLE IF NOT EXISTS bare_debriefs (id {key}, team_id VARCHAR(32), "
    "user_id VARCHAR(32), view_id VARCHAR(64) UNIQUE)"
)
INSERT = text(
    "INSERT INTO bare_debriefs (team_id, user_id, view_id) VALUES (:team_id, :user_id, :view_id)"
)

MINIMAL_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "debrief",
    "title": {"type": "plain_text", "text": "Debrief"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "deal",
            "label": {"type": "plain_text", "text": "Deal"},
            "element": {"type": "plain_text_input", "action_id": "deal"},
        }
    ],
}


def bare_app(token: str, signing_secret: str, api_url: str, database_url: str) -> App:
    app = App(client=WebClient(token=token, base_url=api_url), signing_secret=signing_secret)
    engine = make_engine(database_url)
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(text(CREATE.format(key=key)))

    @app.command("/debrief")
    def debrief(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=MINIMAL_MODAL)

    @app.view("debrief")
    def submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        with engine.begin() as conn:
            conn.execute(
                INSERT,
                {"team_id": body["team"]["id"], "user_id": user, "view_id": body["view"]["id"]},
            )
        ack()
        client.chat_postMessage(channel=user, text="Debrief saved.")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # As in ours (bot/logs.py): no "Task queue depth" warning for each request that waits.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    env = os.environ
    app = bare_app(
        env["SLACK_BOT_TOKEN"],
        env["SLACK_SIGNING_SECRET"],
        env["SLACK_API_URL"],
        env["DATABASE_URL"],
    )
    create_server(SlackRequestHandler(app), "127.0.0.1", args.port).run()


if __name__ == "__main__":
    main()
