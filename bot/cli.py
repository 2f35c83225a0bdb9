"""The command line: `python -m bot` (or `dealcoach`) with the contract's subcommands.

Every failure an operator can cause (a missing token, a malformed argument, a database that
does not answer) ends as one line on standard error and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.settings import Settings, SettingsError, load_settings
from storage.db import Database, DatabaseError, DatabaseUnavailable

if TYPE_CHECKING:
    from handlers.deps import Deps

EXIT_CONFIG = 2  # bad arguments or settings (argparse uses 2 too)
EXIT_FAILURE = 1  # the database or Slack could not be reached

log = logging.getLogger("dealcoach")


class CommandError(Exception):
    """A one-line reason to stop, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def _database(settings: Settings, *, migrated: bool = False) -> Database:
    """The database, checked reachable; `migrated` also requires the schema to be there."""
    db = Database(settings.database_url)
    try:
        db.check()
    except DatabaseUnavailable as exc:
        raise CommandError(str(exc)) from None
    if migrated and not db.has_schema():
        raise CommandError("the database has no schema yet: run `python -m bot db upgrade` first")
    return db


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    db = _database(settings)
    upgrade(db)
    print("database schema is up to date", file=sys.stderr)
    return 0


def cmd_export_debriefs(args: argparse.Namespace, settings: Settings) -> int:
    from bot.export import write_csv
    from storage.debriefs import iter_export_rows

    db = _database(settings, migrated=True)
    if args.output is None:
        with db.session() as session:
            count = write_csv(iter_export_rows(session), sys.stdout)
        sys.stdout.flush()
    else:
        # Written beside the target and renamed at the end: a failure leaves no half file.
        target = Path(args.output)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", newline="", encoding="utf-8") as out, db.session() as session:
                count = write_csv(iter_export_rows(session), out)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(f"cannot write {args.output}: {exc.strerror}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    print(f"exported {count} debriefs", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import create_app
    from bot.http import SlackWsgi, serve_http
    from handlers.deps import Deps
    from storage.migrate import upgrade

    socket_mode = args.socket or (settings.slack_app_token is not None and not args.http)
    settings.require_bot_token()
    app_token = settings.require_app_token() if socket_mode else None
    secret = None if socket_mode else settings.require_signing_secret()
    db = _database(settings)
    upgrade(db)
    deps = Deps(db=db, default_zone=settings.zone)
    try:
        app = create_app(settings, deps, socket_mode=socket_mode)
    except BoltError as exc:
        raise CommandError(f"Slack refused the bot token: {exc}") from None
    if not args.no_scheduler:
        from bot.app import web_client
        from scheduling.clock import build_scheduler

        build_scheduler(deps, web_client(settings, patient=True), blocking=False).start()
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return 0
    assert secret is not None
    serve_http(SlackWsgi(app, db, secret), port=args.port or settings.port)
    return 0


def _deps(settings: Settings, db: Database, now: datetime | None = None) -> Deps:
    from handlers.deps import Deps

    if now is None:
        return Deps(db=db, default_zone=settings.zone)
    return Deps(db=db, default_zone=settings.zone, now=lambda: now)


def _workspace(args: argparse.Namespace, settings: Settings) -> str:
    """The Slack workspace id: --workspace, else the one the bot token belongs to."""
    if args.workspace:
        return str(args.workspace)
    if not settings.slack_bot_token:
        raise CommandError(
            "pass --workspace T... or set SLACK_BOT_TOKEN so the workspace can be looked up",
            EXIT_CONFIG,
        )
    from bot.app import web_client

    identity = web_client(settings, patient=False).auth_test()
    return str(identity["team_id"])


def cmd_team_set(args: argparse.Namespace, settings: Settings) -> int:
    from storage.teams import MembersElsewhere, set_team

    name = " ".join(args.name.split())
    if not name or len(name) > 80:
        raise CommandError("NAME must be 1 to 80 characters", EXIT_CONFIG)
    members = [m for chunk in args.members for m in chunk.split(",") if m.strip()]
    for user in [*args.manager, *members]:
        if not _looks_like_user(user.strip()):
            raise CommandError(f"not a Slack user id: {user!r} (they look like U0123ABCD)", 2)
    if args.channel and args.channel[:1] not in ("C", "G"):
        raise CommandError(f"not a Slack channel id: {args.channel!r} (like C0123ABCD)", 2)
    db = _database(settings, migrated=True)
    team_id = _workspace(args, settings)
    try:
        with db.session() as session:
            team = set_team(
                session, team_id, name, args.manager, members, args.channel, move=args.move
            )
    except MembersElsewhere as conflict:
        where = ", ".join(f"{user} (in {team})" for user, team in conflict.elsewhere.items())
        raise CommandError(
            f"already in another team: {where}; pass --move to move them", EXIT_CONFIG
        ) from None
    print(
        f"team {team.name!r}: {len(team.managers)} manager(s), {len(team.members)} rep(s), "
        f"channel {team.channel_id or 'none'}"
    )
    return 0


def _looks_like_user(user: str) -> bool:
    """Slack user ids are U or W and upper-case letters and digits (U0123ABCD)."""
    rest = user[1:].replace("_", "")
    return user[:1] in ("U", "W") and rest.isascii() and rest.isalnum() and rest.upper() == rest


def cmd_team_list(args: argparse.Namespace, settings: Settings) -> int:
    from storage.teams import list_teams

    db = _database(settings, migrated=True)
    with db.session() as session:
        teams = list_teams(session, args.workspace)
    if not teams:
        print(
            "no teams yet: create one with `python -m bot team set NAME --manager U... "
            "--members U1,U2`",
            file=sys.stderr,
        )
    for team in teams:
        print(
            f"{team.name}\tmanagers {','.join(team.managers) or '-'}\t"
            f"members {','.join(team.members) or '-'}\tchannel {team.channel_id or '-'}"
        )
    return 0


def cmd_settings_set(args: argparse.Namespace, settings: Settings) -> int:
    from coaching.schedule import DigestSchedule, daily_cap
    from coaching.stalls import StallThresholds
    from storage.workspace_settings import read_settings, write_setting

    db = _database(settings, migrated=True)
    team_id = _workspace(args, settings)
    with db.session() as session:
        values = read_settings(session, team_id)
        values[args.key] = args.value
        try:
            StallThresholds.from_mapping(values)
            DigestSchedule.from_mapping(values)
            daily_cap(values)
        except ValueError as error:
            raise CommandError(str(error), EXIT_CONFIG) from None
        write_setting(session, team_id, args.key, args.value.strip())
    print(f"{args.key} = {args.value.strip()}")
    return 0


def cmd_settings_list(args: argparse.Namespace, settings: Settings) -> int:
    from storage.workspace_settings import read_settings

    db = _database(settings, migrated=True)
    team_id = _workspace(args, settings)
    with db.session() as session:
        values = read_settings(session, team_id)
    for key in SETTING_KEYS:
        marker = "" if key in values else "  (default)"
        print(f"{key} = {values.get(key, SETTING_DEFAULTS[key])}{marker}")
    return 0


SETTING_DEFAULTS = {
    "min_debriefs": "2",
    "grace_days": "7",
    "quiet_days": "14",
    "overdue_days": "3",
    "digest_day": "mon",
    "digest_hour": "9",
    "work_start_hour": "9",
    "work_end_hour": "18",
    "daily_message_cap": "3",
}
SETTING_KEYS = tuple(SETTING_DEFAULTS)


def parse_as_of(raw: str) -> datetime:
    """ISO 8601 date or date-time; without a zone it is UTC."""
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or date-time: {raw!r} (e.g. 2026-12-07T09:30:00+01:00)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def cmd_jobs_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import web_client
    from scheduling.clock import JOBS

    settings.require_bot_token()
    as_of = args.as_of or datetime.now(UTC)
    db = _database(settings, migrated=True)
    report = JOBS[args.job].run(
        _deps(settings, db, as_of), web_client(settings, patient=True), as_of
    )
    print(f"{args.job} as of {as_of.isoformat()}: {report.summary()}")
    return 1 if report.outcomes.get("failed") else 0


def cmd_jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    from scheduling.clock import next_runs

    for name, description, next_run in next_runs(datetime.now(UTC)):
        when = next_run.isoformat() if next_run else "never"
        print(f"{name}\tnext run {when}\t{description}")
    return 0


def cmd_clock(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import web_client
    from scheduling.clock import build_scheduler

    settings.require_bot_token()
    db = _database(settings, migrated=True)
    scheduler = build_scheduler(
        _deps(settings, db), web_client(settings, patient=True), blocking=True
    )
    log.info("clock started")
    scheduler.start()
    return 0


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
        help="run no scheduled jobs in this process (leave them to a separate clock process)",
    )
    serve.set_defaults(handler=cmd_serve)

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
    debriefs.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    debriefs.set_defaults(handler=cmd_export_debriefs)

    clock = commands.add_parser(
        "clock",
        help="run the scheduled jobs alone",
        description="Run the scheduler alone (the Procfile's clock process), for deployments "
        "that run `serve --no-scheduler` on several instances.",
    )
    clock.set_defaults(handler=cmd_clock)

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
    team_set.add_argument("name", metavar="NAME")
    team_set.add_argument(
        "--manager", action="append", required=True, metavar="U...", help="repeat for several"
    )
    team_set.add_argument(
        "--members", action="append", required=True, metavar="U1,U2,...", help="the team's reps"
    )
    team_set.add_argument("--channel", metavar="C...", help="channel for coaching nudges")
    team_set.add_argument(
        "--move", action="store_true", help="move reps who are in another team into this one"
    )
    team_set.add_argument("--workspace", metavar="T...", help="default: the bot token's workspace")
    team_set.set_defaults(handler=cmd_team_set)
    team_list = team_commands.add_parser("list", help="print the teams", description="The teams.")
    team_list.add_argument("--workspace", metavar="T...", help="only this workspace")
    team_list.set_defaults(handler=cmd_team_list)

    config = commands.add_parser(
        "settings",
        help="workspace settings",
        description="Per-workspace settings: stall thresholds and the digest's day and hour.",
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
        "--workspace", metavar="T...", help="default: the bot token's workspace"
    )
    config_set.set_defaults(handler=cmd_settings_set)
    config_list = config_commands.add_parser(
        "list", help="print the settings", description="Every workspace setting."
    )
    config_list.add_argument(
        "--workspace", metavar="T...", help="default: the bot token's workspace"
    )
    config_list.set_defaults(handler=cmd_settings_list)
    return parser


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535: {raw}")
    return port


def _fail(message: str, code: int) -> int:
    print(f"dealcoach: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    from bot.logs import configure

    configure(settings.log_level, settings.secrets)
    try:
        code: int = args.handler(args, settings)
    except SettingsError as exc:
        return _fail(str(exc), EXIT_CONFIG)
    except CommandError as exc:
        return _fail(str(exc), exc.code)
    except DatabaseError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return _fail(f"database error: {reason}", EXIT_FAILURE)
    except SlackApiError as exc:
        return _fail(f"Slack answered {exc.response.get('error')!r}", EXIT_FAILURE)
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return 130
    return code
