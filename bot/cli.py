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
from pathlib import Path
from typing import NoReturn

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.settings import Settings, SettingsError, load_settings
from storage.db import Database, DatabaseError, DatabaseUnavailable

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
    if socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return 0
    assert secret is not None
    serve_http(SlackWsgi(app, db, secret), port=args.port or settings.port)
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
