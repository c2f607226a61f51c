"""What the desk's Twilio webhooks write and answer (issue 16): the hold message of a caller in line, the keys that
offer a message after DESK_MAX_WAIT, and the conference's and the operator legs' status callbacks.

Each writes a CallEvent on the caller's call under a unique key, so a retried callback changes nothing twice and
the call's timeline shows the desk's steps.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from models import Call, CallEvent, DeskOffer, DeskWait, utcnow
from models.upsert import insert_ignore

from . import desk_line, work
from .call_log import Outcome
from .ivr import engine
from .ivr.engine import CONFERENCE_PREFIX, Voice

HOLD_PAUSE = 25  # seconds of quiet between hold messages (the message itself takes ~5)
NOT_ANSWERED = {"no-answer": "missed", "busy": "missed", "failed": "failed", "canceled": "missed"}


def hold(session: Session, config, conference: str, turn: int, voice: Voice) -> Outcome:
    """The waiting room's music: thanks and the caller's place, every ~30 s. Once DESK_MAX_WAIT has passed the
    caller is taken out (by the REST API: a waiting room plays, it cannot ask) to the keys that offer a message."""
    wait = session.scalar(select(DeskWait).where(DeskWait.conference == conference[:80]).with_for_update())
    call = wait.call if wait is not None else _call_of_conference(session, conference)
    job_ids: list[str] = []
    if wait is None and call is not None:  # the ask was never written (the database was away): in line now
        job_ids += desk_line.ask(session, call, call.urgency == "urgent", voice.desk_training)
        wait = desk_line.wait_of(session, call)
    response = VoiceResponse()
    language = (call.language if call is not None else None) or "th"
    if wait is not None and wait.state == "waiting" and _message_due(wait, config.DESK_MAX_WAIT):
        wait.state, wait.message_offered_at = "deciding", utcnow()
        offer_message = work.desk_offer_message(wait.id, wait.message_offered_at.strftime("%Y%m%d%H%M%S%f"))
        work.add(session, offer_message)
        job_ids.append(offer_message.job_id)
    place = desk_line.place_in_line(session, wait) if wait is not None else None
    if turn > 1 and place is not None:
        if place == 1:
            engine.speak(response, "hold_next", language, voice)
        elif place:
            engine.speak(response, "hold_place", language, voice)
            engine.read_digits(response, str(place), language, voice)
    response.pause(length=HOLD_PAUSE if turn > 1 else 3)
    response.redirect("/voice/desk/hold?" + urlencode({"conf": conference[:80], "n": min(turn + 1, 999)}),
                      method="POST")
    return Outcome(response, job_ids)


def _message_due(wait: DeskWait, every: int) -> bool:
    """DESK_MAX_WAIT in line, and again each DESK_MAX_WAIT after a caller chose to keep waiting: no endless line."""
    since = wait.message_offered_at or wait.asked_at
    return (utcnow() - since).total_seconds() >= every


def hold_quietly(conference: str, turn: int) -> VoiceResponse:
    """The hold message's stand-in while the database is away: quiet, then ask again."""
    response = VoiceResponse()
    response.pause(length=HOLD_PAUSE)
    response.redirect("/voice/desk/hold?" + urlencode({"conf": conference[:80], "n": min(turn + 1, 999)}),
                      method="POST")
    return response


def leave_offer(session: Session, wait_id: int, digits: str | None, voice: Voice) -> Outcome:
    """After DESK_MAX_WAIT: 1 leaves a message (today's message path: the callback question, then the recording);
    2, or nothing, goes back in line at the same place."""
    wait = session.get(DeskWait, wait_id, with_for_update=True)
    if wait is None:
        return Outcome(engine.render("busy", None, 1, voice))
    call = wait.call
    response = VoiceResponse()
    if digits is None:
        gather = Gather(action="/voice/desk/leave?" + urlencode({"w": wait.id, "k": 1}), method="POST",
                        input="dtmf", num_digits=1, timeout=8)
        engine.speak(gather, "leave_offer", call.language or "th", voice)
        response.append(gather)
        response.redirect("/voice/desk/leave?" + urlencode({"w": wait.id, "k": 1}), method="POST")
        return Outcome(response)
    _event(session, call, f"desk:leave:{wait.id}:{digits[:1] or '-'}", {"Digits": digits[:4]})
    if digits.startswith("1"):
        if wait.state in ("deciding", "waiting"):
            wait.state = "message"
        target = engine.resolve("consent", call)
        return Outcome(engine.render(target, call, len(call.ivr_path or []) + 1, voice))
    job_ids: list[str] = []
    if wait.state in ("deciding", "message"):
        job_ids += desk_line.ask(session, call, wait.urgent, voice.desk_training)
    response.append(engine.waiting_room(call.call_sid))
    return Outcome(response, job_ids)


def conference_event(session: Session, form: dict) -> Outcome:
    """The conference's callbacks: its SID (the REST API's hold and end need it) and its start and end."""
    name = (form.get("FriendlyName") or "")[:80]
    wait = session.scalar(select(DeskWait).where(DeskWait.conference == name).with_for_update())
    if wait is None:
        return Outcome(VoiceResponse())
    event = (form.get("StatusCallbackEvent") or "")[:32]
    if not _event(session, wait.call, f"desk:conference:{event}:{form.get('SequenceNumber', '')[:8]}:"
                                       f"{(form.get('CallSid') or '')[:40]}", form):
        return Outcome(VoiceResponse())
    sid = (form.get("ConferenceSid") or "")[:64]
    if sid and wait.conference_sid is None:
        wait.conference_sid = sid
    return Outcome(VoiceResponse())


def participant_event(session: Session, config, offer_id: int, form: dict, at: datetime | None = None) -> Outcome:
    """An operator leg's progress: answered (the caller is theirs), not answered (the next operator), ended
    (wrap-up)."""
    at = at or utcnow()
    offer = session.get(DeskOffer, offer_id, with_for_update=True)
    if offer is None:
        return Outcome(VoiceResponse())
    status = (form.get("CallStatus") or "").strip().lower()[:16]
    wait = session.get(DeskWait, offer.wait_id)
    if not _event(session, wait.call, f"desk:offer:{offer.id}:{status}:{form.get('SequenceNumber', '')[:8]}:"
                                       f"{(form.get('CallSid') or '')[:40]}", form):
        return Outcome(VoiceResponse())
    if offer.call_sid is None and form.get("CallSid"):
        offer.call_sid = form["CallSid"][:64]
    jobs: list[work.Work] = []
    if status in ("in-progress", "answered"):
        jobs = desk_line.answered(session, offer, at)
    elif status in NOT_ANSWERED and offer.state == "ringing":
        jobs = desk_line.not_answered(session, offer, NOT_ANSWERED[status], at)
    elif status == "completed":
        if offer.state == "ringing":  # ended before it was answered
            jobs = desk_line.not_answered(session, offer, "missed", at)
        else:
            desk_line.talk_ended(session, offer, config, at)
    return Outcome(VoiceResponse(), [job.job_id for job in jobs])


def _event(session: Session, call: Call, key: str, form: dict) -> bool:
    return insert_ignore(session, CallEvent, ["call_id", "key"], call_id=call.id, key=key[:160], kind="desk",
                         params=form, received_at=utcnow()) is not None


def _call_of_conference(session: Session, conference: str) -> Call | None:
    if not conference.startswith(CONFERENCE_PREFIX):
        return None
    return session.scalar(select(Call).where(Call.call_sid == conference.removeprefix(CONFERENCE_PREFIX)[:64]))
