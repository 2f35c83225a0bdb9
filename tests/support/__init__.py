"""Test-support helpers: a fake Slack Web API server and a signed-request builder for Bolt."""
