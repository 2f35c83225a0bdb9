"""The coaching domain: pure Python, no Slack, no database."""
