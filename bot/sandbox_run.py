"""`python -m bot sandbox`: the bot, exactly as `serve --http` runs it, against the local Slack
stand-in (sandbox/), on one port that serves both the bot's `POST /slack/events` and the page.

The only thing that knows it is a sandbox is this assembly: it generates a signing secret and
a bot token, points SLACK_API_URL at the stand-in and picks a database of its own. Then it
builds the same app, the same HTTP handler, and the same scheduler and outbox worker as
`serve` (bot.commands.start_background_work). The page's clock panel runs a job as an operator
would, `python -m bot jobs run`, which writes the job's messages to the outbox and sends them.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.commands import EXIT_FAILURE, CommandError, check_keys, start_background_work
from bot.commands import _database as database
from bot.commands import _deps as make_deps
from bot.settings import Settings, load_settings
from handlers.outbox import flush_marks
from storage.db import Database

log = logging.getLogger("dealcoach")

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "manifest.yml"
DEFAULT_DATABASE = "sqlite:///sandbox.db"
SERVER_THREADS = 32  # the page's long polls hold a thread each, beside the bot's requests
LOOPBACK = ("127.0.0.1", "localhost", "::1")
StartResponse = Callable[..., Any]


class _Router:
    """The bot's paths to the bot, everything else to the sandbox. The bot's part is set once
    it is built; until then (its start-up asks the stand-in for auth.test) it answers 503."""

    def __init__(self, sandbox: Callable[..., Iterable[bytes]]) -> None:
        self.sandbox = sandbox
        self.bot: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in ("/slack/events", "/healthz"):
            if self.bot is None:
                body = b'{"ok": false, "starting": true}'
                start_response(
                    "503 Service Unavailable",
                    [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
                )
                return [body]
            return self.bot(environ, start_response)
        return self.sandbox(environ, start_response)


def sandbox_environment(port: int) -> dict[str, str]:
    """The settings the sandbox runs the bot with (and hands its job commands)."""
    from sandbox.directory import WORKSPACE_ZONE

    return {
        "SLACK_BOT_TOKEN": "xoxb-sandbox-" + secrets.token_hex(12),
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_URL": f"http://127.0.0.1:{port}/api/",
        "SLACK_APP_TOKEN": "",
        # The sandbox is one workspace on a generated token, whatever OAuth settings are about.
        "SLACK_CLIENT_ID": "",
        "SLACK_CLIENT_SECRET": "",
        # Only a DATABASE_URL set in the environment counts: a .env is for the real deployment.
        "DATABASE_URL": os.environ.get("DATABASE_URL") or DEFAULT_DATABASE,
        "TIMEZONE": WORKSPACE_ZONE,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL") or "WARNING",
        "PORT": str(port),
    }


def _job_runner(env: dict[str, str]) -> Callable[[str, str | None], tuple[bool, str]]:
    """Runs a job as an operator would beside a running bot: `python -m bot jobs run JOB
    --as-of T --no-send`, leaving the sending to the sandbox's own worker. Two processes
    sending at once on clocks days apart would not be safe: to a worker on the real clock, a
    message the job's process (on a past clock) is sending right now looks two minutes stale,
    and settling it early could send it twice."""

    def run(job: str, as_of: str | None) -> tuple[bool, str]:
        command = [sys.executable, "-m", "bot", "jobs", "run", job, "--no-send"]
        if as_of:
            command += ["--as-of", as_of]
        done = subprocess.run(
            command,
            env={**os.environ, **env},
            cwd=os.getcwd(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = (done.stdout + done.stderr).strip()
        return done.returncode == 0, output or f"exit code {done.returncode}"

    return run


def _has_debriefs(db: Database) -> bool:
    from sqlalchemy import func, select

    from storage.models import Debrief

    with db.session() as session:
        return bool(session.scalar(select(func.count()).select_from(Debrief)))


def cmd_sandbox(args: argparse.Namespace, _settings: Settings) -> int:
    import yaml
    from waitress.server import create_server

    from bot.app import clients_for, create_app
    from bot.http import SlackWsgi
    from bot.logs import configure
    from sandbox.demo import seed
    from sandbox.page import Page
    from sandbox.server import SandboxApp
    from sandbox.webapi import SlackStandIn
    from scheduling.clock import JOBS
    from storage.migrate import upgrade

    port: int = args.port or 3000
    host: str = args.host or "127.0.0.1"
    env = sandbox_environment(port)
    settings = load_settings(env)
    configure(settings.log_level, settings.secrets)
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    standin = SlackStandIn(strict_triggers=True, public_base=f"http://127.0.0.1:{port}")
    page = Page(
        standin,
        f"http://127.0.0.1:{port}",
        env["SLACK_SIGNING_SECRET"],
        manifest=manifest,
        jobs=[(name, spec.description) for name, spec in JOBS.items()],
        run_job=_job_runner(env),
        zone=env["TIMEZONE"],
    )
    router = _Router(SandboxApp(page, standin))
    try:  # the port first: when it is taken, that is the one line the person sees
        server: Any = create_server(
            router, host=host, port=port, threads=SERVER_THREADS, ident="dealcoach-sandbox"
        )
    except OSError as exc:
        raise CommandError(
            f"cannot serve the sandbox on port {port}: {exc.strerror or exc} "
            "(try --port with another number)",
            EXIT_FAILURE,
        ) from None
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    _say("Deal Coach sandbox: the real bot against a local stand-in for Slack.")
    if host not in LOOPBACK:
        _say(
            f"WARNING: listening on {host}: anyone who can reach this port can act as anyone "
            "in the sandbox and read everything in it."
        )
    db = database(settings, writable=True)
    upgrade(db)
    demo = args.demo or (not args.empty and not _has_debriefs(db))
    thread = threading.Thread(target=server.run, name="sandbox-http", daemon=True)
    thread.start()
    check_keys(settings, db)
    deps = make_deps(settings, db)
    app = create_app(settings, deps, socket_mode=False)
    router.bot = SlackWsgi(app, db, env["SLACK_SIGNING_SECRET"])
    stop_background = start_background_work(deps, clients_for(settings, db))
    _say(f"database: {_shown_database(env['DATABASE_URL'])}")
    where = f"listening on {host}" if host not in LOOPBACK else "listening on 127.0.0.1 only"
    _say(f"open {url} in your browser ({where}; Ctrl-C stops the sandbox)")
    if demo:
        _say("seeding the demo workspace through the bot (teams, then ~8 weeks of debriefs)...")
        try:
            seed(page, datetime.now(settings.zone).date(), progress=lambda m: _say(f"  {m}"))
        except (RuntimeError, OSError) as exc:
            _say(f"the demo could not be seeded: {exc}")
        _say("demo workspace ready")
    try:
        thread.join()
    except KeyboardInterrupt:
        _say("stopping the sandbox")
    finally:
        stop_background()
        deps.background.drain(timeout=2)
        flush_marks(db, timeout=2)
        server.close()
    return 0


def _shown_database(url: str) -> str:
    if url.startswith("sqlite:///"):
        return f"{url[len('sqlite:///') :]} (SQLite; delete it to start again)"
    scheme, _, rest = url.partition("://")
    return f"{scheme}://…@{rest.rpartition('@')[2]}"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
