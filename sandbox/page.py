"""What a person does in the sandbox's page, turned into what Slack would do.

A Slack client sends a person's typing, clicks and form submissions to Slack, and Slack sends
the app signed requests. Here the page's JSON API does both halves: it keeps what the person
did in the stand-in (their message, the state of a modal's inputs) and sends the app the same
signed payload Slack would, then applies the app's answer as Slack does (an ephemeral reply to
a slash command, a modal's errors, the options of a select). What the app sends back through
the Web API lands in the stand-in, and the page shows it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import directory
from sandbox.payloads import Response, SlackRequests
from sandbox.webapi import BOT_USER_ID, TEAM_ID, SlackStandIn, next_ts, slack_escaped

log = logging.getLogger(__name__)

ACK_LIMIT = 3.0  # seconds Slack waits for an acknowledgement
MAX_TEXT = 40_000  # Slack's own limit on a message's text
JobRunner = Callable[[str, "str | None"], tuple[bool, str]]


class PageError(Exception):
    """A request the page should not have sent (unknown person, view or message): shown as is."""


class Page:
    """The page's JSON API for one sandbox workspace."""

    def __init__(
        self,
        standin: SlackStandIn,
        app_url: str,
        signing_secret: str,
        *,
        manifest: dict[str, Any],
        jobs: list[tuple[str, str]],
        run_job: JobRunner,
        zone: str = directory.WORKSPACE_ZONE,
    ) -> None:
        self.standin = standin
        self.slack = SlackRequests(
            app_url,
            signing_secret,
            team_id=TEAM_ID,
            team_domain="northwind",
            issuer=standin,
            timeout=15.0,
        )
        self.manifest = manifest
        self.jobs = jobs
        self.run_job = run_job
        self.zone = ZoneInfo(zone)
        for person in directory.PEOPLE:
            standin.users[person.id] = person.slack_user(TEAM_ID)
        standin.users[BOT_USER_ID] = {
            "real_name": self.bot_name,
            "is_bot": True,
            "profile": {"real_name": self.bot_name, "display_name": self.bot_name},
        }
        standin.team_name = directory.WORKSPACE_NAME
        standin.channels.update({cid: {"name": name} for cid, name in directory.CHANNELS.items()})

    # ----------------------------------------------------------------- what the manifest says

    @property
    def bot_name(self) -> str:
        features = self.manifest.get("features", {})
        return str(features.get("bot_user", {}).get("display_name") or "the app")

    def commands(self) -> list[dict[str, str]]:
        found = self.manifest.get("features", {}).get("slash_commands") or []
        return [
            {
                "command": str(c.get("command", "")),
                "description": str(c.get("description", "")),
                "usage_hint": str(c.get("usage_hint", "")),
            }
            for c in found
        ]

    def shortcuts(self) -> list[dict[str, str]]:
        found = self.manifest.get("features", {}).get("shortcuts") or []
        return [
            {"callback_id": str(s["callback_id"]), "name": str(s["name"]), "type": str(s["type"])}
            for s in found
        ]

    # ----------------------------------------------------------------- reading

    def _person(self, user: Any) -> str:
        if not isinstance(user, str) or directory.person(user) is None:
            raise PageError(f"nobody in this workspace has the id {user!r}")
        return user

    def _channel(self, user: str, channel: Any) -> str:
        if channel == directory.dm_channel(user) or channel in directory.CHANNELS:
            return str(channel)
        raise PageError(f"{user} cannot see the conversation {channel!r}")

    def conversations(self, user: str) -> list[dict[str, str]]:
        return [
            {"id": directory.dm_channel(user), "kind": "im", "name": self.bot_name},
            *(
                {"id": cid, "kind": "channel", "name": name}
                for cid, name in directory.CHANNELS.items()
            ),
        ]

    def _shown(self, message: dict[str, Any], replies: dict[str, int]) -> dict[str, Any]:
        thread_ts = message.get("thread_ts")
        is_bot = bool(message.get("bot_id")) or message.get("user") == BOT_USER_ID
        return {
            "ts": message["ts"],
            "user": BOT_USER_ID if is_bot else message.get("user"),
            "bot": is_bot,
            "text": message.get("text", ""),
            "blocks": message.get("blocks") or None,
            "thread_ts": thread_ts if thread_ts and thread_ts != message["ts"] else None,
            "reply_count": replies.get(message["ts"], 0),
            "files": [
                # By path, so the page works from whatever address it was opened at.
                {
                    **{k: f.get(k) for k in ("id", "name", "title", "mimetype")},
                    "url": f"/files/{f['id']}",
                }
                for f in message.get("files") or []
            ],
            "edited": "edited" in message,
            "ephemeral": "ephemeral_to" in message,
        }

    def messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        raw = self.standin.messages_for(channel, user)
        replies: dict[str, int] = {}
        for m in raw:
            parent = m.get("thread_ts")
            if parent and parent != m["ts"]:
                replies[parent] = replies.get(parent, 0) + 1
        shown = [self._shown(m, replies) for m in raw]
        shown.sort(key=lambda m: float(m["ts"]))
        return shown

    def state(self, user: str, since: int, wait: float = 20.0) -> dict[str, Any]:
        """Everything the page shows `user`, once anything changed after version `since` (at
        once for a first visit, or a page that saw a sandbox since restarted)."""
        user = self._person(user or directory.PEOPLE[0].id)
        version = self.standin.version
        if 0 < since <= version:
            version = self.standin.wait_for_change(since, wait)
        conversations = self.conversations(user)
        return {
            "version": version,
            "me": user,
            "people": [
                {
                    "id": p.id,
                    "real_name": p.real_name,
                    "name": p.name,
                    "title": p.title,
                    "team_hint": p.team_hint,
                    "tz": p.tz,
                    "tz_label": p.tz_label,
                    "role": p.role,
                    "color": p.color,
                }
                for p in directory.PEOPLE
            ],
            "bot": {"id": BOT_USER_ID, "name": self.bot_name, "color": "#1f4e5f"},
            "workspace": {"id": TEAM_ID, "name": directory.WORKSPACE_NAME},
            "channels": [{"id": c, "name": n} for c, n in directory.CHANNELS.items()],
            "conversations": conversations,
            "messages": {c["id"]: self.messages(user, c["id"]) for c in conversations},
            "home": self.standin.home_view(user),
            "modals": self.standin.modal_stack(user),
            "notices": self.standin.notices(),
            "commands": self.commands(),
            "shortcuts": self.shortcuts(),
            "jobs": [{"name": n, "description": d} for n, d in self.jobs],
            "clock": self.clock(),
        }

    def clock(self) -> dict[str, Any]:
        """Now, and the Mondays a visitor most likely wants a job to believe it is."""
        now = datetime.now(self.zone)
        monday = (now - timedelta(days=now.weekday())).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        fmt = "%Y-%m-%dT%H:%M"
        return {
            "now": now.strftime(fmt),
            "zone": str(self.zone),
            "suggested_as_of": [
                {"label": "This Monday 10:00", "value": monday.strftime(fmt)},
                {"label": "Next Monday 10:00", "value": (monday + timedelta(days=7)).strftime(fmt)},
            ],
        }

    # ----------------------------------------------------------------- sending to the app

    def _deliver(self, what: str, send: Callable[[], Response]) -> Response:
        """Send one request to the app and report what Slack would: a refusal or a late ack."""
        started = time.monotonic()
        try:
            response = send()
        except OSError as exc:
            self.standin.notice("error", f"{what}: the app could not be reached ({exc})")
            raise PageError(f"the app could not be reached: {exc}") from None
        took = time.monotonic() - started
        if took > ACK_LIMIT:
            self.standin.notice(
                "error",
                f"{what}: the app took {took:.1f} s to acknowledge; Slack gives up after "
                f"{ACK_LIMIT:.0f} s and shows the person an error",
            )
        if response.status != 200:
            self.standin.notice(
                "error", f"{what}: the app answered HTTP {response.status}: {response.body[:300]}"
            )
        return response

    @staticmethod
    def _json(response: Response) -> dict[str, Any] | None:
        if not response.body.strip():
            return None
        try:
            body = json.loads(response.body)
        except ValueError:
            return {"text": response.body}
        return body if isinstance(body, dict) else None

    def send(
        self,
        user: Any,
        channel: Any,
        text: Any,
        thread_ts: str | None = None,
        *,
        ts: str | None = None,
    ) -> dict[str, Any]:
        """A person posts `text`: a slash command when it starts with one, else a message."""
        user = self._person(user)
        channel = self._channel(user, channel)
        if not isinstance(text, str) or not text.strip():
            raise PageError("there is nothing to send")
        if len(text) > MAX_TEXT:
            raise PageError(f"a message can be at most {MAX_TEXT} characters")
        if text.startswith("/") and not thread_ts:
            return self._command(user, channel, text)
        text = slack_escaped(text)
        message = self.standin.post_as_user(channel, user, text, thread_ts=thread_ts, ts=ts)
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        event = self.slack.message_event(
            text,
            user=user,
            channel=channel,
            channel_type="im" if channel.startswith("D") else "channel",
            ts=message["ts"],
            **extra,
        )
        event["client_msg_id"] = message["client_msg_id"]
        self._deliver("message event", lambda: self.slack.event(event))
        return {"ok": True, "ts": message["ts"]}

    def _command(self, user: str, channel: str, text: str) -> dict[str, Any]:
        command, _, rest = text.strip().partition(" ")
        if command not in {c["command"] for c in self.commands()}:
            self.standin.post_ephemeral_text(
                channel, user, f"{command} is not a valid command. In Slack, a `/` starts one."
            )
            return {"ok": True}
        response = self._deliver(
            command, lambda: self.slack.command(command, rest.strip(), user, channel)
        )
        answer = self._json(response) if response.status == 200 else None
        if answer and answer.get("text"):
            self.standin.post_ephemeral_text(channel, user, str(answer["text"]))
        return {"ok": True}

    def _view(self, user: str, view_id: Any, state: Any) -> dict[str, Any]:
        values = state if isinstance(state, dict) else {}
        view = self.standin.set_view_state(str(view_id), values)
        if view is None:
            raise PageError(f"there is no view {view_id!r}")
        return view

    def action(
        self,
        user: Any,
        container: Any,
        action: Any,
        state: Any = None,
    ) -> dict[str, Any]:
        """A click or a choice on an interactive element, in a message or a view."""
        user = self._person(user)
        if not isinstance(container, dict) or not isinstance(action, dict):
            raise PageError("an action needs its container and the element's action")
        block_id, action_id = action.get("block_id"), action.get("action_id")
        if not isinstance(block_id, str) or not isinstance(action_id, str):
            raise PageError("an action needs the element's block_id and action_id")
        if container.get("type") == "view":
            view = self._view(user, container.get("view_id"), state)
            payload = self.slack.block_action_payload(action_id, None, block_id, user, view=view)
        else:
            channel = self._channel(user, container.get("channel"))
            message = self.standin.message(channel, str(container.get("ts")))
            if message is None or message.get("ephemeral_to") not in (None, user):
                raise PageError("that message is gone")
            payload = self.slack.block_action_payload(
                action_id, None, block_id, user, channel, message=message
            )
            if "ephemeral_to" in message:  # Slack sends no message body for those
                payload.pop("message", None)
                payload["container"]["is_ephemeral"] = True
        payload["actions"] = [{**action, "action_ts": next_ts()}]
        self._deliver(f"action {action_id}", lambda: self.slack.interactive(payload))
        return {"ok": True}

    def suggest(
        self, user: Any, view_id: Any, block_id: Any, action_id: Any, value: Any
    ) -> dict[str, Any]:
        """Options for an external_select in a view as the person types (a block_suggestion)."""
        user = self._person(user)
        if not view_id:
            raise PageError("the sandbox offers typed options in views only")
        view = self._view(user, view_id, None)
        payload = self.slack.block_suggestion_payload(
            str(action_id), str(block_id), str(value or ""), user
        )
        payload["view"] = view
        payload["container"] = {"type": "view", "view_id": view["id"]}
        response = self._deliver(
            f"options for {action_id}", lambda: self.slack.interactive(payload)
        )
        answer = self._json(response) or {}
        return {
            "ok": True,
            "options": answer.get("options") or [],
            "option_groups": answer.get("option_groups") or [],
        }

    def submit(self, user: Any, view_id: Any, state: Any) -> dict[str, Any]:
        """The modal's submit button: a view_submission, then Slack's reading of the answer."""
        user = self._person(user)
        view = self._view(user, view_id, state)
        payload = self.slack.view_submission_payload(str(view.get("callback_id", "")), {}, user)
        payload["view"] = view
        response = self._deliver(
            f"submission of {view.get('callback_id')}", lambda: self.slack.interactive(payload)
        )
        if response.status != 200:
            self.standin.show_view_errors(
                view["id"], {"": "We had some trouble connecting. Try again?"}
            )
            return {"ok": False, "error": "the app did not accept the submission"}
        answer = self._json(response)
        self.standin.answer_submission(user, view["id"], answer)
        errors = (answer or {}).get("errors") if (answer or {}).get("response_action") else None
        return {"ok": True, **({"errors": errors} if errors else {})}

    def close(self, user: Any, view_id: Any, everything: Any = False) -> dict[str, Any]:
        user = self._person(user)
        view = self.standin.view(str(view_id))
        if view is None:
            raise PageError(f"there is no view {view_id!r}")
        if view.get("notify_on_close"):
            payload = {
                "type": "view_closed",
                "team": {"id": TEAM_ID, "domain": "northwind"},
                "user": {"id": user, "team_id": TEAM_ID},
                "api_app_id": self.slack.api_app_id,
                "view": view,
                "is_cleared": False,
            }
            self._deliver("view_closed", lambda: self.slack.interactive(payload))
        self.standin.close_view(user, str(view_id), everything=bool(everything))
        return {"ok": True}

    def home(self, user: Any) -> dict[str, Any]:
        """The person opened the app's Home tab: Slack sends app_home_opened every time."""
        user = self._person(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user,
            "channel": directory.dm_channel(user),
            "tab": "home",
            "event_ts": next_ts(),
        }
        published = self.standin.home_view(user)
        if published is not None:
            event["view"] = published
        self._deliver("app_home_opened", lambda: self.slack.event(event))
        return {"ok": True}

    def shortcut(self, user: Any, channel: Any, ts: Any, callback_id: Any) -> dict[str, Any]:
        """A message shortcut from a message's menu."""
        user = self._person(user)
        channel = self._channel(user, channel)
        if callback_id not in {s["callback_id"] for s in self.shortcuts()}:
            raise PageError(f"the app has no shortcut {callback_id!r}")
        message = self.standin.message(channel, str(ts))
        if message is None:
            raise PageError("that message is gone")
        author = str(message.get("user") or BOT_USER_ID)
        payload = self.slack.message_shortcut_payload(
            str(callback_id), str(message.get("text", "")), user, channel, str(ts), author
        )
        self._deliver(f"shortcut {callback_id}", lambda: self.slack.interactive(payload))
        return {"ok": True}

    def job(self, name: Any, as_of: Any) -> dict[str, Any]:
        """The clock panel: run a scheduled job now, or as if the clock read `as_of` (a
        date-time in the workspace's zone)."""
        if name not in {n for n, _ in self.jobs}:
            raise PageError(f"there is no job {name!r}")
        when = None
        if as_of:
            try:
                local = datetime.fromisoformat(str(as_of))
            except ValueError:
                raise PageError(f"not a date and time: {as_of!r}") from None
            when = (local if local.tzinfo else local.replace(tzinfo=self.zone)).isoformat()
        ok, output = self.run_job(str(name), when)
        return {"ok": ok, "output": output, **({} if ok else {"error": output})}
