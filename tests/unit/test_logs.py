"""Logs never carry a token or the signing secret."""

from __future__ import annotations

import io
import json
import logging

from bot.logs import JsonFormatter, RedactingFilter


def test_tokens_and_secret_are_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(["my-signing-secret"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s secret %s", "xoxb-123-abc", "my-signing-secret")
        try:
            raise ValueError("bad xapp-1-XYZ")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "xoxb-123" not in output and "my-signing-secret" not in output
    assert "xapp-1" not in output
    first = json.loads(output.splitlines()[0])
    assert first["msg"] == "token [redacted] secret [redacted]" and first["level"] == "warning"
