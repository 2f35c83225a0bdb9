"""A believable workspace, seeded through the bot's own paths: the admin sets up two teams
with `/coach team` and its modal, and six reps debrief about eight weeks of calls by messaging
the bot, as people would. Nothing here writes a row: the bot does, from what it is sent.

The history is made from today backwards, with a fixed seed, so every run tells the same
story: some deals move, some never had their timeline qualified or the decision-maker
reached, some went quiet, some have an overdue next step. A rep whose Slack is in Arabic
(directory.py) writes their post-call messages in Arabic, dates in Arabic digits, as they
would.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import directory
from sandbox.page import Page

log = logging.getLogger(__name__)

TEAMS = (
    ("Enterprise East", "U4IVY", ["U3GRACE"], ["U1ANA", "U1BEN", "U1CARLA"], "C1EAST"),
    ("Mid-Market EMEA", "U4IVY", ["U3HASSAN"], ["U2DARA", "U2ELIF", "U2FARID"], "C2EMEA"),
)

DEALS = (
    "Acme Logistics", "Bluefin Health", "Cobalt Energy", "Delta Foods", "Evergreen Bank",
    "Falcon Aerospace", "Granite Insurance", "Harbor Freight Lines", "Ionic Labs",
    "Juniper Retail", "Keystone Schools", "Lumen Media", "Meridian Hotels", "Nimbus Cloud",
    "Orchid Pharma", "Pioneer Mining", "Quartz Analytics", "Redwood Furniture",
    "Summit Telecom", "Tidewater Ports", "Umbra Security", "Vertex Robotics",
    "Willow Care Homes", "Xenon Motors", "Yellowstone Outfitters", "Zephyr Airlines",
    "Atlas Staffing", "Beacon Credit Union", "Cedar Construction", "Dune Solar",
)  # fmt: skip

# How each deal's story goes; every rep gets a mix, so each team has moving and stuck deals.
STORIES = ("moving", "no_timeline", "moving", "no_authority", "quiet", "overdue", "both_gaps")

NEXT_STEPS = (
    "demo for the operations team",
    "send the security questionnaire",
    "pricing call with procurement",
    "pilot kick-off",
    "workshop on their renewal process",
    "intro to the CFO",
    "reference call with a customer",
    "send the proposal",
)
WENT_WELL = (
    "they shared the pain in their own numbers",
    "the champion brought a colleague from finance",
    "good discovery on how they buy today",
    "they asked for a pilot plan",
    "clear agreement on the problem we solve",
)
IMPROVE = (
    "ask who signs and when they last bought something this size",
    "pin down the date their current contract ends",
    "talk less in the first ten minutes",
    "ask what happens if they do nothing this quarter",
    "get the next meeting in the calendar before hanging up",
)


# The same texts in Arabic, in the same order, for reps whose Slack is in Arabic.
NEXT_STEPS_AR = (
    "عرض توضيحي لفريق العمليات",
    "إرسال استبيان أمن المعلومات",
    "مكالمة تسعير مع المشتريات",
    "انطلاق التجربة",
    "ورشة عن آلية التجديد لديهم",
    "تعارف مع المدير المالي",
    "مكالمة مع عميل مرجعي",
    "إرسال العرض",
)
WENT_WELL_AR = (
    "شرحوا المشكلة بأرقامهم",
    "أحضر المناصر زميلًا من المالية",
    "استكشاف جيد لطريقة شرائهم الحالية",
    "طلبوا خطة للتجربة",
    "اتفاق واضح على المشكلة التي نحلّها",
)
IMPROVE_AR = (
    "اسأل من يوقّع ومتى اشتروا آخر مرة شيئًا بهذا الحجم",
    "حدّد تاريخ انتهاء عقدهم الحالي",
    "تحدّث أقل في الدقائق العشر الأولى",
    "اسأل ماذا يحدث إن لم يفعلوا شيئًا هذا الربع",
    "احجز الاجتماع القادم قبل إنهاء المكالمة",
)
_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@dataclass(frozen=True)
class Call:
    rep: str
    deal: str
    day: date
    timeline: bool
    authority: bool
    next_step: str
    next_step_date: date | None
    went_well: str
    improve: str

    def message(self) -> str:
        person = directory.person(self.rep)
        if person is not None and person.locale.startswith("ar"):
            return self._arabic_message()
        lines = [
            f"debrief {self.deal}",
            f"call date: {self.day.isoformat()}",
            f"timeline: {'yes' if self.timeline else 'no'}",
            f"authority: {'yes' if self.authority else 'no'}",
            f"next step: {self.next_step}",
        ]
        if self.next_step_date:
            lines.append(f"next step date: {self.next_step_date.isoformat()}")
        lines += [f"went well: {self.went_well}", f"improve: {self.improve}"]
        return "\n".join(lines)

    def _arabic_message(self) -> str:
        """The same debrief as an Arabic speaker types it: Arabic keywords and digits."""

        def day(value: date) -> str:
            return value.isoformat().translate(_ARABIC_DIGITS)

        lines = [
            f"ملخص {self.deal}",
            f"تاريخ المكالمة: {day(self.day)}",
            f"الجدول الزمني: {'نعم' if self.timeline else 'لا'}",
            f"صاحب القرار: {'نعم' if self.authority else 'لا'}",
            f"الخطوة التالية: {NEXT_STEPS_AR[NEXT_STEPS.index(self.next_step)]}",
        ]
        if self.next_step_date:
            lines.append(f"تاريخ الخطوة التالية: {day(self.next_step_date)}")
        lines += [
            f"ما نجح: {WENT_WELL_AR[WENT_WELL.index(self.went_well)]}",
            f"للتحسين: {IMPROVE_AR[IMPROVE.index(self.improve)]}",
        ]
        return "\n".join(lines)


def _story_calls(rep: str, deal: str, story: str, today: date, rng: random.Random) -> list[Call]:
    """The calls of one deal, oldest first, so that it ends in `story`'s state today."""
    count = rng.randint(2, 6)
    last = today - timedelta(days=rng.randint(16, 30) if story == "quiet" else rng.randint(1, 9))
    if story == "overdue":
        last = today - timedelta(days=rng.randint(8, 12))
    days = [last]
    for _ in range(count - 1):
        days.append(days[-1] - timedelta(days=rng.randint(5, 11)))
    days = [d for d in reversed(days) if d >= today - timedelta(weeks=8)] or [last]
    calls = []
    for index, day in enumerate(days):
        latest = index == len(days) - 1
        early = index == 0 and not latest
        timeline = story not in ("no_timeline", "both_gaps") and not early
        authority = story not in ("no_authority", "both_gaps") and (latest or rng.random() < 0.5)
        if story == "overdue" and latest:
            due: date | None = today - timedelta(days=rng.randint(4, 7))
        elif rng.random() < 0.85:
            due = day + timedelta(days=rng.randint(5, 12))
        else:
            due = None
        if due is not None and not latest:
            due = min(due, days[index + 1])
        calls.append(
            Call(
                rep=rep,
                deal=deal,
                day=day,
                timeline=timeline,
                authority=authority,
                next_step=rng.choice(NEXT_STEPS),
                next_step_date=due,
                went_well=rng.choice(WENT_WELL),
                improve=rng.choice(IMPROVE),
            )
        )
    return calls


def owners() -> dict[str, str]:
    """Each demo deal's rep: five deals each, dealt round the reps of both teams."""
    reps = [rep for *_, members, _channel in TEAMS for rep in members]
    return {deal: reps[index % len(reps)] for index, deal in enumerate(DEALS)}


def history(today: date, seed: int = 7) -> list[Call]:
    """Every demo call, oldest first: five deals per rep, each with its story."""
    rng = random.Random(seed)
    calls: list[Call] = []
    for index, (deal, rep) in enumerate(owners().items()):
        story = STORIES[index % len(STORIES)]
        calls += _story_calls(rep, deal, story, today, rng)
    calls.sort(key=lambda c: (c.day, c.deal))
    return calls


def _message_ts(call: Call, sequence: int) -> str:
    """The message's ts: late afternoon of the call day in the rep's zone, unique per run."""
    person = directory.person(call.rep)
    zone = ZoneInfo(person.tz if person else "UTC")
    moment = datetime(call.day.year, call.day.month, call.day.day, 16, 30, tzinfo=zone)
    return f"{int(moment.timestamp()) + sequence}.{sequence:06d}"


def _set_up_team(
    page: Page, name: str, admin: str, managers: list[str], reps: list[str], channel: str
) -> None:
    page.send(admin, "C0GENERAL", f"/coach team {name}")
    view = _wait_for_modal(page, admin)
    state = {
        "team_name": {"team_name": {"type": "plain_text_input", "value": name}},
        "managers": {"managers": {"type": "multi_users_select", "selected_users": managers}},
        "members": {"members": {"type": "multi_users_select", "selected_users": reps}},
        "channel": {"channel": {"type": "channels_select", "selected_channel": channel}},
        "move": {"move": {"type": "checkboxes", "selected_options": []}},
    }
    answer = page.submit(admin, view["id"], state)
    if answer.get("errors"):
        raise RuntimeError(f"the team modal refused {name!r}: {answer['errors']}")


def _wait_for_modal(page: Page, user: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack = page.standin.modal_stack(user)
        if stack:
            return stack[-1]
        time.sleep(0.05)
    raise RuntimeError("the bot opened no modal for /coach team")


def _wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def seed(page: Page, today: date, *, progress: Callable[[str], None] = log.info) -> int:
    """Seed the workspace; returns the number of debriefs sent to the bot."""
    for name, admin, managers, reps, channel in TEAMS:
        _set_up_team(page, name, admin, managers, reps, channel)
    progress(f"set up {len(TEAMS)} teams through /coach team")
    calls = history(today)
    replies_before = len(page.standin.calls_to("chat.postMessage"))
    for sequence, call in enumerate(calls, start=1):
        page.send(
            call.rep,
            directory.dm_channel(call.rep),
            call.message(),
            ts=_message_ts(call, sequence),
        )
    answered = _wait_for(
        lambda: len(page.standin.calls_to("chat.postMessage")) - replies_before >= len(calls),
        timeout=60,
    )
    if not answered:
        progress("the bot has not answered every demo debrief yet; it may still be working")
    progress(f"sent {len(calls)} debriefs of {len(DEALS)} deals as post-call messages")
    return len(calls)
