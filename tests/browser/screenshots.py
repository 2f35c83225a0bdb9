"""The README's pictures, taken from a freshly seeded sandbox by `scripts/screenshots`.

Each picture is what a person sees after doing what the README describes, so the pictures
change when the product does: run the script again, never edit them by hand.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.browser.driver import ROOT, Person, chromium, running_sandbox

ZONE = ZoneInfo("America/New_York")
PICTURES = (
    "debrief-modal.png",
    "debrief-confirmation.png",
    "post-call-reply.png",
    "weekly-digest.png",
    "rep-home.png",
    "manager-home.png",
)


def take(folder: Path) -> list[Path]:
    written: list[Path] = []
    with running_sandbox() as sandbox:
        browser = chromium(1440, 900)
        try:
            person = Person(browser, sandbox.url)

            def shot(name: str) -> None:
                path = folder / name
                person.screenshot(path)
                written.append(path)

            person.open_as("U1ANA")
            person.conversation("DU1ANA")
            person.send("/debrief Kestrel Shipping")
            person.modal()
            person.choose_radio("timeline", "yes")
            person.choose_radio("authority", "no")
            person.type_into("next_step", "security review with their IT lead")
            next_week = (datetime.now(ZONE).date() + timedelta(days=7)).isoformat()
            person.pick_date("next_step_date", next_week)
            person.type_into("went_well", "They named the quarter they must go live in")
            person.type_into("improve", "Ask who signs off on spend this size")
            shot("debrief-modal.png")
            person.submit_modal()
            person.no_modal()
            person.message_containing("Kestrel Shipping")
            shot("debrief-confirmation.png")

            person.switch_to("U1BEN")
            person.conversation("DU1BEN")
            person.send(
                "debrief Osprey Outdoor\ntimeline: no\nauthority: yes\n"
                "next step: pilot plan review\nwent well: their CFO joined the call"
            )
            posted = person.message_containing("debrief Osprey Outdoor")
            link = person.find(".thread-link", posted)
            person.until(lambda: "repl" in link.text, "the bot's reply")
            link.click()
            person.message_containing("Osprey Outdoor", scope="#thread")
            shot("post-call-reply.png")

            person.switch_to("U3GRACE")
            person.conversation("DU3GRACE")
            today = datetime.now(ZONE).date()
            monday = today - timedelta(days=today.weekday())
            person.run_job("weekly-digest", f"{monday.isoformat()}T10:00")
            person.find("#clock-button").click()  # put the clock panel away again
            person.click(".thread-link", lambda: person.message_containing("Weekly deal review"))
            person.find("#thread img")
            browser.execute_script(  # the digest from its heading, the chart beside it
                "arguments[0].scrollIntoView({block: 'start'})",
                person.message_containing("Weekly deal review"),
            )
            shot("weekly-digest.png")

            person.switch_to("U1ANA")
            person.open_home()
            person.until(lambda: "Kestrel" in person.find("#home").text, "Ana's Home")
            shot("rep-home.png")

            person.switch_to("U3GRACE")
            person.open_home()
            person.until(lambda: "Team board" in person.find("#home").text, "Grace's Home")
            shot("manager-home.png")
        finally:
            browser.quit()
    return written


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else ROOT / "docs" / "images"
    for path in take(folder):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
