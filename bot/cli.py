"""The command line: `python -m bot` (or `dealcoach`) with the contract's subcommands.

This module parses arguments and reports failures; bot/commands.py does the work. Every
failure an operator can cause (a missing token, a malformed argument, a database that does
not answer) ends as one line on standard error and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn
from urllib.error import URLError

from slack_sdk.errors import SlackApiError

from bot.commands import (
    EXIT_CONFIG,
    EXIT_FAILURE,
    SETTING_KEYS,
    CommandError,
    cmd_clock,
    cmd_db_upgrade,
    cmd_deliveries,
    cmd_export_debriefs,
    cmd_jobs_list,
    cmd_jobs_run,
    cmd_keys_generate,
    cmd_keys_rotate,
    cmd_manifest,
    cmd_serve,
    cmd_settings_list,
    cmd_settings_set,
    cmd_team_list,
    cmd_team_set,
    cmd_worker,
    cmd_workspace_delete,
    cmd_workspace_export,
    parse_as_of,
)
from bot.settings import Settings, SettingsError, load_settings
from storage.db import DatabaseError, MigrationError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m bot",
        description="Deal Coach: a Slack app that turns every sales call into coaching.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    serve = commands.add_parser(
        "serve",
        help="run the Slack app",
        description="Run the Slack app: Socket Mode when SLACK_APP_TOKEN is set, otherwise "
        "HTTP on $PORT (POST /slack/events, GET /healthz). Brings the schema up to date first.",
    )
    mode = serve.add_mutually_exclusive_group()
    mode.add_argument(
        "--http", action="store_true", help="serve HTTP even if SLACK_APP_TOKEN is set"
    )
    mode.add_argument(
        "--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN)"
    )
    serve.add_argument("--port", type=_port, help="HTTP port (default: $PORT, else 3000)")
    serve.add_argument(
        "--no-scheduler",
        action="store_true",
        help="run no scheduled jobs and send nothing from the outbox in this process (leave "
        "them to separate clock and worker processes)",
    )
    serve.set_defaults(handler=cmd_serve)

    sandbox = commands.add_parser(
        "sandbox",
        help="try the bot in a browser, against a local stand-in for Slack",
        description="Run the bot exactly as `serve --http` does, against a local stand-in for "
        "Slack that you use in a browser at http://127.0.0.1:PORT/. Nothing to configure: it "
        "generates its own token and signing secret and keeps its own SQLite file, sandbox.db "
        "(or DATABASE_URL when set in the environment).",
    )
    sandbox.add_argument("--port", type=_port, help="HTTP port (default 3000)")
    sandbox.add_argument(
        "--host",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1; another lets anyone who can reach it "
        "act as anyone in the sandbox)",
    )
    seeding = sandbox.add_mutually_exclusive_group()
    seeding.add_argument(
        "--demo",
        action="store_true",
        help="seed a demo workspace through the bot (the default on an empty database)",
    )
    seeding.add_argument("--empty", action="store_true", help="start with nothing seeded")
    sandbox.set_defaults(handler=_sandbox)

    db = commands.add_parser("db", help="database schema", description="Database schema.")
    db_commands = db.add_subparsers(
        dest="db_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply pending migrations",
        description="Apply pending schema migrations (Alembic); safe to run again.",
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)

    export = commands.add_parser("export", help="export records", description="Export records.")
    export_commands = export.add_subparsers(
        dest="what", required=True, metavar="WHAT", parser_class=_Parser
    )
    debriefs = export_commands.add_parser(
        "debriefs",
        help="every recorded debrief",
        description="Every recorded debrief, one row each, as CSV (UTF-8, header row first).",
    )
    debriefs.add_argument("--format", choices=["csv"], default="csv", help="output format")
    debriefs.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output ('-'); a new FILE is readable by you only",
    )
    debriefs.add_argument(
        "--spreadsheet-safe",
        action="store_true",
        help="put a ' before a cell starting with = + - @ (or a tab or carriage return), so "
        "that a spreadsheet shows it as text instead of running it as a formula (default: "
        "every cell exactly as typed)",
    )
    debriefs.set_defaults(handler=cmd_export_debriefs)

    clock = commands.add_parser(
        "clock",
        help="run the scheduled jobs alone",
        description="Run the scheduler alone (the Procfile's clock process), for deployments "
        "that run `serve --no-scheduler` on several instances.",
    )
    clock.add_argument(
        "--no-worker",
        action="store_true",
        help="send nothing from this process: leave the outbox to `worker` processes",
    )
    clock.add_argument(
        "--as-of",
        type=parse_as_of,
        metavar="ISO-8601",
        help="a rehearsal: start the clock as if it read this time, and run on from there",
    )
    clock.set_defaults(handler=cmd_clock)

    worker = commands.add_parser(
        "worker",
        help="send what the outbox holds",
        description="Drain the delivery outbox: send each due message once, settle sends whose "
        "outcome is unknown from the conversation's history. Any number may run against "
        "PostgreSQL (each takes its own rows); on SQLite run one, or none beside `serve`.",
    )
    worker.add_argument(
        "--lanes", type=_lanes, default=4, help="workspaces sent to at once (default 4)"
    )
    worker.set_defaults(handler=cmd_worker)

    deliveries = commands.add_parser(
        "deliveries",
        help="what the outbox holds, and what needs an operator",
        description="Count the outbox's messages by kind and status, then list those that need "
        "an operator: sends whose outcome is still unknown because Slack would not show the "
        "conversation, and sends given up after repeated refusals (exit 1 when there are any).",
    )
    deliveries.add_argument(
        "--as-of", type=parse_as_of, metavar="ISO-8601", help="the time to judge by (default: now)"
    )
    deliveries.set_defaults(handler=cmd_deliveries)

    jobs = commands.add_parser("jobs", help="scheduled jobs", description="Scheduled jobs.")
    jobs_commands = jobs.add_subparsers(
        dest="jobs_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    from scheduling.clock import JOBS

    run = jobs_commands.add_parser(
        "run",
        help="run one job now",
        description="Run one scheduled job now, as if the clock read --as-of. Sends only what "
        "is due and not yet sent, so it is safe to run again.",
    )
    run.add_argument("job", metavar="JOB", choices=sorted(JOBS), help=", ".join(sorted(JOBS)))
    run.add_argument(
        "--as-of",
        type=parse_as_of,
        metavar="ISO-8601",
        help="the time the job believes it is (a date or date-time; no zone means UTC)",
    )
    run.add_argument(
        "--no-send",
        action="store_true",
        help="write what is due to the outbox and leave the sending to the workers running "
        "beside it (`serve` or `worker`); use it with an --as-of in the past while they run",
    )
    run.set_defaults(handler=cmd_jobs_run)
    listing = jobs_commands.add_parser(
        "list", help="each job and its next run", description="Each job and its next run time."
    )
    listing.set_defaults(handler=cmd_jobs_list)

    team = commands.add_parser("team", help="sales teams", description="Sales teams.")
    team_commands = team.add_subparsers(
        dest="team_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    team_set = team_commands.add_parser(
        "set",
        help="create or replace a team",
        description="Create or replace a team: its managers (who get the weekly digest), its "
        "reps, and its channel for coaching nudges.",
    )
    team_set.add_argument("name", metavar="NAME", type=_team_name)
    team_set.add_argument(
        "--manager",
        action="append",
        required=True,
        metavar="U...",
        type=_user_id,
        help="repeat for several",
    )
    team_set.add_argument(
        "--members",
        action="append",
        required=True,
        metavar="U1,U2,...",
        type=_user_ids,
        help="the team's reps",
    )
    team_set.add_argument(
        "--channel", metavar="C...", type=_channel_id, help="channel for coaching nudges"
    )
    team_set.add_argument(
        "--move", action="store_true", help="move reps who are in another team into this one"
    )
    team_set.add_argument(
        "--workspace", metavar="T...", type=_workspace_id, help="default: the bot token's workspace"
    )
    team_set.set_defaults(handler=cmd_team_set)
    team_list = team_commands.add_parser("list", help="print the teams", description="The teams.")
    team_list.add_argument(
        "--workspace", metavar="T...", type=_workspace_id, help="only this workspace"
    )
    team_list.set_defaults(handler=cmd_team_list)

    config = commands.add_parser(
        "settings",
        help="workspace settings",
        description="Per-workspace settings: stall thresholds, the digest's day and hour, "
        "working hours, the daily message cap, whether guests may use the bot, the "
        "qualification framework and the language.",
    )
    config_commands = config.add_subparsers(
        dest="settings_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    config_set = config_commands.add_parser(
        "set", help="change a setting", description="Change one workspace setting."
    )
    config_set.add_argument(
        "key", metavar="KEY", choices=SETTING_KEYS, help=", ".join(SETTING_KEYS)
    )
    config_set.add_argument("value", metavar="VALUE")
    config_set.add_argument(
        "--workspace", metavar="T...", type=_workspace_id, help="default: the bot token's workspace"
    )
    config_set.set_defaults(handler=cmd_settings_set)
    config_list = config_commands.add_parser(
        "list", help="print the settings", description="Every workspace setting."
    )
    config_list.add_argument(
        "--workspace", metavar="T...", type=_workspace_id, help="default: the bot token's workspace"
    )
    config_list.set_defaults(handler=cmd_settings_list)

    keys = commands.add_parser(
        "keys",
        help="the key that encrypts stored tokens",
        description="The Fernet keys of DEALCOACH_ENCRYPTION_KEY, which encrypt every stored "
        "Slack token (OAuth mode).",
    )
    keys_commands = keys.add_subparsers(
        dest="keys_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    generate = keys_commands.add_parser(
        "generate",
        help="print a new key",
        description="Print a new Fernet key (url-safe base64, the last line of output).",
    )
    generate.set_defaults(handler=cmd_keys_generate, needs_settings=False)
    rotate = keys_commands.add_parser(
        "rotate",
        help="re-encrypt every stored token under the first key",
        description="Re-encrypt every stored token under the first key of "
        "DEALCOACH_ENCRYPTION_KEY, in one transaction; the keys after it may be removed then.",
    )
    rotate.set_defaults(handler=cmd_keys_rotate)

    workspace = commands.add_parser(
        "workspace",
        help="a workspace's data as a whole",
        description="A workspace's data as a whole: export it, or delete it.",
    )
    workspace_commands = workspace.add_subparsers(
        dest="workspace_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    export_ws = workspace_commands.add_parser(
        "export",
        help="write all of a workspace's data",
        description="Write every row the workspace has (debriefs, deals, teams, outbox, "
        "settings, its people's cached zones...) as JSON lines, one row each, tokens excepted.",
    )
    export_ws.add_argument("team_id", metavar="T...", type=_workspace_id)
    export_ws.add_argument(
        "--output",
        metavar="FILE",
        help="write to FILE instead of standard output ('-'); a new FILE is readable by you only",
    )
    export_ws.set_defaults(handler=cmd_workspace_export)
    delete_ws = workspace_commands.add_parser(
        "delete",
        help="delete all of a workspace's data",
        description="Delete every row the workspace has (debriefs, deals, teams, outbox, "
        "settings, tokens) in one transaction, and print how many of each.",
    )
    delete_ws.add_argument("team_id", metavar="T...", type=_workspace_id)
    delete_ws.add_argument("--yes", action="store_true", help="yes, delete it for good")
    delete_ws.set_defaults(handler=cmd_workspace_delete)

    manifest = commands.add_parser(
        "manifest",
        help="print the Slack app manifest",
        description="Print the Slack app manifest (manifest.yml) to paste at "
        "api.slack.com/apps: for Socket Mode as it is, or with --request-url for HTTP mode "
        "(Socket Mode off, the URL set for the slash commands, interactivity and events).",
    )
    manifest.add_argument(
        "--request-url",
        type=_request_url,
        metavar="URL",
        help="where Slack reaches this app, like https://HOST/slack/events",
    )
    manifest.add_argument(
        "--oauth",
        action="store_true",
        help="also set the OAuth redirect URL (https://HOST/slack/oauth_redirect), to install "
        "into many workspaces",
    )
    manifest.set_defaults(handler=cmd_manifest)
    return parser


def _sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sandbox_run import cmd_sandbox

    return cmd_sandbox(args, settings)


def _lanes(raw: str) -> int:
    try:
        lanes = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {raw!r}") from None
    if not 1 <= lanes <= 32:
        raise argparse.ArgumentTypeError(f"lanes must be 1-32: {raw}")
    return lanes


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535: {raw}")
    return port


def _request_url(raw: str) -> str:
    from bot.manifest import check_request_url

    try:
        return check_request_url(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _slack_id(raw: str, prefixes: str, what: str, example: str) -> str:
    """Slack ids are a letter saying what they are, then upper-case letters and digits (an
    underscore is let through, for the made-up ids of tests and demos)."""
    value = raw.strip()
    rest = value[1:].replace("_", "")
    if (
        not (value[:1] in prefixes and len(rest) >= 2 and rest.isascii() and rest.isalnum())
        or rest.upper() != rest
    ):
        raise argparse.ArgumentTypeError(f"not a Slack {what} id: {raw!r} (like {example})")
    return value


def _user_id(raw: str) -> str:
    return _slack_id(raw, "UW", "user", "U0123ABCD")


def _user_ids(raw: str) -> list[str]:
    ids = [_user_id(part) for part in raw.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"no user ids in {raw!r} (like U0123ABCD,U0456EFGH)")
    return ids


def _channel_id(raw: str) -> str:
    return _slack_id(raw, "CG", "channel", "C0123ABCD")


def _workspace_id(raw: str) -> str:
    return _slack_id(raw, "TE", "workspace", "T0123ABCD")


def _team_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= 80:
        raise argparse.ArgumentTypeError("NAME must be 1 to 80 characters")
    return name


LONG_RUNNING = (
    "serve",
    "clock",
    "worker",
    "sandbox",
)  # processes whose logs are the operator's record


def _fail(message: str, code: int) -> int:
    print(f"dealcoach: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not getattr(args, "needs_settings", True):
        return int(args.handler(args))
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    from bot.logs import configure

    configure(settings.log_level, settings.secrets)
    for warning in settings.warnings:
        logging.getLogger("dealcoach").warning(warning)
    if args.command not in LONG_RUNNING:
        # A one-off command reports a failure to reach Slack in its one error line; the Web
        # API client's own log of each failed attempt would only repeat it.
        logging.getLogger("slack_sdk.web.base_client").setLevel(logging.CRITICAL)
    try:
        code: int = args.handler(args, settings)
    except SettingsError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except CommandError as exc:
        return _fail(str(exc), exc.code)
    except DatabaseError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return _fail(f"database error: {reason}", EXIT_FAILURE)
    except MigrationError as exc:
        return _fail(str(exc).splitlines()[0], EXIT_FAILURE)
    except SlackApiError as exc:
        return _fail(f"Slack answered {exc.response.get('error')!r}", EXIT_FAILURE)
    except URLError as exc:  # only the Slack Web API client speaks urllib here
        return _fail(f"cannot reach Slack at {settings.slack_api_url}: {exc.reason}", EXIT_FAILURE)
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130
    return code
