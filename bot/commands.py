"""What each command of the CLI does, once its arguments are parsed (bot/cli.py parses them).

Every failure an operator can cause ends as a CommandError (one line, an exit code) or a
SettingsError, which the CLI prints without a traceback.
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from slack_bolt.error import BoltError

from bot.settings import Settings, SettingsError
from storage.db import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from handlers.clients import Clients
    from handlers.deps import Deps

EXIT_CONFIG = 2  # bad arguments or settings (argparse uses 2 too)
EXIT_FAILURE = 1  # the database or Slack could not be reached

log = logging.getLogger("dealcoach")


class CommandError(Exception):
    """A one-line reason to stop, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.code = code


def _database(settings: Settings, *, migrated: bool = False, writable: bool = False) -> Database:
    """The database, checked reachable; `migrated` also requires the schema to be there, and
    `writable` a SQLite file (and its folder) that this process can write."""
    if writable:
        problem = _sqlite_write_problem(settings.database_url)
        if problem is not None:
            raise CommandError(problem)
    if migrated:
        missing = _missing_sqlite_file(settings.database_url)
        if missing is not None:  # connecting would create an empty file
            raise CommandError(
                f"there is no database file {missing}: run `python -m bot db upgrade` to create "
                "it, or set DATABASE_URL to the one you use"
            )
    db = Database(settings.database_url)
    try:
        db.check()
    except DatabaseUnavailable as exc:
        raise CommandError(str(exc)) from None
    if migrated and not db.has_schema():
        raise CommandError("the database has no schema yet: run `python -m bot db upgrade` first")
    return db


def _sqlite_write_problem(url: str) -> str | None:
    """Why this process could not write the SQLite database at `url`, in one line, else None.

    Asked by trying, not by permission bits (os.access says yes to root, and knows nothing of
    read-only mounts): the file is opened for writing without being changed, and a scratch
    file is made and removed in its folder, where SQLite keeps its -wal and -shm files.
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # a URI filename (?mode=ro and the like): SQLite decides
        return None
    path = Path(name)
    folder = path.parent
    if path.is_dir():
        return f"the database file {path} is a folder: set DATABASE_URL to a file in it"
    if not folder.exists():
        return f"cannot create the database file {path}: the folder {folder} does not exist"
    if not folder.is_dir():
        return f"cannot create the database file {path}: {folder} is not a folder"
    try:
        if path.exists():
            with path.open("r+b"):
                pass
    except OSError as exc:
        return f"cannot write the database file {path}: {_lower(exc)}"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return (
            f"cannot write in the database file's folder {folder} (SQLite keeps its journal "
            f"beside {path.name}): {_lower(exc)}"
        )
    return None


def _lower(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    return reason[:1].lower() + reason[1:]


def _missing_sqlite_file(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return None if Path(parsed.database).exists() else parsed.database


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import upgrade

    db = _database(settings, writable=True)
    applied = upgrade(db)
    if not applied:
        print("database schema already up to date", file=sys.stderr)
        return 0
    names = ", ".join(f"{a.revision} ({a.message})" if a.message else a.revision for a in applied)
    plural = "" if len(applied) == 1 else "s"
    print(f"applied {len(applied)} migration{plural}: {names}", file=sys.stderr)
    return 0


def cmd_export_debriefs(args: argparse.Namespace, settings: Settings) -> int:
    db = _database(settings, migrated=True)
    if args.output in (None, "-"):
        # UTF-8 whatever the terminal's encoding, as the help says; the stream stays open.
        sys.stdout.flush()
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            count = _write_rows(db, out, args.spreadsheet_safe)
            out.flush()
        finally:
            out.detach()
    else:
        from bot.export import ExportTargetError, write_to_file

        try:
            count = write_to_file(
                args.output, lambda out: _write_rows(db, out, args.spreadsheet_safe)
            )
        except ExportTargetError as exc:
            raise CommandError(str(exc), EXIT_CONFIG if exc.bad_name else EXIT_FAILURE) from None
    print(f"exported {count} debriefs", file=sys.stderr)
    return 0


def _write_rows(db: Database, out: TextIO, for_spreadsheets: bool) -> int:
    from bot.export import criterion_columns, write_csv
    from storage.debriefs import answered_criteria, iter_export_rows
    from storage.workspace_settings import values_of

    with db.session() as session:
        chosen = sorted(set(values_of(session, "framework").values()))
        criteria = criterion_columns(chosen, answered_criteria(session))
        return write_csv(
            iter_export_rows(session), out, criteria, for_spreadsheets=for_spreadsheets
        )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import create_app
    from bot.http import SlackWsgi
    from bot.server import BoundHttp
    from storage.migrate import upgrade

    socket_mode = args.socket or (settings.slack_app_token is not None and not args.http)
    settings.require_slack_credentials()
    if socket_mode and settings.oauth:
        raise CommandError(
            "installing through OAuth (SLACK_CLIENT_ID) needs HTTP mode, where Slack sends "
            "browsers to /slack/install and /slack/oauth_redirect: unset SLACK_APP_TOKEN or "
            "pass --http",
            EXIT_CONFIG,
        )
    app_token = settings.require_app_token() if socket_mode else None
    secret = None if socket_mode else settings.require_signing_secret()
    bound = None
    if not socket_mode:
        # The port first, so that "in use" is the only thing said, before any slow start-up.
        port = args.port or settings.port
        try:
            bound = BoundHttp(port)
        except OSError as exc:  # most often: another process has the port
            raise CommandError(f"cannot serve HTTP on port {port}: {exc.strerror or exc}") from None
    try:
        db = _database(settings, writable=True)
        applied = upgrade(db)
        if applied:
            log.info("applied migrations", extra={"revisions": [a.revision for a in applied]})
        check_keys(settings, db)
        deps = _deps(settings, db)
        try:
            app = create_app(settings, deps, socket_mode=socket_mode)
        except BoltError as exc:
            raise CommandError(f"Slack refused the bot token: {exc}") from None
        if not args.no_scheduler:
            from bot.app import clients_for

            start_background_work(deps, clients_for(settings, db))
    except BaseException:
        if bound is not None:
            bound.close()  # give the port back
        raise
    if bound is None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("connecting to Slack in Socket Mode")
        SocketModeHandler(app, app_token).start()  # type: ignore[no-untyped-call]
        return 0
    assert secret is not None
    try:
        bound.run(SlackWsgi(app, db, secret))
    finally:  # stopped (Ctrl-C): what was sent is recorded, rather than settled later
        from handlers.outbox import flush_marks

        flush_marks(db)
    return 0


def start_background_work(
    deps: Deps, clients: Clients, *, worker: bool = True
) -> Callable[[], None]:
    """The scheduler and an outbox worker in this process (`serve` alone, the sandbox), both
    serving every workspace `clients` knows (bot.app.clients_for); returns what stops them."""
    import threading

    from scheduling.clock import build_scheduler
    from scheduling.worker import Worker

    stop = threading.Event()
    wake = None
    if worker:
        drainer = Worker(deps, clients)
        drainer.start(stop)
        wake = drainer.wake.set
    scheduler = build_scheduler(deps, clients, blocking=False, wake=wake)
    scheduler.start()

    def halt() -> None:
        scheduler.shutdown(wait=False)
        stop.set()

    return halt


def _deps(settings: Settings, db: Database, now: datetime | None = None) -> Deps:
    from handlers.deps import Deps

    retention = settings.data_retention_days
    if now is None:
        return Deps(db=db, default_zone=settings.zone, data_retention_days=retention)
    return Deps(db=db, default_zone=settings.zone, now=lambda: now, data_retention_days=retention)


def check_keys(settings: Settings, db: Database) -> None:
    """With OAuth, at start: every stored token must open with DEALCOACH_ENCRYPTION_KEY, or the
    process stops with one line (never a traceback, never a token used in clear)."""
    if not settings.oauth:
        return
    from storage.encryption import TokenCipher
    from storage.installations import unreadable_tokens

    cipher = TokenCipher(settings.require_encryption_keys())
    with db.session() as session:
        unreadable = unreadable_tokens(session, cipher)
    if unreadable:
        raise SettingsError(
            f"DEALCOACH_ENCRYPTION_KEY cannot decrypt {unreadable} stored token(s): set it to "
            "the key they were encrypted with (a new key goes first, the old one after it, "
            "comma-separated, until `python -m bot keys rotate` has run)"
        )


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

    # NAME and the ids were checked as the arguments were parsed (bot/cli.py).
    name: str = args.name
    members = [user for chunk in args.members for user in chunk]
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


def _setting_value(key: str, value: str) -> str:
    """The value to store: a framework file's path made absolute (every process, whatever its
    working directory, finds the same file); any other value as given, stripped."""
    value = value.strip()
    if key == "framework":
        from coaching.frameworks import is_shipped

        if not is_shipped(value) and Path(value).suffix.lower() in (".yaml", ".yml", ".json"):
            value = str(Path(value).expanduser().resolve())
        if len(value) > MAX_SETTING_VALUE:
            raise CommandError(
                f"framework: the path is {len(value)} characters, the most that can be stored "
                f"is {MAX_SETTING_VALUE}: move the file somewhere shorter",
                EXIT_CONFIG,
            )
    return value


def cmd_settings_set(args: argparse.Namespace, settings: Settings) -> int:
    from coaching.access import guests_allowed
    from coaching.frameworks import framework_setting
    from coaching.i18n import language_setting
    from coaching.schedule import DigestSchedule, daily_cap, workspace_zone
    from coaching.stalls import StallThresholds
    from storage.workspace_settings import read_settings, write_setting

    value = _setting_value(args.key, args.value)
    db = _database(settings, migrated=True)
    team_id = _workspace(args, settings)
    with db.session() as session:
        values = read_settings(session, team_id)
        values[args.key] = value
        try:
            StallThresholds.from_mapping(values)
            DigestSchedule.from_mapping(values)
            daily_cap(values)
            guests_allowed(values)
            workspace_zone(values, settings.zone)
            if args.key == "framework":  # only the one being set: an old one may have moved
                framework_setting(values)
            language_setting(values)
        except ValueError as error:
            raise CommandError(str(error), EXIT_CONFIG) from None
        write_setting(session, team_id, args.key, value)
    print(f"{args.key} = {value}")
    return 0


def cmd_settings_list(args: argparse.Namespace, settings: Settings) -> int:
    from storage.workspace_settings import read_settings

    db = _database(settings, migrated=True)
    team_id = _workspace(args, settings)
    with db.session() as session:
        values = read_settings(session, team_id)
    for key in SETTING_KEYS:
        marker = "" if key in values else "  (default)"
        default = settings.timezone if key == "timezone" else SETTING_DEFAULTS[key]
        print(f"{key} = {values.get(key, default)}{marker}")
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
    "allow_guests": "no",
    "timezone": "",  # the workspace's zone; the default is TIMEZONE
    "framework": "default",
    "language": "en",
}
SETTING_KEYS = tuple(SETTING_DEFAULTS)
MAX_SETTING_VALUE = 200  # workspace_settings.value


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
    from bot.app import clients_for
    from scheduling.clock import JOBS, run_and_send

    settings.require_slack_credentials()
    as_of = args.as_of or datetime.now(UTC)
    db = _database(settings, migrated=True)
    check_keys(settings, db)
    deps, clients = _deps(settings, db, as_of), clients_for(settings, db)
    if args.no_send:
        report = JOBS[args.job].run(deps, clients, as_of)
    else:
        report = run_and_send(JOBS[args.job], deps, clients, as_of)
    print(f"{args.job} as of {as_of.isoformat()}: {report.summary()}")
    if args.no_send and report.outcomes.get("queued"):
        print("  queued: written to the outbox, for the workers beside this process to send")
    for outcome, meaning in OUTCOME_MEANINGS.items():
        if report.outcomes.get(outcome):
            print(f"  {outcome}: {meaning}")
    return 1 if report.outcomes.get("failed") or report.outcomes.get("workspace_failed") else 0


OUTCOME_MEANINGS = {
    "skipped": "sent before, or being sent by another process",
    "failed": "Slack refused them or could not be reached; a later run tries again",
    "unknown": "the request went out and no answer came back; a worker looks for it in the "
    "conversation after 2 minutes and sends it only if it is not there (`python -m bot "
    "deliveries` shows what is unsettled)",
    "deferred": "held back by a rate limit; a worker sends them shortly",
    "not_installed": "workspaces (or their waiting messages) with data but no installation "
    "(uninstalled, or never installed): nothing is sent there",
    "workspace_failed": "workspaces whose run stopped on an error (see the log); the others ran",
}


def cmd_jobs_list(args: argparse.Namespace, settings: Settings) -> int:
    from scheduling.clock import next_runs

    for name, description, next_run in next_runs(datetime.now(UTC)):
        when = next_run.isoformat() if next_run else "never"
        print(f"{name}\tnext run {when}\t{description}")
    return 0


def cmd_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.manifest import ManifestError, dump, http_manifest, manifest_text

    try:
        text = manifest_text()
        if args.request_url:
            text = dump(http_manifest(text, args.request_url, oauth=args.oauth))
        elif args.oauth:
            raise CommandError("--oauth needs --request-url (OAuth installs need HTTP mode)", 2)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None
    sys.stdout.write(text)
    return 0


def _running_clock(settings: Settings, db: Database, as_of: datetime | None) -> Deps:
    """Deps on the real clock, or on one that started at `as_of` and runs on from there."""
    from handlers.deps import Deps

    if as_of is None:
        return _deps(settings, db)
    import time

    started, base = time.monotonic(), as_of

    def now() -> datetime:
        from datetime import timedelta

        return base + timedelta(seconds=time.monotonic() - started)

    return Deps(
        db=db,
        default_zone=settings.zone,
        now=now,
        data_retention_days=settings.data_retention_days,
    )


def cmd_clock(args: argparse.Namespace, settings: Settings) -> int:
    import threading

    from bot.app import clients_for
    from scheduling.clock import build_scheduler
    from scheduling.worker import Worker

    settings.require_slack_credentials()
    db = _database(settings, migrated=True)
    check_keys(settings, db)
    deps = _running_clock(settings, db, args.as_of)
    clients = clients_for(settings, db)
    wake = None
    if not args.no_worker:
        worker = Worker(deps, clients)
        worker.start(threading.Event())
        wake = worker.wake.set
    scheduler = build_scheduler(deps, clients, blocking=True, wake=wake)
    log.info("clock started", extra={"worker": not args.no_worker, "as_of": str(args.as_of)})
    scheduler.start()
    return 0


def cmd_keys_generate(args: argparse.Namespace) -> int:
    """Needs no settings, so that it works while DEALCOACH_ENCRYPTION_KEY is still wrong."""
    from storage.encryption import generate_key

    print(
        "a new key for DEALCOACH_ENCRYPTION_KEY (to replace a key, put the new one first and "
        "the old one after it, comma-separated, then run `python -m bot keys rotate`):",
        file=sys.stderr,
    )
    print(generate_key())
    return 0


def cmd_keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from storage.encryption import TokenCipher, UnreadableToken
    from storage.installations import reseal_all

    keys = settings.require_encryption_keys()
    db = _database(settings, migrated=True)
    started = time.perf_counter()
    try:
        with db.session() as session:
            seen, changed = reseal_all(session, TokenCipher(keys))
    except UnreadableToken:
        raise CommandError(
            "DEALCOACH_ENCRYPTION_KEY cannot decrypt a stored token, so nothing was changed: "
            "keep the key the tokens were encrypted with in the list, after the new one",
            EXIT_CONFIG,
        ) from None
    took = time.perf_counter() - started
    print(
        f"re-encrypted {changed} of {seen} stored tokens under the first key in {took:.2f}s"
        + ("; the other keys can now be removed" if len(keys) > 1 else "")
    )
    return 0


def cmd_workspace_export(args: argparse.Namespace, settings: Settings) -> int:
    import json
    from collections import Counter

    from storage.workspaces import export_workspace

    db = _database(settings, migrated=True)
    counts: Counter[str] = Counter()

    def write(out: TextIO) -> int:
        header = {
            "format": "dealcoach-workspace-export/1",
            "workspace": args.team_id,
            "exported_at": datetime.now(UTC).isoformat(),
        }
        out.write(json.dumps(header) + "\n")
        with db.session() as session:
            for table, row in export_workspace(session, args.team_id):
                out.write(json.dumps({"table": table, "row": row}, ensure_ascii=False) + "\n")
                counts[table] += 1
        return sum(counts.values())

    if args.output in (None, "-"):
        sys.stdout.flush()
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            total = write(out)
            out.flush()
        finally:
            out.detach()
    else:
        from bot.export import ExportTargetError, write_to_file

        try:
            total = write_to_file(args.output, write)
        except ExportTargetError as exc:
            raise CommandError(str(exc), EXIT_CONFIG if exc.bad_name else EXIT_FAILURE) from None
    print(f"exported {total} rows of workspace {args.team_id}{_counted(counts)}", file=sys.stderr)
    return 0


def _counted(counts: dict[str, int]) -> str:
    if not counts:
        return ""
    return ": " + ", ".join(f"{table} {count}" for table, count in sorted(counts.items()))


def cmd_workspace_delete(args: argparse.Namespace, settings: Settings) -> int:
    from storage.workspaces import delete_workspace

    if not args.yes:
        raise CommandError(
            f"this deletes every debrief, deal, team, outbox row, setting and token of "
            f"workspace {args.team_id}, for good: run `python -m bot workspace export "
            f"{args.team_id} --output FILE` first if they may be needed, then add --yes",
            EXIT_CONFIG,
        )
    db = _database(settings, migrated=True)
    with db.session() as session:  # one transaction: all of it or nothing
        counts = delete_workspace(session, args.team_id)
    total = sum(counts.values())
    if not total:
        print(f"workspace {args.team_id} has no data here; nothing was deleted")
        return 0
    print(f"deleted {total} rows of workspace {args.team_id}{_counted(counts)}")
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import signal
    import threading

    from bot.app import clients_for
    from scheduling.worker import Worker

    settings.require_slack_credentials()
    db = _database(settings, migrated=True)
    check_keys(settings, db)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker = Worker(_deps(settings, db), clients_for(settings, db), lanes=args.lanes)
    log.info("worker started", extra={"lanes": args.lanes})
    try:
        worker.run(stop)
    finally:
        worker.close()
    return 0


def cmd_deliveries(args: argparse.Namespace, settings: Settings) -> int:
    from handlers.outbox import GRACE
    from storage.outbox import delivery_counts, unsettled

    db = _database(settings, migrated=True)
    now = args.as_of or datetime.now(UTC)
    with db.session() as session:
        counts = delivery_counts(session)
        stuck = unsettled(session, now=now, grace=GRACE)
    statuses = ("pending", "sending", "sent", "failed")
    print("kind\t" + "\t".join(statuses))
    for kind in sorted({kind for kind, _ in counts}):
        print(kind + "\t" + "\t".join(str(counts.get((kind, st), 0)) for st in statuses))
    if not stuck:
        print("nothing unsettled", file=sys.stderr)
        return 0
    print(f"{len(stuck)} need an operator's eye:", file=sys.stderr)
    for item in stuck:
        why = (
            "outcome unknown, not yet settled from the conversation"
            if item.status == "sending"
            else f"given up after {item.attempts} attempts"
        )
        print(f"  {item.key}\t{why}\t{item.last_error or ''}", file=sys.stderr)
    return 1
