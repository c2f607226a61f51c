"""Keeping personal data no longer than needed (Thailand's PDPA).

One run applies every retention period of `casework/config.py` (docs/deploy.md, "Retention"): the
relay schedules it once a Bangkok day, a worker runs it, `flask retention run` runs it by hand.
Whatever an open case needs stays. Each step selects only what still holds personal data, so a
second run finds nothing left to do. The erasing helpers are shared with `flask subject erase`.

LINE (issue 17) follows the same rules: the images, voice notes, videos and files people send go after
RETENTION_RECORDING_DAYS, as voice messages do; what they wrote (the events' payloads, with their id) and what was
sent to them after RETENTION_SMS_DAYS, as SMS do; a report's own words with its closed case's file. A chat with a
report whose case is open keeps everything.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from requests.exceptions import RequestException
from sqlalchemy import String, and_, cast, delete, exists, func, literal, or_, select, union, update
from sqlalchemy.orm import Session, selectinload, sessionmaker
from twilio.base.exceptions import TwilioException, TwilioRestException

from models import (
    Annotation,
    AuditEntry,
    Call,
    Case,
    CaseTransition,
    LineChat,
    LineEvent,
    LineMedia,
    LineMessage,
    LineReport,
    LinkedCall,
    Message,
    Report,
    utcnow,
)
from models.vocabulary import OPEN_STATUSES

from . import line_media

log = logging.getLogger(__name__)
BANGKOK = ZoneInfo("Asia/Bangkok")
BATCH = 200  # calls per transaction
# Webhook fields that name or place the caller, or lead to the recording; the rest of an event stays.
CALLER_PARAMS = {"From", "Caller", "CallerName", "ForwardedFrom", "FromCity", "FromState", "FromZip", "FromCountry",
                 "CallerCity", "CallerState", "CallerZip", "CallerCountry"}
RECORDING_PARAMS = {"RecordingUrl", "RecordingSid", "TranscriptionText", "TranscriptionUrl"}
COUNTS = ("recordings_deleted", "recordings_failed", "numbers_blanked", "numbers_failed", "notes_deleted", "sms_deleted",
          "reports_blanked", "case_notes_blanked", "line_media_deleted", "line_events_blanked", "line_messages_blanked",
          "line_reports_blanked", "line_users_forgotten")
FAILED = ("recordings_failed", "numbers_failed")  # only a real run, which asks Twilio, can fail


@dataclass(frozen=True)
class Cutoffs:
    """Anything older than these has outlived its retention period."""

    recording: datetime
    number: datetime
    call_note: datetime
    sms: datetime
    closed_case: datetime

    @classmethod
    def at(cls, config, now: datetime) -> Cutoffs:
        days = [config.RETENTION_RECORDING_DAYS, config.RETENTION_NUMBER_DAYS, config.RETENTION_CALL_NOTE_DAYS,
                config.RETENTION_SMS_DAYS, 365 * config.RETENTION_CLOSED_CASE_YEARS]
        return cls(*(now - timedelta(days=n) for n in days))


def day_of(now: datetime) -> str:
    return now.astimezone(BANGKOK).date().isoformat()


# --- erasing one call, shared with the data-subject helper -------------------------------------

def blank_number(call: Call) -> None:
    call.from_raw = call.from_e164 = call.caller_country = None
    _scrub(call, CALLER_PARAMS)


def forget_recording(call: Call) -> None:
    call.recording_sid = call.recording_url = call.recording_duration = None
    _scrub(call, RECORDING_PARAMS)


def _scrub(call: Call, keys: set[str]) -> None:
    for event in call.events:
        if keys & set(event.params or {}):
            event.params = {k: v for k, v in event.params.items() if k not in keys}


# --- erasing what a LINE user wrote and sent (issue 17), shared with the data-subject helper --------

def blank_line_event(event: LineEvent, now: datetime | None = None) -> None:
    """What they wrote (the event's payload: text, a location, a file's name) and their id; the event's type and
    times stay."""
    event.payload, event.line_user_id, event.reply_token, event.erased_at = {}, None, None, now or utcnow()


def blank_line_message(message: LineMessage, now: datetime | None = None) -> None:
    """What the hotline sent them (a reference, their place repeated back); a message not sent yet never will be."""
    message.messages, message.reply_token, message.erased_at = [], None, now or utcnow()
    if message.status == "pending":
        message.status, message.last_error = "refused", "erased before it was sent"


def forgotten_chat(now: datetime) -> dict:
    """What a chat keeps once its LINE user is forgotten (retention, erasure): nobody to send to, nobody waiting."""
    return {"unfollowed_at": now, "heard_at": None, "person_asked_at": None, "person_urgent": False,
            "taken_by_id": None, "taken_at": None}


def blank_line_report(report: LineReport) -> None:
    """The person's own words and point; the report's kind and province stay, as the case file's do."""
    report.account = report.latitude = report.longitude = report.callback_consent = None


def recording_sid(call: Call) -> str | None:
    if call.recording_sid:
        return call.recording_sid
    last = (call.recording_url or "").rstrip("/").rsplit("/", 1)[-1].split(".")[0]
    return last if last.startswith("RE") else None


def delete_at_twilio(client, sid: str | None, resource: str = "recordings") -> bool:
    """True when Twilio no longer holds it: a recording, or a call's log (`resource="calls"`), which keeps the
    caller's number; a 404 means it was deleted already."""
    if client is None or sid is None:
        return True  # no credentials (dry-run SMS mode), or nothing Twilio could find
    try:
        getattr(client, resource)(sid).delete()
    except TwilioRestException as error:
        if error.status == 404:
            return True
        log.warning("%s %s not deleted at Twilio: HTTP %s", resource, sid, error.status)
        return False
    except (TwilioException, RequestException) as error:
        log.warning("%s %s not deleted at Twilio: %s", resource, sid, type(error).__name__)
        return False
    return True


def twilio_call_sid(call: Call) -> str | None:
    return None if call.simulated else call.call_sid  # the IVR simulator's calls never reached Twilio


# --- what has outlived its period ----------------------------------------------------------------

def _calls_of(cases):
    """The calls of these cases (a select of Case ids): each case's own call and the calls linked to it."""
    return union(select(Case.call_id).where(Case.id.in_(cases), Case.call_id.is_not(None)),
                 select(LinkedCall.call_id).where(LinkedCall.case_id.in_(cases)))


def _open_case_calls():
    return _calls_of(select(Case.id).where(Case.status.in_(OPEN_STATUSES)))


def _old_closed_cases(cut: Cutoffs):
    return select(Case.id).where(Case.status == "closed", Case.closed_at < cut.closed_case)


def _old_closed_calls(cut: Cutoffs):
    return _calls_of(_old_closed_cases(cut))


def _no_case():
    return ~exists().where(Case.call_id == Call.id) & ~exists().where(LinkedCall.call_id == Call.id)


def _recordings(cut: Cutoffs):
    return and_(or_(Call.recording_sid.is_not(None), Call.recording_url.is_not(None)),
                Call.started_at < cut.recording, Call.id.not_in(_open_case_calls()))


def _numbers(cut: Cutoffs):
    return and_(or_(Call.from_raw.is_not(None), Call.from_e164.is_not(None)),
                or_(and_(Call.started_at < cut.number, _no_case()), Call.id.in_(_old_closed_calls(cut))))


def _notes(cut: Cutoffs):
    uncased_calls = select(Call.id).where(Call.started_at < cut.call_note, _no_case())
    return or_(and_(Annotation.case_id.is_(None), Annotation.call_id.in_(uncased_calls)),
               Annotation.case_id.in_(_old_closed_cases(cut)), Annotation.call_id.in_(_old_closed_calls(cut)))


def _sms(cut: Cutoffs):
    open_cases = select(Case.id).where(Case.status.in_(OPEN_STATUSES))
    return and_(Message.created_at < cut.sms, or_(Message.case_id.is_(None), Message.case_id.not_in(open_cases)))


def _reports(cut: Cutoffs):
    return and_(Report.case_id.in_(_old_closed_cases(cut)),
                or_(Report.contact_number.is_not(None), Report.description.is_not(None),
                    Report.reporter_id.is_not(None), Report.latitude.is_not(None)))


def _case_notes(cut: Cutoffs):
    return and_(CaseTransition.case_id.in_(_old_closed_cases(cut)), CaseTransition.note.is_not(None))


def _open_line_chats():
    return select(LineReport.chat_id).join(Case, Case.id == LineReport.case_id).where(Case.status.in_(OPEN_STATUSES))


def _line_event_of_no_open_case():
    open_users = select(LineChat.line_user_id).where(LineChat.id.in_(_open_line_chats()))
    return or_(LineEvent.line_user_id.is_(None), LineEvent.line_user_id.not_in(open_users))


def _line_media(cut: Cutoffs):
    events = select(LineEvent.id).where(_line_event_of_no_open_case())
    return and_(LineMedia.status == "kept", LineMedia.received_at < cut.recording,
                or_(LineMedia.event_id.is_(None), LineMedia.event_id.in_(events)))


def _line_events(cut: Cutoffs):
    return and_(LineEvent.erased_at.is_(None), LineEvent.received_at < cut.sms, _line_event_of_no_open_case())


def _line_messages(cut: Cutoffs):
    return and_(LineMessage.erased_at.is_(None), LineMessage.created_at < cut.sms,
                LineMessage.chat_id.not_in(_open_line_chats()))


def _line_chats(cut: Cutoffs):
    """Chats idle past the SMS period with no open case: their events are blanked by then, so the chat is the last
    place that knows the LINE user; it becomes no one's (erased-<id>, like an erasure) and nothing is sent to it."""
    return and_(LineChat.line_user_id.not_like("erased-%"), LineChat.id.not_in(_open_line_chats()),
                func.coalesce(LineChat.heard_at, LineChat.started_at) < cut.sms)


def _line_reports(cut: Cutoffs):
    return and_(or_(LineReport.account.is_not(None), LineReport.latitude.is_not(None),
                    LineReport.callback_consent.is_not(None)),
                or_(LineReport.case_id.in_(_old_closed_cases(cut)),
                    and_(LineReport.case_id.is_(None), LineReport.started_at < cut.sms)))  # left half-way


def _count(session: Session, model, condition) -> int:
    return session.scalar(select(func.count()).select_from(model).where(condition))


# --- the run -------------------------------------------------------------------------------------

def run(sessions: sessionmaker, config, dry_run: bool = False, now: datetime | None = None,
        client=None, day: str | None = None) -> dict[str, int]:
    """Apply every retention period; a dry run counts what would go and changes nothing. `client` is Twilio's
    REST client, where recordings and call logs are deleted first; None (dry-run SMS mode): only the database.

    The audit entry names the Bangkok day the run stands for (`day`, else today's)."""
    now = now or utcnow()
    cut = Cutoffs.at(config, now)
    counts = dict.fromkeys(COUNTS, 0)
    if dry_run:
        with sessions() as session:
            counts["recordings_deleted"] = _count(session, Call, _recordings(cut))
            counts["numbers_blanked"] = _count(session, Call, _numbers(cut))
            counts["notes_deleted"] = _count(session, Annotation, _notes(cut))
            counts["sms_deleted"] = _count(session, Message, _sms(cut))
            counts["reports_blanked"] = _count(session, Report, _reports(cut))
            counts["case_notes_blanked"] = _count(session, CaseTransition, _case_notes(cut))
            counts["line_media_deleted"] = _count(session, LineMedia, _line_media(cut))
            counts["line_events_blanked"] = _count(session, LineEvent, _line_events(cut))
            counts["line_messages_blanked"] = _count(session, LineMessage, _line_messages(cut))
            counts["line_reports_blanked"] = _count(session, LineReport, _line_reports(cut))
            counts["line_users_forgotten"] = _count(session, LineChat, _line_chats(cut))
        return counts
    counts["recordings_deleted"], counts["recordings_failed"] = _delete_recordings(sessions, cut, client)
    counts["numbers_blanked"], counts["numbers_failed"] = _blank_numbers(sessions, cut, client)
    counts["line_media_deleted"] = _delete_line_media(sessions, cut, config)
    with sessions.begin() as session:
        quiet = {"synchronize_session": False}
        counts["notes_deleted"] = session.execute(delete(Annotation).where(_notes(cut)), execution_options=quiet).rowcount
        counts["sms_deleted"] = session.execute(delete(Message).where(_sms(cut)), execution_options=quiet).rowcount
        counts["reports_blanked"] = session.execute(
            update(Report).where(_reports(cut)).values(contact_number=None, description=None, reporter_id=None,
                                                       latitude=None, longitude=None), execution_options=quiet).rowcount
        counts["case_notes_blanked"] = session.execute(
            update(CaseTransition).where(_case_notes(cut)).values(note=None), execution_options=quiet).rowcount
        session.execute(update(LineMessage).where(_line_messages(cut), LineMessage.status == "pending")
                        .values(status="refused", last_error="erased before it was sent"), execution_options=quiet)
        counts["line_messages_blanked"] = session.execute(
            update(LineMessage).where(_line_messages(cut)).values(messages=[], reply_token=None, erased_at=now),
            execution_options=quiet).rowcount
        counts["line_events_blanked"] = session.execute(
            update(LineEvent).where(_line_events(cut)).values(payload={}, line_user_id=None, reply_token=None,
                                                              erased_at=now), execution_options=quiet).rowcount
        counts["line_reports_blanked"] = session.execute(
            update(LineReport).where(_line_reports(cut)).values(account=None, latitude=None, longitude=None,
                                                                callback_consent=None), execution_options=quiet).rowcount
        counts["line_users_forgotten"] = session.execute(
            update(LineChat).where(_line_chats(cut)).values(
                line_user_id=literal("erased-").concat(cast(LineChat.id, String)), **forgotten_chat(now)),
            execution_options=quiet).rowcount
        session.add(AuditEntry(at=now, action="retention", target=f"retention:{day or day_of(now)}",
                               reason=json.dumps(counts, sort_keys=True)))
    log.info("retention run: %s", json.dumps(counts, sort_keys=True))
    return counts


def _delete_recordings(sessions: sessionmaker, cut: Cutoffs, client) -> tuple[int, int]:
    return _erase(sessions, _recordings(cut), lambda call: delete_at_twilio(client, recording_sid(call)), forget_recording)


def _delete_line_media(sessions: sessionmaker, cut: Cutoffs, config) -> int:
    """The files first, each batch's rows marked in the same transaction (a file gone before a failed commit is
    gone: the row then says kept, and the console answers 404 for it)."""
    deleted = 0
    while True:
        with sessions.begin() as session:
            batch = session.scalars(select(LineMedia).where(_line_media(cut)).order_by(LineMedia.id).limit(BATCH)).all()
            for media in batch:
                line_media.forget(config, media)
            deleted += len(batch)
        if len(batch) < BATCH:
            return deleted


def _blank_numbers(sessions: sessionmaker, cut: Cutoffs, client) -> tuple[int, int]:
    """Twilio's log of the call goes first: it holds the caller's number too."""
    return _erase(sessions, _numbers(cut), lambda call: delete_at_twilio(client, twilio_call_sid(call), "calls"),
                  blank_number)


def _erase(sessions: sessionmaker, condition, gone_at_twilio, erase) -> tuple[int, int]:
    """(erased, failed): `erase` each call matching `condition` once Twilio's copy is gone; where Twilio did not
    confirm, the call is left as it is, so the next run tries again."""
    erased = failed = last = 0
    while True:
        with sessions.begin() as session:
            calls = session.scalars(select(Call).options(selectinload(Call.events)).where(condition, Call.id > last)
                                   .order_by(Call.id).limit(BATCH)).all()
            for call in calls:
                last = call.id
                if gone_at_twilio(call):
                    erase(call)
                    erased += 1
                else:
                    failed += 1
        if len(calls) < BATCH:
            return erased, failed


# --- once a day ----------------------------------------------------------------------------------

def ran_on(session: Session, day: str) -> bool:
    return session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == "retention", AuditEntry.target == f"retention:{day}").limit(1)) is not None


def due_day(session: Session, config, now: datetime | None = None) -> str | None:
    """The Bangkok day whose run is due now (its hour has come and it has not run), else None."""
    now = now or utcnow()
    if now.astimezone(BANGKOK).hour < config.RETENTION_HOUR:
        return None
    day = day_of(now)
    return None if ran_on(session, day) else day
