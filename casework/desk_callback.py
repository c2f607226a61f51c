"""The callback list (issue 16): callers who left the line (hung up waiting, or left a message) and said it is
safe to call back. "Call back" rings the operator's own endpoint first (Twilio REST, `desk_dial.call_back`); when
they answer, `answer` dials the caller, recorded like any call.

Each step is a CallEvent on the caller's original call (kind "desk", key desk:callback:<wait>:<step>:...), so the
call's timeline shows the callback and a retried webhook writes nothing twice. Consent is checked when the
operator asks, when the request is prepared and when the operator answers: a number whose callback consent is
not True is never dialled.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Dial, VoiceResponse

from models import Call, CallEvent, DeskWait, User, utcnow
from models.upsert import insert_ignore

from . import desk, work
from .call_log import Outcome
from .ivr.engine import Voice

LIST_LIMIT = 200
LEG_EVENTS = "initiated ringing answered completed"
OPERATOR_LINE = {  # said to the operator before the caller's phone rings (their console language)
    "th": ("กำลังโทรกลับหาผู้โทรจากสาย {ref} กรุณารอสาย", "th-TH"),
    "en": ("Calling back the caller of call {ref}. Please hold.", "en-US"),
}
CANCELLED = "This callback was cancelled."


class Refused(ValueError):
    """Not called back; `problem`: not_found, not_due (not on the list: called back already, or never due),
    withheld (no number to call), no_consent (not said safe to call back), no_profile (the operator has no desk
    profile, so no endpoint to ring)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def on_the_list():
    """A wait on the callback list (the list and the wallboard's count): gone from the line, consent True, not
    called back yet, not a trainee's call."""
    return and_(DeskWait.callback_due.is_(True), DeskWait.callback_at.is_(None), DeskWait.call_id.in_(
        select(Call.id).where(Call.callback_consent.is_(True), Call.not_training())))


def due(session: Session, limit: int = LIST_LIMIT) -> list[tuple[DeskWait, Call]]:
    """The list, oldest first."""
    return session.execute(
        select(DeskWait, Call).join(Call, Call.id == DeskWait.call_id).where(on_the_list())
        .order_by(func.coalesce(DeskWait.ended_at, DeskWait.asked_at), DeskWait.id).limit(limit)).all()


def callable_problem(call: Call) -> str | None:
    if call.caller_withheld or not call.from_e164:
        return "withheld"
    if call.callback_consent is not True:
        return "no_consent"
    return None


def call_back(session: Session, wait_id: int, user: User, at: datetime | None = None) -> list[work.Work]:
    """An operator chose to call a caller back: off the list at once (nobody else calls them too), logged on
    the call, and the ring of the operator's endpoint queued (its job, to enqueue once committed)."""
    at = at or utcnow()
    wait = session.get(DeskWait, wait_id, with_for_update=True)
    if wait is None:
        raise Refused("not_found")
    if not wait.callback_due or wait.callback_at is not None:
        raise Refused("not_due")
    problem = callable_problem(wait.call)
    if problem:
        raise Refused(problem)
    if desk.profile_of(session, user) is None:
        raise Refused("no_profile")
    wait.callback_at, wait.callback_by = at, user.id
    job = work.desk_call_back(wait.id, attempt(wait))
    log(session, wait, f"requested:{attempt(wait)}", {"by": user.username, "user_id": user.id})
    work.add(session, job)
    return [job]


def attempt(wait: DeskWait) -> str:
    """One callback of a wait (a refused one may be asked again): its time, to the second."""
    return wait.callback_at.strftime("%Y%m%d%H%M%S") if wait.callback_at else ""


def settled(session: Session, wait: DeskWait, attempt_: str) -> bool:
    """The attempt's ring was sent, or refused: a job run again asks nothing twice."""
    keys = [f"desk:callback:{wait.id}:{step}:{attempt_}" for step in ("rung", "refused")]
    return session.scalar(select(CallEvent.id).where(CallEvent.call_id == wait.call_id, CallEvent.key.in_(keys))
                          .limit(1)) is not None


def answer(session: Session, config, wait_id: int, user_id: int, form: dict, voice: Voice) -> Outcome:
    """The operator answered the callback's ring: one line to them, then the caller's number, recorded."""
    wait = session.get(DeskWait, wait_id)
    response = VoiceResponse()
    if wait is None or wait.callback_by != user_id or callable_problem(wait.call):
        response.say(CANCELLED, language="en-US", voice=voice.en)
        response.hangup()
        return Outcome(response)
    log(session, wait, f"answered:{(form.get('CallSid') or '')[:40]}", {"CallSid": form.get("CallSid", "")})
    user = session.get(User, user_id)
    language = "th" if user is None or user.language != "en" else "en"
    words, spoken = OPERATOR_LINE[language]
    response.say(words.format(ref=wait.call.reference), language=spoken, voice=voice.th if language == "th" else voice.en)
    dial = Dial(caller_id=desk.caller_id(config), record="record-from-answer-dual",
                recording_status_callback="/voice/recording", recording_status_callback_method="POST",
                timeout=30)
    dial.number(wait.call.from_e164, status_callback="/voice/desk/callback?" + urlencode({"w": wait.id, "u": user_id,
                                                                                           "leg": 1}),
                status_callback_event=LEG_EVENTS, status_callback_method="POST")
    response.append(dial)
    return Outcome(response)


def unavailable(voice: Voice) -> VoiceResponse:
    """The database is away: the caller cannot be checked (consent), so the operator is told and nobody is dialled."""
    response = VoiceResponse()
    response.say("The callback cannot start now. Please try again from the console.", language="en-US", voice=voice.en)
    response.hangup()
    return response


def leg_event(session: Session, wait_id: int, form: dict) -> Outcome:
    """The caller's leg of a callback: ringing, answered, completed (with its duration) on the call's timeline."""
    wait = session.get(DeskWait, wait_id)
    if wait is not None:
        status = (form.get("CallStatus") or "").strip().lower()[:16]
        log(session, wait, f"{status}:{(form.get('CallSid') or '')[:40]}",
            {key: form[key] for key in ("CallSid", "CallStatus", "CallDuration", "SequenceNumber") if key in form})
    return Outcome(VoiceResponse())


def log(session: Session, wait: DeskWait, step: str, params: dict) -> bool:
    """A step of a callback on the caller's call; never their number (the params are chosen, not the form)."""
    return insert_ignore(session, CallEvent, ["call_id", "key"], call_id=wait.call_id,
                         key=f"desk:callback:{wait.id}:{step}"[:160], kind="desk", params=params,
                         received_at=utcnow()) is not None
