"""Scheduled work: the clock, its jobs, and the delivery outbox that makes sends exactly-once."""
