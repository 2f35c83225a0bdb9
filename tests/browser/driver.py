"""Driving the sandbox as a person would: a real `python -m bot sandbox` process and Debian's
headless Chromium, through Selenium. The browser tests and `scripts/screenshots` share it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "demo workspace ready"
APP_USER = "UBOT"  # the stand-in's user id for the app
Scope = WebElement | Callable[[], WebElement] | None
URL_LINE = "open http://"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SandboxProcess:
    url: str
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)


@contextmanager
def running_sandbox(
    database_url: str | None = None, *, demo: bool = True, timeout: float = 120
) -> Iterator[SandboxProcess]:
    """`python -m bot sandbox` in a scratch folder (its own sandbox.db), ready to use."""
    workdir = Path(tempfile.mkdtemp(prefix="dealcoach-sandbox-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    if database_url:
        env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "bot", "sandbox", "--port", str(port)]
    command.append("--demo" if demo else "--empty")
    process = subprocess.Popen(
        command, cwd=workdir, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    sandbox = SandboxProcess(f"http://127.0.0.1:{port}/", process)
    ready = threading.Event()
    wanted = READY_LINE if demo else URL_LINE

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            sandbox.lines.append(line.rstrip("\n"))
            if wanted in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not ready.wait(timeout) or process.poll() is not None:
            raise RuntimeError(f"the sandbox did not start:\n{sandbox.output()}")
        yield sandbox
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def chromium(width: int = 1400, height: int = 900) -> webdriver.Chrome:
    """Debian's Chromium, headless, kept off the network it cannot reach anyway."""
    options = webdriver.ChromeOptions()
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
        f"--user-data-dir={tempfile.mkdtemp(prefix='dealcoach-chromium-')}",
    ):
        options.add_argument(flag)
    driver_path = shutil.which("chromedriver")
    if driver_path is None:
        raise RuntimeError("chromedriver is not installed (Debian: chromium-driver)")
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))


class Person:
    """One person at the sandbox's page: what they click, type and see."""

    def __init__(self, browser: webdriver.Chrome, url: str, timeout: float = 15) -> None:
        self.browser = browser
        self.url = url
        self.timeout = timeout

    # ---------------------------------------------------------------- waiting

    def until(self, condition: Callable[[], Any], what: str, timeout: float | None = None) -> Any:
        def attempt(_: Any) -> Any:
            try:
                return condition()
            except (StaleElementReferenceException, WebDriverException):
                return None

        try:
            return WebDriverWait(self.browser, timeout or self.timeout, 0.1).until(attempt)
        except Exception as exc:
            raise AssertionError(f"waited in vain for {what}") from exc

    def find(self, css: str, within: Scope = None) -> WebElement:
        """The first element matching `css`, waited for; `within` may be a function that finds
        the container again, so a container the page redraws meanwhile does not go stale."""
        return self.until(lambda: next(iter(self.all(css, within)), None), css)

    def text_of(self, css: str, within: Scope = None) -> str:
        """The text of the first element matching `css`, found again should the page redraw it
        between finding and reading (a background update redraws an open modal)."""
        return str(
            self.until(lambda: next((e.text for e in self.all(css, within) if e.text), None), css)
        )

    def click(self, css: str, within: Scope = None) -> None:
        """Click the first element matching `css`, finding it again (and its container, when
        `within` is a function) if the page redrew it between finding and clicking."""

        def clicked() -> bool:
            found = self.all(css, within)
            if not found:
                return False
            found[0].click()
            return True

        self.until(clicked, f"a click on {css}")

    def press(self, text: str, within: Scope = None) -> None:
        """Click the button labelled `text`, as `click` does."""

        def pressed() -> bool:
            found = [b for b in self.all("button", within) if b.text.strip() == text]
            if not found:
                return False
            found[0].click()
            return True

        self.until(pressed, f"a click on the button {text!r}")

    def all(self, css: str, within: Scope = None) -> list[WebElement]:
        scope = within() if callable(within) else within
        return list((scope or self.browser).find_elements(By.CSS_SELECTOR, css))

    # ---------------------------------------------------------------- acting

    def open_as(self, user_id: str) -> None:
        self.browser.get(f"{self.url}?as={user_id}")
        self.until(
            lambda: (
                Select(self.find("select#person")).first_selected_option.get_attribute("value")
                == user_id
            ),
            f"the page as {user_id}",
        )

    def switch_to(self, user_id: str) -> None:
        Select(self.find("select#person")).select_by_value(user_id)
        self.until(
            lambda: (
                self.browser.execute_script("return new URL(location).searchParams.get('as')")
                == user_id
            ),
            f"the switch to {user_id}",
        )

    def conversation(self, conv_id: str) -> None:
        self.find(f'[data-conv="{conv_id}"]').click()

    def send(self, text: str, composer: str = "textarea#composer") -> None:
        box = self.find(composer)
        box.click()
        lines = text.split("\n")
        for index, line in enumerate(lines):
            box.send_keys(line)
            if index < len(lines) - 1:
                box.send_keys(Keys.SHIFT, Keys.ENTER)
        box.send_keys(Keys.ENTER)

    def messages(self) -> list[WebElement]:
        return self.all("#messages .message")

    def message_containing(
        self, text: str, scope: str = "#messages", *, from_app: bool = False
    ) -> WebElement:
        """The latest message in `scope` that contains `text` (from the app, if asked)."""

        def found() -> WebElement | None:
            for message in reversed(self.all(f"{scope} .message")):
                by_app = message.get_attribute("data-user") == APP_USER
                if text in message.text and (by_app or not from_app):
                    return message
            return None

        return self.until(found, f"a message containing {text!r} in {scope}")

    def modal(self) -> WebElement:
        return self.until(
            lambda: next((m for m in self.all("#modal") if m.is_displayed()), None), "a modal"
        )

    def no_modal(self) -> None:
        self.until(lambda: not any(m.is_displayed() for m in self.all("#modal")), "no modal")

    def block(self, block_id: str) -> WebElement:
        return self.find(f'#modal [data-block-id="{block_id}"]')

    def value_of(self, block_id: str) -> str:
        """What the modal's input shows in `block_id` (a text box's or a picker's value)."""
        field = self.find("input, textarea", self.block(block_id))
        return str(field.get_attribute("value") or "")

    def type_into(self, block_id: str, text: str) -> None:
        field = self.find("input, textarea", self.block(block_id))
        field.clear()
        field.send_keys(text)

    def choose_radio(self, block_id: str, value: str) -> None:
        self.find(f'input[type="radio"][value="{value}"]', self.block(block_id)).click()

    def pick_date(self, block_id: str, iso: str) -> None:
        field = self.find('input[type="date"]', self.block(block_id))
        self.browser.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            field,
            iso,
        )

    def submit_modal(self) -> None:
        self.find("#modal button.modal-submit").click()

    def button(self, text: str, within: Scope = None) -> WebElement:
        return self.until(
            lambda: next(
                (
                    b
                    for b in self.all("button", within)
                    if b.text.strip() == text and b.is_displayed()
                ),
                None,
            ),
            f"a button {text!r}",
        )

    def open_home(self) -> WebElement:
        self.conversation("home")
        return self.find("#home")

    def run_job(self, job: str, as_of: str | None) -> str:
        if not any(p.is_displayed() for p in self.all("#clock")):
            self.find("#clock-button").click()
        Select(self.find("select#job")).select_by_value(job)
        field = self.find("input#as-of")
        self.browser.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
            field,
            as_of or "",
        )
        output = self.find("pre#job-output")
        before = output.text
        self.find("button#run-job").click()
        return str(
            self.until(
                lambda: (
                    output.text
                    if output.text
                    and output.text != before
                    and "running" not in output.text.lower()
                    else None
                ),
                f"the output of {job}",
                timeout=60,
            )
        )

    def screenshot(self, path: Path, element: WebElement | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        time.sleep(0.3)  # let images and fonts settle
        if element is not None:
            element.screenshot(str(path))
        else:
            self.browser.save_screenshot(str(path))
