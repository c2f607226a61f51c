"""The call log: what each voice webhook writes, in the caller's transaction, and what the caller hears next.

Every function takes a session (`incoming`: a connection, see `models.new_calls`) and the
webhook's form and is safe to run twice: the CallEvent's unique key turns a retried or
replayed webhook into a no-op that still renders the same TwiML.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from models import FINAL_STATUSES, Call, CallEvent, Case, utcnow
from models.new_calls import log_new_call
from models.phones import read_caller
from models.upsert import insert_ignore

from . import desk_line, late_input, training
from .intake import case_for_call
from .ivr import engine
from .ivr.engine import Voice

log = logging.getLogger(__name__)

CALL_SID = re.compile(r"[A-Za-z0-9]{2,64}")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_KEYS, MAX_KEY, MAX_VALUE = 80, 64, 1024


@dataclass
class Outcome:
    twiml: VoiceResponse | str  # a str: TwiML rendered before (engine.welcome)
    job_ids: list[str] = field(default_factory=list)  # outbox items to enqueue after commit
    ended: Call | None = None  # the call this webhook ended, for the metrics once committed


def clean(form) -> dict:
    """First value of each field, bounded and free of control characters (PostgreSQL refuses NUL)."""
    cleaned = {}
    for key in list(form.keys())[:MAX_KEYS]:
        value = form.get(key)
        cleaned[CONTROL.sub("", str(key))[:MAX_KEY]] = CONTROL.sub("", str(value if value is not None else ""))[:MAX_VALUE]
    return cleaned


def call_sid(form: dict) -> str | None:
    sid = (form.get("CallSid") or "").strip()
    return sid if CALL_SID.fullmatch(sid) else None


def operator_now(voice: Voice, sid: str | None = None) -> VoiceResponse:
    """The answer when anything goes wrong: Thai and English, then an operator: the desk's waiting room of call
    `sid` (its line is written when the webhook is replayed, or by the hold message), else a message."""
    if engine.desk(voice) and sid is None:
        return engine.render("busy", None, 1, voice)
    response = VoiceResponse()
    response.say("กรุณารอสักครู่ กำลังโอนสายไปยังเจ้าหน้าที่", language="th-TH", voice=voice.th)
    response.say("Please hold, we are connecting you to an operator.", language="en-US", voice=voice.en)
    response.append(engine.operator_dial(voice, call_sid=sid))
    return response


def incoming(db, form: dict, voice: Voice, received_at: datetime | None = None) -> Outcome:
    """A new call: its Call and first CallEvent (`models.new_calls`); everyone hears the same welcome."""
    received_at = received_at or utcnow()
    event = dict(key="incoming", kind="incoming", params=form, received_at=received_at)
    log_new_call(db, _new_call_values(form, received_at), event)
    return Outcome(engine.welcome(voice))


def ivr_step(session: Session, node: str, args: dict, form: dict, voice: Voice,
             received_at: datetime | None = None) -> Outcome:
    step, attempt = _int(args.get("s"), 1), _int(args.get("try"), 1)
    if node not in engine.MENU:
        log.warning("unknown IVR node %r in %s", node[:32], call_sid(form))
        node, step = "main", step
    call, new = _log(session, form, "ivr", f"ivr:{step}:{node}:{attempt}", received_at)
    move = engine.answer(node, form, attempt, step)
    job_ids: list[str] = []
    if new:
        for name, value in move.sets.items():
            setattr(call, name, value)
        call.add_step(move.step)
    target = engine.resolve(move.to, call)
    if new and engine.MENU[target].kind == "operator":
        call.operator_requested_at = call.operator_requested_at or utcnow()
        if engine.desk(voice):
            job_ids += desk_line.ask(session, call, target == "urgent" or call.urgency == "urgent", voice.desk_training)
    if new and call.topic == "trafficking":
        job_ids += _report(session, call, move.sets, move.open_case or target == "goodbye" or call.status in FINAL_STATUSES)
    reference = _case_reference(session, call) if target == "goodbye" else None
    twiml = engine.render(target, call, step + 1, voice, attempt=move.attempt, notice=move.notice, reference=reference)
    return Outcome(twiml, job_ids)


def status(session: Session, form: dict, received_at: datetime | None = None) -> Outcome:
    value = (form.get("CallStatus") or "unknown").strip().lower()[:16]
    call, new = _log(session, form, "status", f"status:{value}:{form.get('SequenceNumber', '')[:8]}", received_at)
    job_ids: list[str] = []
    if new:
        call.advance_status(value)
        if value in FINAL_STATUSES and call.status == value:
            call.ended_at = call.ended_at or received_at or utcnow()
            call.duration_seconds = _int(form.get("CallDuration"), None)
            if call.topic == "trafficking":
                job_ids += case_for_call(session, call).job_ids
            if call.simulated:
                training.close_case_of(session, call)
            if call.operator_requested_at is not None:
                job_ids += [job.job_id for job in desk_line.caller_gone(session, call, call.ended_at)]
            return Outcome(VoiceResponse(), job_ids, ended=call)
    return Outcome(VoiceResponse(), job_ids)


def recording(session: Session, form: dict, received_at: datetime | None = None) -> Outcome:
    sid = (form.get("RecordingSid") or "")[:64]
    state = (form.get("RecordingStatus") or "")[:16]
    call, new = _log(session, form, "recording", f"recording:{sid}:{state}", received_at)
    if new and sid and state == "completed" and call.recording_sid in (None, sid):
        call.recording_sid = sid
        call.recording_url = (form.get("RecordingUrl") or "")[:512] or None
        call.recording_duration = _int(form.get("RecordingDuration"), None)
    return Outcome(VoiceResponse())


def fallback(session: Session, form: dict, voice: Voice, received_at: datetime | None = None) -> Outcome:
    error = f"{form.get('ErrorCode', '')}:{form.get('ErrorUrl', '')}"[:120]
    call, new = _log(session, form, "fallback", f"fallback:{error}", received_at)
    if new:
        call.operator_requested_at = call.operator_requested_at or utcnow()
        log.error("Twilio used the fallback URL for %s (error %s)", call.call_sid, form.get("ErrorCode"))
    jobs = desk_line.ask(session, call, call.urgency == "urgent", voice.desk_training) if new and engine.desk(voice) \
        else []
    return Outcome(operator_now(voice, call.call_sid), jobs)


def _log(session: Session, form: dict, kind: str, key: str, received_at: datetime | None) -> tuple[Call, bool]:
    """The call (created on first sight) and whether this webhook is new."""
    received_at = received_at or utcnow()
    call = _call(session, form, received_at)
    new = insert_ignore(session, CallEvent, ["call_id", "key"],
                        call_id=call.id, key=key[:160], kind=kind, params=form, received_at=received_at)
    return call, new


def _call(session: Session, form: dict, received_at: datetime) -> Call:
    """The call, locked for this transaction: two webhooks of one call (a status callback racing a key
    press) must not overwrite each other's view of it. Created when `/voice/incoming` never got through
    (a row this transaction inserts is its own until commit; a concurrent insert of the same CallSid
    waits on the unique index, then does nothing)."""
    sid = call_sid(form)
    if sid is None:
        raise MissingCallSid()
    locked = select(Call).where(Call.call_sid == sid).with_for_update()
    call = session.scalar(locked)
    if call is not None:
        return call
    inserted = session.scalars(_new_call(session.get_bind().dialect.name), _new_call_values(form, received_at)).first()
    return inserted if inserted is not None else session.scalars(locked).one()


def _new_call_values(form: dict, received_at: datetime) -> dict:
    sid = call_sid(form)
    if sid is None:
        raise MissingCallSid()
    caller = read_caller(form.get("From"))
    return dict(
        call_sid=sid, status=(form.get("CallStatus") or "ringing")[:16],
        from_raw=caller.raw, from_e164=caller.e164, caller_withheld=caller.withheld, caller_country=caller.country,
        to_number=(form.get("To") or "")[:64] or None,
        province_code=caller.province_code, province_source="landline" if caller.province_code else None,
        province_candidates=caller.province_candidates, language="th", ivr_path=[], started_at=received_at,
    )


@lru_cache(maxsize=4)
def _new_call(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the Call: one round trip for a new call, built once."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    table = Call.__table__
    returning = insert(table).on_conflict_do_nothing(index_elements=["call_sid"]).returning(*table.c)
    return select(Call).from_statement(returning)


def _report(session: Session, call: Call, said: dict, opens: bool) -> list[str]:
    """The call's case opens when the menu, the goodbye or the call's end says so (a key press that Twilio
    delivers after the final status may be what made the call a report); an answer given once it is open
    reaches it late (`late_input`)."""
    if not (said or opens):
        return []  # a step that set nothing (a repeat, a wrong key) has nothing for a case: no query on the hot path
    session.flush()
    case = session.scalar(select(Case).where(Case.call_id == call.id).with_for_update())
    if case is not None:
        return late_input.reaches_case(session, case, said)
    return case_for_call(session, call).job_ids if opens else []


def _case_reference(session: Session, call: Call) -> str | None:
    reference = session.scalar(select(Case.reference).where(Case.call_id == call.id))
    return reference.removeprefix("1300-") if reference else None


def _int(value, default):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


class MissingCallSid(ValueError):
    """A webhook without a usable CallSid cannot be logged against a call."""
