"""Who is in the sandbox's workspace: a few reps in different time zones, two managers and a
workspace admin, each with a Slack-like profile, and the channels they share. Farid and Hassan
have their Slack in Arabic (`ar-AE`), so the bot speaks Arabic to them.

Everything here is what Slack's `users.info` and a person's sidebar would show; the bot learns
about these people only by asking the Web API, as it would in a real workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WORKSPACE_NAME = "Northwind Sales (sandbox)"
WORKSPACE_ZONE = "America/New_York"  # the sandbox's TIMEZONE: channels use it


@dataclass(frozen=True)
class Person:
    id: str
    real_name: str
    title: str
    tz: str
    tz_label: str
    tz_offset: int  # seconds east of UTC in winter; Slack sends the current one
    role: str  # rep, manager or admin: what the switcher groups them by
    team_hint: str
    color: str
    is_admin: bool = False
    locale: str = "en-US"  # Slack's language for this person: the bot speaks it when it can

    @property
    def name(self) -> str:
        return self.real_name.split()[0].lower()

    def slack_user(self, team_id: str) -> dict[str, Any]:
        """What users.info answers for this person."""
        first, _, last = self.real_name.partition(" ")
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "locale": self.locale,
            "is_admin": self.is_admin,
            "is_owner": self.is_admin,
            "profile": {
                "real_name": self.real_name,
                "display_name": first,
                "first_name": first,
                "last_name": last,
                "title": self.title,
                "email": f"{self.name}@northwind.example",
                "team": team_id,
            },
        }


PEOPLE: tuple[Person, ...] = (
    Person(
        "U1ANA", "Ana Ortiz", "Account Executive", "America/New_York", "Eastern Time",
        -18000, "rep", "Enterprise East", "#c0392b",
    ),
    Person(
        "U1BEN", "Ben Carter", "Account Executive", "America/Chicago", "Central Time",
        -21600, "rep", "Enterprise East", "#2980b9",
    ),
    Person(
        "U1CARLA", "Carla Reyes", "Senior Account Executive", "America/Los_Angeles",
        "Pacific Time", -28800, "rep", "Enterprise East", "#8e44ad",
    ),
    Person(
        "U2DARA", "Dara Okafor", "Account Executive", "Europe/London", "Greenwich Mean Time",
        0, "rep", "Mid-Market EMEA", "#16a085",
    ),
    Person(
        "U2ELIF", "Elif Yilmaz", "Account Executive", "Europe/Istanbul", "Turkey Time",
        10800, "rep", "Mid-Market EMEA", "#d35400",
    ),
    Person(
        "U2FARID", "Farid Haddad", "Account Executive", "Asia/Dubai", "Gulf Standard Time",
        14400, "rep", "Mid-Market EMEA", "#27ae60", locale="ar-AE",
    ),
    Person(
        "U3GRACE", "Grace Lee", "Sales Manager", "America/New_York", "Eastern Time",
        -18000, "manager", "Enterprise East", "#2c3e50",
    ),
    Person(
        "U3HASSAN", "Hassan Amin", "Sales Manager", "Europe/London", "Greenwich Mean Time",
        0, "manager", "Mid-Market EMEA", "#7f8c8d", locale="ar-AE",
    ),
    Person(
        "U4IVY", "Ivy Chen", "Sales Operations (workspace admin)", "America/Los_Angeles",
        "Pacific Time", -28800, "admin", "", "#b7950b", is_admin=True,
    ),
)  # fmt: skip

CHANNELS: dict[str, str] = {
    "C0GENERAL": "general",
    "C1EAST": "sales-east",
    "C2EMEA": "sales-emea",
}


def person(user_id: str) -> Person | None:
    return next((p for p in PEOPLE if p.id == user_id), None)


def dm_channel(user_id: str) -> str:
    """The id of a person's direct messages with the app (what conversations.open answers)."""
    return "D" + user_id
