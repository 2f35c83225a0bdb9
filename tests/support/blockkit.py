"""The suite's hold on Block Kit: every view and message the app sent in a test is one Slack
would take (sandbox/blockkit.py says what Slack refuses), with fallback text for notifications."""

from __future__ import annotations

from typing import Any

from sandbox.blockkit import problems_in_call


def check_call(method: str, params: dict[str, Any]) -> None:
    problems = problems_in_call(method, params, need_fallback=True)
    assert not problems, f"{method}: {problems}"
