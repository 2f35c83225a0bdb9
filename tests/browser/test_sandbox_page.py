"""What a person does in the sandbox, done in a real headless Chromium against a real
`python -m bot sandbox --demo` process: the same clicks, typing and reading as a visitor's.

The sandbox is seeded once for the module; each test acts as different people on different
deals, so the tests do not depend on one another's order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium import webdriver
from selenium.webdriver.remote.webelement import WebElement

from sandbox.demo import DEALS, owners
from tests.browser.driver import Person, SandboxProcess, chromium, running_sandbox

ZONE = ZoneInfo("America/New_York")  # the sandbox workspace's zone
ANA, BEN, GRACE, HASSAN = "U1ANA", "U1BEN", "U3GRACE", "U3HASSAN"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    with running_sandbox() as process:
        yield process


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def person(sandbox: SandboxProcess, browser: webdriver.Chrome) -> Person:
    return Person(browser, sandbox.url)


def test_the_sandbox_says_where_it_listens(sandbox: SandboxProcess) -> None:
    output = sandbox.output()
    assert f"open {sandbox.url}" in output
    assert "sandbox.db" in output
    assert "WARNING" not in output


def test_a_rep_records_a_debrief_through_the_modal(person: Person) -> None:
    person.open_as(ANA)
    person.conversation(f"D{ANA}")
    person.send("/debrief Kestrel Shipping")
    person.until(lambda: "Debrief" in person.modal().text, "the debrief modal")
    assert person.value_of("deal") == "Kestrel Shipping"

    tomorrow = (datetime.now(ZONE).date() + timedelta(days=2)).isoformat()
    person.pick_date("call_date", tomorrow)
    person.choose_radio("timeline", "yes")
    person.choose_radio("authority", "no")
    person.type_into("next_step", "security review with their IT lead")
    person.submit_modal()
    error = person.text_of('#modal [data-block-id="call_date"] .block-error').lower()
    assert "future" in error or "today" in error

    person.pick_date("call_date", datetime.now(ZONE).date().isoformat())
    person.submit_modal()
    person.no_modal()
    confirmation = person.message_containing("Kestrel Shipping", from_app=True)
    assert "authority" in confirmation.text.lower()


def test_a_post_call_message_gets_a_threaded_reply_and_can_be_corrected(person: Person) -> None:
    person.open_as(BEN)
    person.conversation(f"D{BEN}")
    person.send(
        "debrief Osprey Outdoor\ntimeline: no\nauthority: yes\nnext step: pilot plan\n"
        "went well: they brought their CFO"
    )
    posted = person.message_containing("debrief Osprey Outdoor")
    link = person.find(".thread-link", posted)
    person.until(lambda: re.search(r"\d+ repl", link.text), "the bot's threaded reply")
    link.click()
    thread = person.find("#thread")
    reply = person.message_containing("Osprey Outdoor", scope="#thread", from_app=True)
    assert "timeline" in reply.text.lower()

    person.press(
        "Correct it",
        lambda: person.message_containing("Osprey Outdoor", scope="#thread", from_app=True),
    )
    person.modal()
    assert person.value_of("deal") == "Osprey Outdoor"
    person.choose_radio("timeline", "yes")
    person.submit_modal()
    person.no_modal()
    assert thread.is_displayed()


def test_the_deal_picker_offers_the_reps_own_deals_as_they_type(person: Person) -> None:
    person.open_as(ANA)
    person.conversation(f"D{ANA}")
    person.send("/debrief")
    person.modal()
    person.type_into("deal", "Acm")  # a block_suggestion for each pause in typing
    option = person.find('#modal [data-block-id="deal"] .typeahead-item')
    person.until(lambda: "Acme Logistics" in option.text, "Ana's deal among the options")
    items = [i.text for i in person.all('#modal [data-block-id="deal"] .typeahead-item')]
    assert not any(deal in " ".join(items) for deal, rep in owners().items() if rep != ANA)
    person.click('#modal [data-block-id="deal"] .typeahead-item')
    person.until(lambda: person.value_of("deal") == "Acme Logistics", "the deal chosen")
    person.click("#modal button.modal-close")
    person.no_modal()


def _this_monday_10() -> str:
    today = datetime.now(ZONE).date()
    monday = today - timedelta(days=today.weekday())
    return f"{monday.isoformat()}T10:00"


def _digest_deals(text: str) -> set[str]:
    return {deal for deal in DEALS if deal in text}


def test_a_manager_runs_the_digest_snoozes_a_deal_and_it_leaves_the_next_one(
    person: Person,
) -> None:
    person.open_as(GRACE)
    person.conversation(f"D{GRACE}")
    first_monday = _this_monday_10()
    output = person.run_job("weekly-digest", first_monday)
    assert "sent" in output

    def digest() -> WebElement:
        return person.message_containing("Weekly deal review", from_app=True)

    listed = _digest_deals(digest().text)
    assert listed, digest().text
    assert "timeline" in digest().text.lower()

    snoozed = sorted(listed)[0]
    person.press("Snooze a week", lambda: _deal_row(person, digest(), snoozed))
    person.click(".thread-link", digest)
    person.message_containing(f"{snoozed} is snoozed", scope="#thread", from_app=True)

    next_monday = (date.fromisoformat(first_monday[:10]) + timedelta(days=7)).isoformat()
    person.run_job("weekly-digest", f"{next_monday}T10:00")
    week = date.fromisoformat(next_monday).isocalendar()
    later = person.message_containing(f"{week.year}-W{week.week:02d}", from_app=True)
    assert snoozed not in later.text
    assert _digest_deals(later.text), "the next digest still lists the other stalled deals"


def _deal_row(person: Person, digest: WebElement, deal: str) -> WebElement:
    """The actions block that follows the deal's section in the digest message."""
    blocks = person.all(".block", digest)
    for index, block in enumerate(blocks):
        if deal in block.text:
            for after in blocks[index + 1 :]:
                if "block-actions" in (after.get_attribute("class") or ""):
                    return after
    raise AssertionError(f"no buttons under {deal}")


def test_home_tabs_show_each_person_what_they_may_see(person: Person) -> None:
    deals_of: dict[str, set[str]] = {}
    for deal, rep in owners().items():
        deals_of.setdefault(rep, set()).add(deal)
    east = deals_of["U1ANA"] | deals_of["U1BEN"] | deals_of["U1CARLA"]

    person.open_as(ANA)
    home = person.open_home()
    person.until(lambda: any(d in home.text for d in deals_of[ANA]), "Ana's deals")
    shown = _home_deals(home.text)
    assert shown and shown <= deals_of[ANA] | {"Kestrel Shipping"}

    person.switch_to(GRACE)
    home = person.open_home()
    person.until(lambda: "Team board" in home.text, "Grace's team board")
    shown = _home_deals(home.text)
    assert shown & deals_of[BEN], "a manager sees the reps' deals"
    assert shown <= east | {"Kestrel Shipping", "Osprey Outdoor"}, shown - east


def _home_deals(text: str) -> set[str]:
    return {deal for deal in DEALS if deal in text}
