"""`/debrief`, the "Log as debrief" shortcut, the "Correct it" button, the deal picker and the
modal's submission.

The modal opens first (a trigger_id dies 3 seconds after the click); the submission is saved
before it is acknowledged, so a rep who sees the modal close knows the debrief is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from coaching.debrief import (
    MAX_DEAL_NAME,
    MAX_LONG_TEXT,
    MAX_NEXT_STEP,
    DebriefInput,
    FieldError,
    validate,
)
from coaching.debrief_message import (
    DebriefParseError,
    is_debrief_message,
    parse_debrief_message,
    slack_text_as_typed,
)
from coaching.frameworks import Framework
from coaching.gaps import gaps_of
from coaching.i18n import in_language
from handlers.access import answer_members, known_verdict, may_use, tell_not_available
from handlers.audience import (
    Workspace,
    fetch_language,
    language_for,
    read_workspace,
)
from handlers.deps import Deps
from handlers.home_tab import refresh_home
from handlers.modal_form import read_form
from handlers.outbox import deliver, message_payload, send_claimed
from handlers.payloads import action_id_value, metadata_id, refuse, view_metadata
from handlers.timezones import cached_locale, cached_zone, fetch_profile
from handlers.views.access import not_available_modal
from handlers.views.coaching import (
    coaching_request,
    no_manager_for_coaching,
    pause_usage,
    paused,
    resumed,
)
from handlers.views.debrief_messages import (
    EDIT_ACTION,
    Rendered,
    command_help,
    confirmation,
    field_error_text,
    recorded_blocks,
)
from handlers.views.debrief_modal import CALLBACK_ID, ModalPrefill, deal_options, debrief_modal
from handlers.views.text import clip
from storage.coaching import request_session, set_pause
from storage.db import DatabaseError
from storage.debriefs import (
    Delivery,
    Recorded,
    answers_of_debriefs,
    get_deal_name_of_rep,
    get_rep_debrief,
    latest_answers,
    record_debrief,
    search_rep_open_deals,
    update_debrief,
)
from storage.outbox import OutboxRow, take_now
from storage.teams import managers_of_rep

log = logging.getLogger(__name__)

SHORTCUT_CALLBACK_ID = "log_as_debrief"
# The modal's metadata when the Home tab's button opened it: that tab stays on screen behind
# the modal, so saving refreshes it.
FROM_HOME: dict[str, Any] = {"origin": "home"}
# When a rep's zone is not known yet, "today" is today somewhere on Earth (UTC+14), so that a
# call made this morning in Auckland is never refused as a future date.
EARLIEST_ZONE = ZoneInfo("Etc/GMT-14")


class _Refused(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors)
        self.errors = errors


def _today(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date()


def open_modal(
    client: WebClient,
    deps: Deps,
    trigger_id: str,
    team_id: str,
    user_id: str,
    prefill: ModalPrefill,
    metadata: dict[str, Any] | None = None,
    respond: Respond | None = None,
) -> None:
    """Open the modal for the workspace's own people (someone the caches know to be anyone
    else is told so through `respond`), at once, with the workspace framework's questions, in
    the rep's language as far as it is cached, since its trigger dies in 3 seconds. Then
    someone not known yet is looked up, and their modal replaced by "not available" if need
    be; and if the rep's zone or locale was not cached, the default call date is fixed should
    the rep's today differ from the workspace's, and the language should theirs differ."""
    known = known_verdict(deps, team_id, user_id)
    if known is False:
        tell_not_available(respond)
        return
    workspace = read_workspace(deps, team_id)
    zone, locale = cached_zone(deps, team_id, user_id), cached_locale(deps, team_id, user_id)
    today = _today(deps.now(), zone or deps.default_zone)
    language = language_for(locale, workspace.language)
    meta = dict(metadata or {})

    def view_for(day: date, speaking: str) -> dict[str, Any]:
        return in_language(speaking, debrief_modal, prefill, day, meta, workspace.framework)

    response = client.views_open(trigger_id=trigger_id, view=view_for(today, language))
    view = response.get("view") or {}
    if known is None and not may_use(deps, client, team_id, user_id):
        if view.get("id"):
            client.views_update(view_id=view["id"], view=not_available_modal())
        return
    if locale is not None and (zone is not None or prefill.call_date is not None):
        return
    rep_zone, rep_locale = fetch_profile(deps, client, team_id, user_id)
    rep_today = today if prefill.call_date is not None else _today(deps.now(), rep_zone)
    rep_language = language_for(rep_locale, workspace.language)
    if (rep_today, rep_language) != (today, language) and view.get("id"):
        try:
            client.views_update(
                view_id=view["id"], hash=view.get("hash"), view=view_for(rep_today, rep_language)
            )
        except SlackApiError as exc:  # the rep already typed: their edits win
            log.info("modal not adjusted: %s", exc.response.get("error"))


def prefill_from_command(text: str) -> ModalPrefill:
    """`/debrief Acme Corp` names the deal. Text too long to be a deal's name is kept in the
    notes instead, whole, rather than cut into a deal nobody meant."""
    name = " ".join(text.split())
    if len(name) <= MAX_DEAL_NAME:
        return ModalPrefill(deal=name or None)
    return ModalPrefill(notes=clip(text.strip(), MAX_LONG_TEXT))


def prefill_from_message(text: str, framework: Framework | None = None) -> ModalPrefill:
    """A message that is a post-call debrief fills every field; any other fills the notes."""
    if is_debrief_message(text):
        try:
            parsed = parse_debrief_message(text, framework)
        except DebriefParseError:
            pass
        else:
            return ModalPrefill(
                deal=parsed.deal,
                call_date=parsed.call_date,
                timeline_qualified=parsed.timeline_qualified,
                authority_reached=parsed.authority_reached,
                next_step=clip(parsed.next_step, MAX_NEXT_STEP) if parsed.next_step else None,
                next_step_date=parsed.next_step_date,
                went_well=clip(parsed.went_well, MAX_LONG_TEXT) if parsed.went_well else None,
                improve=clip(parsed.improve, MAX_LONG_TEXT) if parsed.improve else None,
                notes=clip(parsed.notes, MAX_LONG_TEXT) if parsed.notes else None,
                criteria=parsed.criteria,
            )
    notes = slack_text_as_typed(text).strip()
    return ModalPrefill(notes=clip(notes, MAX_LONG_TEXT) if notes else None)


@dataclass(frozen=True)
class _Saved:
    recorded: Recorded
    gaps: list[str]
    entry: DebriefInput
    coaching_session: int | None  # a coaching request, when the rep ticked the box
    managers: list[str]
    workspace: Workspace
    outgoing: OutboxRow | None  # the confirmation, claimed; None when it was before


def _delivery(view: dict[str, Any], meta: dict[str, Any]) -> Delivery:
    """A modal opened on a message (the shortcut) is keyed by that message, as a post-call
    message is, so the message records one debrief however it is logged; any other by view."""
    message = meta.get("message")
    if isinstance(message, dict):
        channel, ts = message.get("channel"), message.get("ts")
        if isinstance(channel, str) and isinstance(ts, str) and channel and ts:
            return Delivery(
                source="modal", key=f"message:{channel}:{ts}", channel_id=channel, message_ts=ts
            )
    return Delivery(source="modal", key=f"view:{view.get('id')}")


def _save(
    deps: Deps, team_id: str, user_id: str, view: dict[str, Any], today: date, now: datetime
) -> _Saved:
    """Validate and store in one transaction, reading the answers to the workspace framework's
    questions, with the confirmation's outbox row (claimed in the same commit: one commit less
    before the next request's, and a confirmation that can never be lost once the debrief is
    stored; rendered now, in the submitter's language, which the request speaks); raises
    _Refused with what to show on which block."""
    meta = view_metadata(view)
    debrief_id = metadata_id(view, "debrief_id")
    workspace = read_workspace(deps, team_id)
    framework = workspace.framework
    with deps.db.session() as session:
        form = read_form(view.get("state", {}).get("values", {}), today, framework)
        if form.errors:
            raise _Refused(form.errors)
        entry = form.entry
        if form.choice.deal_id is not None:
            name = get_deal_name_of_rep(session, team_id, user_id, form.choice.deal_id)
            if name is None:
                raise _Refused([FieldError("deal", "unknown_deal")])
            entry = replace(entry, deal=name)
        errors = validate(entry, today)
        if errors:
            raise _Refused(errors)
        if debrief_id is not None:
            recorded = update_debrief(
                session, team_id, user_id, debrief_id, entry, asked=framework.keys
            )
            if recorded is None:
                raise _Refused([FieldError("deal", "not_yours")])
        else:
            delivery = _delivery(view, meta)
            recorded = record_debrief(session, team_id, user_id, entry, delivery)
            if not recorded.created and delivery.message_ts is not None:
                raise _Refused([FieldError("deal", "message_recorded")])
        answers = recorded.answers or latest_answers(session, team_id, recorded.deal_id)
        coaching_session, managers = None, []
        if entry.coaching_requested:
            coaching_session = request_session(
                session, team_id, recorded.debrief_id, recorded.deal_id, user_id
            )
            managers = managers_of_rep(session, team_id, user_id)
        gaps = gaps_of(answers, framework) if answers is not None else []
        message = confirmation(
            entry,
            recorded.deal_name,
            gaps,
            corrected=debrief_id is not None,
            framework=framework,
        )
        # Keyed by the submitted view: the same submission delivered again (its first answer
        # lost, or its process dead after saving) is confirmed once all the same.
        outgoing = take_now(
            session,
            key=f"debrief-confirmation:{team_id}:{view.get('id')}",
            team_id=team_id,
            kind="debrief-confirmation",
            recipient=user_id,
            channel=user_id,
            payload=message_payload(message),
            now=now,
        )
    return _Saved(recorded, gaps, entry, coaching_session, managers, workspace, outgoing)


def request_coaching(deps: Deps, client: WebClient, team_id: str, rep: str, saved: _Saved) -> None:
    """Send the debrief to the rep's managers with a button to schedule a session, once per
    request and manager, each in their own language."""
    assert saved.coaching_session is not None
    if not saved.managers:
        deliver(
            deps.db,
            client,
            key=f"coaching-no-manager:{team_id}:{saved.coaching_session}",
            team_id=team_id,
            kind="coaching-no-manager",
            recipient=rep,
            channel=rep,
            render=lambda: Rendered(text=no_manager_for_coaching(), blocks=[]),
            now=deps.now(),
        )
        return
    deal, framework = saved.recorded.deal_name, saved.workspace.framework

    def request_for(manager: str) -> Rendered:
        summary = recorded_blocks(saved.entry, deal, framework)
        assert saved.coaching_session is not None
        return coaching_request(rep, deal, saved.coaching_session, summary)

    for manager in saved.managers:
        language = fetch_language(deps, client, team_id, manager, saved.workspace)
        deliver(
            deps.db,
            client,
            key=f"coaching-request:{team_id}:{saved.coaching_session}:{manager}",
            team_id=team_id,
            kind="coaching-request",
            recipient=manager,
            channel=manager,
            render=partial(in_language, language, request_for, manager),
            now=deps.now(),
        )


def _pause_command(deps: Deps, team_id: str, user_id: str, text: str) -> str:
    """`pause until YYYY-MM-DD` or `resume`: the answer to show the rep."""
    words = text.split()
    if words and words[0].lower() == "resume":
        with deps.db.session() as session:
            set_pause(session, team_id, user_id, None)
        return resumed()
    today = deps.now().astimezone(deps.default_zone).date()
    if len(words) == 3 and words[1].lower() == "until":
        try:
            until = date.fromisoformat(words[2])
        except ValueError:
            return pause_usage()
        if today <= until <= today + timedelta(days=366):
            with deps.db.session() as session:
                set_pause(session, team_id, user_id, until)
            return paused(until)
    return pause_usage()


def register(app: App, deps: Deps) -> None:
    @app.command("/debrief")
    def debrief_command(
        ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        text = slack_text_as_typed(command.get("text") or "").strip()
        team_id, user_id = command["team_id"], command["user_id"]
        if text.lower() in ("help", "?"):  # how to use the command, as its usage hint says
            ack(text=command_help(read_workspace(deps, team_id).framework))
            return
        words = text.lower().split()
        if words == ["resume"] or (words[:1] == ["pause"] and words[1:2] in ([], ["until"])):
            answer_members(
                deps,
                client,
                ack,
                respond,
                team_id,
                user_id,
                lambda: _pause_command(deps, team_id, user_id, text),
            )
            return
        ack()
        open_modal(
            client,
            deps,
            command["trigger_id"],
            team_id,
            user_id,
            prefill_from_command(text),
            respond=respond,
        )

    @app.shortcut(SHORTCUT_CALLBACK_ID)
    def log_as_debrief(
        ack: Ack, shortcut: dict[str, Any], client: WebClient, respond: Respond | None
    ) -> None:
        ack()
        message = shortcut.get("message") or {}
        framework = read_workspace(deps, shortcut["team"]["id"]).framework
        prefill = prefill_from_message(str(message.get("text") or ""), framework)
        channel = (shortcut.get("channel") or {}).get("id")
        ts = shortcut.get("message_ts") or message.get("ts")
        # One message records at most one debrief, whichever way: the modal carries which.
        meta = {"message": {"channel": channel, "ts": ts}} if channel and ts else None
        open_modal(
            client,
            deps,
            shortcut["trigger_id"],
            shortcut["team"]["id"],
            shortcut["user"]["id"],
            prefill,
            meta,
            respond,
        )

    @app.action(EDIT_ACTION)
    def correct_debrief(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond | None
    ) -> None:
        ack()
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        debrief_id, found = action_id_value(body), None
        answers: dict[str, bool] = {}
        if debrief_id is not None:
            with deps.db.session() as session:
                found = get_rep_debrief(session, team_id, user_id, debrief_id)
                answers = answers_of_debriefs(session, team_id, [debrief_id]).get(debrief_id, {})
        if found is None:
            refuse(client, body, field_error_text(FieldError("deal", "not_yours")))
            return
        debrief, deal_name = found
        prefill = ModalPrefill(
            deal=deal_name,  # by name: the deal may be another rep's, named by this one
            call_date=debrief.call_date,
            timeline_qualified=debrief.timeline_qualified,
            authority_reached=debrief.authority_reached,
            next_step=debrief.next_step,
            next_step_date=debrief.next_step_date,
            went_well=debrief.went_well,
            improve=debrief.improve,
            notes=debrief.notes,
            coaching_requested=debrief.coaching_requested,
            debrief_id=debrief.id,
            criteria=answers,
        )
        metadata = {"debrief_id": debrief.id}
        open_modal(client, deps, body["trigger_id"], team_id, user_id, prefill, metadata, respond)

    @app.options("deal")
    def deal_suggestions(ack: Ack, body: dict[str, Any]) -> None:
        typed = " ".join(str(body.get("value") or "").split())
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        try:
            with deps.db.session() as session:
                deals = search_rep_open_deals(session, team_id, user_id, typed, limit=99)
        except DatabaseError:
            log.warning("deal suggestions unavailable", exc_info=True)
            deals = []
        exact = any(name.casefold() == typed.casefold() for _, name in deals)
        ack(options=deal_options(typed, deals, exact))

    @app.view(CALLBACK_ID)
    def debrief_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        team_id = str((body.get("team") or {}).get("id") or view.get("team_id") or "")
        user_id = body["user"]["id"]
        zone = cached_zone(deps, team_id, user_id) or EARLIEST_ZONE
        now = deps.now()
        try:
            saved = _save(deps, team_id, user_id, view, _today(now, zone), now)
        except _Refused as refused:
            ack(
                response_action="errors",
                errors={error.field: field_error_text(error) for error in refused.errors},
            )
            return
        except DatabaseError:
            log.exception("debrief not saved")
            ack(
                response_action="errors",
                errors={"deal": field_error_text(FieldError("deal", "not_saved"))},
            )
            return
        ack()
        if saved.outgoing is not None:
            send_claimed(deps.db, client, saved.outgoing, now)
        if saved.coaching_session is not None:
            request_coaching(deps, client, team_id, user_id, saved)
        if view_metadata(view).get("origin") == FROM_HOME["origin"]:  # the tab is on screen
            refresh_home(deps, client, team_id, user_id)
