"""Build and send requests exactly as Slack sends them to an app's Request URL.

The sandbox's page and the test suite both speak to the app through this module. They
exercise the real Bolt app over HTTP, including its signature check, so fixtures
must be byte-for-byte what Slack would POST: the same content types (form bodies for slash
commands and ``payload=<json>`` for interactivity, JSON for the Events API), the same
headers, and a ``v0`` HMAC-SHA256 signature over ``v0:{timestamp}:{body}``. Payload shapes
follow Slack's published references and the fixtures in slackapi/bolt-python's own tests.

Typical use::

    slack = SlackRequests(app_base_url, SIGNING_SECRET, response_url_base=fake.hooks_url)
    resp = slack.command("/coach", "debrief")
    assert resp.status == 200
    resp = slack.view_submission("debrief", {"deal": {"deal": plain("Acme")}})
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sandbox.webapi import BOT_ID, BOT_USER_ID, SlackStandIn, next_ts

__all__ = [
    "Response",
    "SlackRequests",
    "checkboxes",
    "datepicker",
    "external_select",
    "option",
    "plain",
    "radio",
    "sign",
    "static_select",
]

VERIFICATION_TOKEN = "legacy-verification-token"  # deprecated field Slack still sends
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` (``timestamp`` defaults to now)."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    """What the app answered. Header names are lower-cased for easy lookup."""

    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        """Decoded JSON body; None for an empty body (Bolt's bare ``ack()``)."""
        return json.loads(self.body) if self.body.strip() else None


# --------------------------------------------------------------------------- state builders
# Inner element states as found in ``view.state.values[block_id][action_id]``. Slack sends
# null (not a missing key) for cleared inputs, so None is accepted where Slack allows it.


def option(value: str, text: str | None = None) -> dict[str, Any]:
    """A Block Kit option object as Slack echoes it back in payloads."""
    return {
        "text": {"type": "plain_text", "text": value if text is None else text, "emoji": True},
        "value": value,
    }


def plain(value: str | None) -> dict[str, Any]:
    """``plain_text_input`` state (``value`` is null when the field was left empty)."""
    return {"type": "plain_text_input", "value": value}


def datepicker(iso_date: str | None) -> dict[str, Any]:
    """``datepicker`` state; ``selected_date`` is ``YYYY-MM-DD`` or null."""
    return {"type": "datepicker", "selected_date": iso_date}


def radio(value: str | None, text: str | None = None) -> dict[str, Any]:
    """``radio_buttons`` state; ``selected_option`` is null when nothing is picked."""
    return {
        "type": "radio_buttons",
        "selected_option": None if value is None else option(value, text),
    }


def static_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    """``static_select`` state; ``selected_option`` is null when nothing is picked."""
    return {
        "type": "static_select",
        "selected_option": None if value is None else option(value, text),
    }


def external_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    """``external_select`` state (options came from a block_suggestion answer)."""
    return {
        "type": "external_select",
        "selected_option": None if value is None else option(value, text),
    }


def checkboxes(values: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``checkboxes`` state; an empty list when nothing is ticked."""
    return {"type": "checkboxes", "selected_options": [option(v) for v in values]}


# --------------------------------------------------------------------------- requests


def _channel_name(channel_id: str) -> str:
    """Slack's ``channel.name``/``channel_name`` for a channel id in fixtures."""
    if channel_id.startswith("D"):
        return "directmessage"
    if channel_id.startswith("G"):
        return "privategroup"
    return channel_id.removeprefix("C_").removeprefix("C").lower() or "general"


class SlackRequests:
    """Sends signed, Slack-shaped requests to a running app at ``base_url + path``.

    ``response_url_base`` defaults to Slack's real host; pass ``SlackStandIn.hooks_url`` so the
    app's ``respond()`` calls land on the fake server and can be asserted on.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        team_id: str = "T0001",
        *,
        api_app_id: str = "A0001",
        team_domain: str = "testteam",
        path: str = "/slack/events",
        response_url_base: str = "https://hooks.slack.com",
        issuer: SlackStandIn | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.team_domain = team_domain
        self.path = path
        self.response_url_base = response_url_base.rstrip("/")
        self.timeout = timeout
        # With the stand-in as issuer, trigger ids and response URLs are ones it knows, so it
        # can hold views.open to the 3-second rule and show what respond() sends.
        self.issuer = issuer
        self._lock = threading.Lock()
        self._seq = 0

    @property
    def url(self) -> str:
        return self.base_url + self.path

    # ----------------------------------------------------------------- small id helpers

    def _next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def trigger_id(self, user_id: str | None = None) -> str:
        """A fresh trigger id shaped like Slack's (``<digits>.<digits>.<hex32>``)."""
        if self.issuer is not None:
            return self.issuer.issue_trigger_id(user_id)
        return f"{int(time.time() * 1000)}{self._next_seq():04d}.1234567890.{secrets.token_hex(16)}"

    def response_url(
        self,
        kind: str = "actions",
        channel: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        if self.issuer is not None and channel and user_id:
            return self.issuer.register_response_url(kind, channel, user_id, message_ts)
        return (
            f"{self.response_url_base}/{kind}/{self.team_id}/"
            f"{int(time.time())}{self._next_seq():04d}/{secrets.token_urlsafe(18)}"
        )

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _user(self, user_id: str) -> dict[str, Any]:
        name = user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _rich_text(self, text: str) -> list[dict[str, Any]]:
        return [
            {
                "type": "rich_text",
                "block_id": secrets.token_urlsafe(3)[:4],
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ]

    def _message(self, text: str, user: str, ts: str) -> dict[str, Any]:
        return {
            "client_msg_id": str(uuid.uuid4()),
            "type": "message",
            "text": text,
            "user": user,
            "ts": ts,
            "blocks": self._rich_text(text),
            "team": self.team_id,
        }

    # ----------------------------------------------------------------- transport

    def send_raw(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """POST ``body`` signed like Slack; overrides allow stale or forged signatures."""
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, "Accept": "*/*"}
        headers.update(sign(self.signing_secret, body, timestamp))
        if signature is not None:
            headers["X-Slack-Signature"] = signature
        headers.update(extra_headers or {})
        request = urllib.request.Request(
            self.url, data=body.encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return Response(
                    status=resp.status,
                    headers={k.lower(): v for k, v in resp.headers.items()},
                    body=resp.read().decode("utf-8"),
                )
        except urllib.error.HTTPError as err:
            return Response(
                status=err.code,
                headers={k.lower(): v for k, v in err.headers.items()},
                body=err.read().decode("utf-8"),
            )

    # ----------------------------------------------------------------- slash commands

    def command_body(
        self,
        command: str,
        text: str = "",
        user_id: str = "U_REP1",
        channel_id: str = "C_GENERAL",
        trigger_id: str | None = None,
    ) -> dict[str, str]:
        """The form fields Slack POSTs for a slash command (all strings, as on the wire)."""
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": _channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url("commands", channel_id, user_id),
            "trigger_id": trigger_id or self.trigger_id(user_id),
        }

    def command(
        self,
        command: str,
        text: str = "",
        user_id: str = "U_REP1",
        channel_id: str = "C_GENERAL",
        trigger_id: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Send a slash command invocation (form-urlencoded)."""
        fields = self.command_body(command, text, user_id, channel_id, trigger_id)
        return self.send_raw(
            urlencode(fields),
            FORM,
            timestamp=timestamp,
            signature=signature,
            extra_headers=extra_headers,
        )

    # ----------------------------------------------------------------- interactivity

    def interactive(
        self,
        payload: dict[str, Any],
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Send any interactivity payload as Slack does: form body ``payload=<json>``."""
        body = urlencode({"payload": json.dumps(payload)})
        return self.send_raw(
            body, FORM, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )

    def view_dict(
        self,
        callback_id: str,
        state_values: dict[str, Any] | None = None,
        private_metadata: str = "",
        view_id: str | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """A modal ``view`` object as Slack embeds it in interaction payloads."""
        view_id = view_id or f"V_FIX{self._next_seq():04d}"
        view: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": state_values or {}},
            "hash": f"{int(time.time())}.{secrets.token_urlsafe(6)[:8]}",
            "title": {"type": "plain_text", "text": "Deal Coach", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        view.update(overrides)
        return view

    def view_submission_payload(
        self,
        callback_id: str,
        state_values: dict[str, Any],
        user_id: str = "U_REP1",
        private_metadata: str = "",
        view_id: str | None = None,
        **view_overrides: Any,
    ) -> dict[str, Any]:
        """A ``view_submission`` payload (``view_overrides`` tweak the embedded view)."""
        return {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.trigger_id(user_id),
            "view": self.view_dict(
                callback_id, state_values, private_metadata, view_id, **view_overrides
            ),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def view_submission(
        self,
        callback_id: str,
        state_values: dict[str, Any],
        user_id: str = "U_REP1",
        private_metadata: str = "",
        view_id: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
        **view_overrides: Any,
    ) -> Response:
        """Submit a modal. ``state_values`` is ``{block_id: {action_id: element_state}}``."""
        payload = self.view_submission_payload(
            callback_id, state_values, user_id, private_metadata, view_id, **view_overrides
        )
        return self.interactive(
            payload, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )

    @staticmethod
    def _action(
        action_id: str, block_id: str, value: str | None, action_type: str
    ) -> dict[str, Any]:
        """One ``actions[]`` entry; where the value lives depends on the element type."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": next_ts(),
        }
        if action_type == "button":
            action["text"] = {"type": "plain_text", "text": "Button", "emoji": True}
            if value is not None:
                action["value"] = value
        elif action_type in ("static_select", "external_select", "overflow", "radio_buttons"):
            action["selected_option"] = None if value is None else option(value)
        elif action_type == "checkboxes":
            action["selected_options"] = [] if value is None else [option(value)]
        elif action_type == "datepicker":
            action["selected_date"] = value
        elif action_type == "users_select":
            action["selected_user"] = value
        elif action_type == "conversations_select":
            action["selected_conversation"] = value
        elif action_type == "channels_select":
            action["selected_channel"] = value
        else:
            action["value"] = value
        return action

    def block_action_payload(
        self,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        user_id: str = "U_REP1",
        channel_id: str | None = None,
        message_ts: str | None = None,
        view: dict[str, Any] | None = None,
        action_type: str = "button",
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A ``block_actions`` payload from a message, an ephemeral message, or a view.

        With ``view``: the container is that view. Otherwise the source is a message in
        ``channel_id`` (default ``C_GENERAL``): with ``message_ts`` (or ``message``) a normal
        message that Slack includes in full; without, an ephemeral message, for which Slack
        sends ``is_ephemeral: true`` and no ``message`` field.
        """
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.trigger_id(user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id")}
            payload["view"] = view
            if channel_id is not None:
                payload["channel"] = {"id": channel_id, "name": _channel_name(channel_id)}
        else:
            channel = channel_id or "C_GENERAL"
            if message is not None:
                message_ts = message.get("ts", message_ts)
            ephemeral = message_ts is None
            ts = message_ts or next_ts()
            payload["container"] = {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            }
            payload["channel"] = {"id": channel, "name": _channel_name(channel)}
            if not ephemeral:
                payload["message"] = message or {
                    "user": BOT_USER_ID,
                    "type": "message",
                    "ts": ts,
                    "bot_id": BOT_ID,
                    "app_id": self.api_app_id,
                    "text": "",
                    "team": self.team_id,
                    "blocks": [],
                }
            payload["state"] = {"values": {}}
            payload["response_url"] = self.response_url("actions", channel, user_id, ts)
        payload["actions"] = [self._action(action_id, block_id, value, action_type)]
        return payload

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        block_id: str = "b",
        user_id: str = "U_REP1",
        channel_id: str | None = None,
        message_ts: str | None = None,
        view: dict[str, Any] | None = None,
        action_type: str = "button",
        message: dict[str, Any] | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Click a button / pick an option (see ``block_action_payload``)."""
        payload = self.block_action_payload(
            action_id, value, block_id, user_id, channel_id, message_ts, view, action_type, message
        )
        return self.interactive(
            payload, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )

    def block_suggestion_payload(
        self,
        action_id: str,
        block_id: str,
        value: str,
        user_id: str = "U_REP1",
        view_callback_id: str = "debrief",
        view_id: str | None = None,
    ) -> dict[str, Any]:
        """A ``block_suggestion`` payload (options load for an ``external_select`` in a modal).

        Slack sends no ``trigger_id`` here; the app must answer with ``options`` in the ack.
        """
        view = self.view_dict(view_callback_id, view_id=view_id)
        return {
            "type": "block_suggestion",
            "user": self._user(user_id),
            "container": {"type": "view", "view_id": view["id"]},
            "api_app_id": self.api_app_id,
            "token": VERIFICATION_TOKEN,
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": view,
        }

    def block_suggestion(
        self,
        action_id: str,
        block_id: str,
        value: str,
        user_id: str = "U_REP1",
        view_callback_id: str = "debrief",
        view_id: str | None = None,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Ask the app for external_select options matching ``value`` (what the user typed)."""
        payload = self.block_suggestion_payload(
            action_id, block_id, value, user_id, view_callback_id, view_id
        )
        return self.interactive(
            payload, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )

    def message_shortcut_payload(
        self,
        callback_id: str,
        message_text: str,
        user_id: str = "U_REP1",
        channel_id: str = "C_GENERAL",
        message_ts: str | None = None,
        message_user: str = "U_OTHER",
    ) -> dict[str, Any]:
        """A ``message_action`` payload (a message shortcut used on someone's message)."""
        ts = message_ts or next_ts()
        return {
            "type": "message_action",
            "token": VERIFICATION_TOKEN,
            "action_ts": next_ts(),
            "team": self._team(),
            "user": self._user(user_id),
            "channel": {"id": channel_id, "name": _channel_name(channel_id)},
            "is_enterprise_install": False,
            "enterprise": None,
            "callback_id": callback_id,
            "trigger_id": self.trigger_id(user_id),
            "response_url": self.response_url("app", channel_id, user_id),
            "message_ts": ts,
            "message": self._message(message_text, message_user, ts),
        }

    def message_shortcut(
        self,
        callback_id: str,
        message_text: str,
        user_id: str = "U_REP1",
        channel_id: str = "C_GENERAL",
        message_ts: str | None = None,
        message_user: str = "U_OTHER",
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Use a message shortcut on a message with ``message_text``."""
        payload = self.message_shortcut_payload(
            callback_id, message_text, user_id, channel_id, message_ts, message_user
        )
        return self.interactive(
            payload, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )

    # ----------------------------------------------------------------- Events API

    def message_event(
        self,
        text: str,
        user: str = "U_REP1",
        channel: str = "D_REP1",
        channel_type: str = "im",
        ts: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A ``message`` event as delivered inside ``event_callback`` (``extra`` adds fields
        such as ``thread_ts``, ``subtype`` or ``bot_id``)."""
        ts = ts or next_ts()
        event = self._message(text, user, ts)
        event.update({"channel": channel, "event_ts": ts, "channel_type": channel_type})
        if "bot_id" in extra or "subtype" in extra:
            event.pop("client_msg_id")  # only messages typed by humans carry one
        event.update(extra)
        return event

    def event_envelope(
        self, event: dict[str, Any], event_id: str | None = None, ext_shared: bool = False
    ) -> dict[str, Any]:
        """Wrap ``event`` in the Events API ``event_callback`` envelope (``ext_shared``: the
        channel is shared with another organisation, Slack Connect)."""
        context = {
            "et": event.get("type"),
            "tid": self.team_id,
            "aid": self.api_app_id,
            "cid": event.get("channel"),
        }
        encoded = base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("=")
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": ext_shared,
            "event_context": f"4-{encoded}",
        }

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        *,
        ext_shared: bool = False,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """Deliver an Events API event; ``retry_*`` imitate Slack's redelivery headers."""
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
        if retry_reason is not None:
            headers["X-Slack-Retry-Reason"] = retry_reason
        headers.update(extra_headers or {})
        body = json.dumps(self.event_envelope(event, event_id, ext_shared))
        return self.send_raw(
            body, JSON, timestamp=timestamp, signature=signature, extra_headers=headers
        )

    def url_verification(
        self,
        challenge: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        """The handshake Slack sends when the Request URL is configured."""
        body = json.dumps(
            {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        )
        return self.send_raw(
            body, JSON, timestamp=timestamp, signature=signature, extra_headers=extra_headers
        )
