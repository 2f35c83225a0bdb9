"""Slack listeners: thin. Parse the payload, call coaching/ and storage/, render, respond."""
