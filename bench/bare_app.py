"""The least a Bolt app can do for bench/ack.py's two requests, served like ours.

``/debrief`` acknowledges, then opens a one-field modal; the ``debrief`` view submission only
acknowledges. No database, no logging. It runs in a process of its own, as ``python -m bot
serve`` does, behind the same waitress set-up (``bot.server.create_server``), so that the only
difference from ours is the work each request does.

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... \
        python -m bench.bare_app --port 3001
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.server import create_server

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


def bare_app(token: str, signing_secret: str, api_url: str) -> App:
    app = App(client=WebClient(token=token, base_url=api_url), signing_secret=signing_secret)

    @app.command("/debrief")
    def debrief(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=MINIMAL_MODAL)

    @app.view("debrief")
    def submitted(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    env = os.environ
    app = bare_app(env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"], env["SLACK_API_URL"])
    create_server(SlackRequestHandler(app), "127.0.0.1", args.port).run()


if __name__ == "__main__":
    main()
