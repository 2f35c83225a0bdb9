"""The stand-in refuses and keeps what Slack refuses and keeps: the sandbox's page and the
test suite both rely on it behaving like Slack, not merely answering."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.webapi import TRIGGER_LIFETIME, SlackStandIn

TOKEN = "xoxb-standin-test"
MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Debrief"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
}


@pytest.fixture
def fake() -> Iterator[SlackStandIn]:
    with SlackStandIn(strict_triggers=True) as server:
        yield server


@pytest.fixture
def client(fake: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.url)


def test_blocks_over_slacks_limits_are_refused_with_the_reason(
    fake: SlackStandIn, client: WebClient
) -> None:
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="t", blocks=too_long)
    assert refused.value.response["error"] == "invalid_blocks"
    assert "3000" in " ".join(refused.value.response["response_metadata"]["messages"])
    assert fake.messages_for("C1", "U1") == []
    assert "chat.postMessage refused: invalid_blocks" in fake.notices()[-1]["text"]

    fifty_one = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_postMessage(channel="C1", text="t", blocks=fifty_one)
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    crowded_home = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U1", view=crowded_home)
    assert fake.home_view("U1") is None
    trigger = fake.issue_trigger_id("U1")
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(trigger_id=trigger, view=long_title)


def test_trigger_ids_expire_after_three_seconds_and_unknown_ones_are_refused(
    fake: SlackStandIn, client: WebClient
) -> None:
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="1.2.minted-elsewhere", view=MODAL)
    stale = fake.issue_trigger_id("U1")
    fake._triggers[stale] = (time.monotonic() - TRIGGER_LIFETIME - 0.1, "U1")
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=stale, view=MODAL)
    assert fake.modal_stack("U1") == []

    opened = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)["view"]
    assert [v["id"] for v in fake.modal_stack("U1")] == [opened["id"]]
    pushed = client.views_push(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)["view"]
    assert pushed["previous_view_id"] == opened["id"]
    assert [v["id"] for v in fake.modal_stack("U1")] == [opened["id"], pushed["id"]]
    assert fake.modal_stack("U2") == []


def test_submission_answers_are_applied_as_slack_applies_them(
    fake: SlackStandIn, client: WebClient
) -> None:
    view = client.views_open(trigger_id=fake.issue_trigger_id("U1"), view=MODAL)["view"]
    fake.answer_submission("U1", view["id"], {"response_action": "errors", "errors": {"b": "no"}})
    assert fake.modal_stack("U1")[0]["errors"] == {"b": "no"}
    updated = {**MODAL, "title": {"type": "plain_text", "text": "Saved"}}
    fake.answer_submission("U1", view["id"], {"response_action": "update", "view": updated})
    (top,) = fake.modal_stack("U1")
    assert (top["id"], top["title"]["text"], top["errors"]) == (view["id"], "Saved", {})
    fake.answer_submission("U1", view["id"], None)  # a bare ack closes the submitted view
    assert fake.modal_stack("U1") == []


def test_history_threads_and_metadata(fake: SlackStandIn, client: WebClient) -> None:
    parent = fake.post_as_user("C1", "U1", "debrief Acme")
    metadata = {"event_type": "dealcoach_delivery", "event_payload": {"key": "k1"}}
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])
    client.chat_postMessage(channel="C1", text="top", metadata=metadata)
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")

    history = client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m["text"] for m in history["messages"]] == ["top", "debrief Acme"]
    assert history["messages"][0]["metadata"] == metadata
    bare = client.conversations_history(channel="C1")
    assert "metadata" not in bare["messages"][0]
    replies = client.conversations_replies(channel="C1", ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["debrief Acme", "reply"]
    assert [m["text"] for m in fake.messages_for("C1", "U1")][-1] == "only you"
    assert "only you" not in [m["text"] for m in fake.messages_for("C1", "U2")]


def test_response_urls_answer_into_the_conversation(fake: SlackStandIn) -> None:
    import json
    import urllib.request

    def post(url: str, body: dict[str, object]) -> None:
        request = urllib.request.Request(
            url, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=5).read()

    source = fake.post_as_user("C1", "U1", "original")
    url = fake.register_response_url("actions", "C1", "U1", source["ts"])
    post(url, {"text": "just for you"})
    post(url, {"text": "for everyone", "response_type": "in_channel"})
    post(url, {"text": "changed", "replace_original": True})
    assert [m["text"] for m in fake.messages_for("C1", "U1")] == [
        "changed",
        "just for you",
        "for everyone",
    ]
    assert [m["text"] for m in fake.messages_for("C1", "U2")] == ["changed", "for everyone"]


def test_the_version_moves_when_something_visible_changes(
    fake: SlackStandIn, client: WebClient
) -> None:
    before = fake.version
    assert fake.wait_for_change(before, timeout=0.05) == before
    client.chat_postMessage(channel="C1", text="hi")
    assert fake.wait_for_change(before, timeout=1) > before
