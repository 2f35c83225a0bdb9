"""Who may write into the pipeline: the workspace's own people.

A Slack Connect channel brings people from other organisations into the bot's channels, and a
workspace may have guests (contractors, customers) beside its members. What they post must not
become a debrief of ours, and the coaching (a deal's gaps, the questions that close them) is not
theirs to read. Guests may be let in by a workspace setting; people from another workspace and
bots never are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

ALLOW_GUESTS = "allow_guests"
YES, NO = "yes", "no"


@dataclass(frozen=True)
class Person:
    """What Slack says of someone, as far as access goes.

    `team_id` is the workspace they belong to (None when not known); `guest` is Slack's
    `is_restricted` or `is_ultra_restricted` (multi- and single-channel guests).
    """

    team_id: str | None
    guest: bool = False
    bot: bool = False


def is_outsider(their_team: str | None, workspace: str) -> bool:
    """Someone whose workspace is known and is not this one (Slack Connect)."""
    return their_team is not None and their_team != workspace


def may_contribute(person: Person, workspace: str, *, allow_guests: bool) -> bool:
    """May this person record debriefs and read the coaching in `workspace`?"""
    if person.bot or is_outsider(person.team_id, workspace):
        return False
    return allow_guests or not person.guest


def guests_allowed(settings: Mapping[str, str]) -> bool:
    """The workspace's `allow_guests` setting: `yes` or `no` (the default).

    Raises ValueError, with a message for the operator, for any other value."""
    value = settings.get(ALLOW_GUESTS, NO)
    answer = value.strip().lower()
    if answer not in (YES, NO):
        raise ValueError(f"{ALLOW_GUESTS} must be {YES} or {NO}, got {value!r}")
    return answer == YES
