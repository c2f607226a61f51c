"""Callers in line for a person (issue 16), and the router that offers them to operators.

A caller who asks for a person waits in the call's own Twilio conference (`conference_name`) hearing the hold
message; `route` offers each to an operator by dialling the operator into that conference (a `DeskOffer`, rung by
a job: `workers.desk_twilio`). The line's order is urgent first, then the longest waiting. Each caller goes to the
longest-idle available operator who speaks their language; after DESK_LANGUAGE_WAIT seconds (a caller in danger:
at once) to any available operator, with the on-duty interpreter for the language added when the operator answers.

Rows are taken with `FOR UPDATE SKIP LOCKED`: routers racing in other processes take other rows, and partial
unique indexes (one ringing offer per caller, per operator) stop what a mistake would let through.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import Call, DeskOffer, DeskProfile, DeskWait, Interpreter, User, utcnow
from models.upsert import insert_ignore

from . import desk, work
from .ivr import engine

ROUTER = "desk"  # the actor of the router's moves
BATCH = 50  # callers looked at per pass; a pass is repeated while it offers someone
IN_LINE = ("waiting", "offered", "deciding")  # on the phone, not yet with a person


def conference_name(call: Call) -> str:
    """Known before Twilio has the conference: the caller's TwiML and the operator's dial both name it."""
    return engine.conference_name(call.call_sid)


def wait_of(session: Session, call: Call, lock: bool = False) -> DeskWait | None:
    statement = select(DeskWait).where(DeskWait.call_id == call.id)
    return session.scalar(statement.with_for_update() if lock else statement)


def ask(session: Session, call: Call, urgent: bool, rehearsal: bool) -> list[str]:
    """The caller asked for a person (the menu, the danger key, the goodbye's 0, a failure): in line once. Asking
    again (back from the message offer, or after a message) keeps their place; danger makes them urgent. A trainee's
    simulated call enters the line only in a rehearsal (casework.training.desk_rehearsal: no Twilio credentials),
    so that it never rings a real operator."""
    if call.simulated and not rehearsal:
        return []
    insert_ignore(session, DeskWait, ["call_id"], call_id=call.id, conference=conference_name(call),
                  language=call.language or "th", urgent=urgent, state="waiting", asked_at=utcnow(),
                  callback_due=False)
    wait = wait_of(session, call, lock=True)
    wait.urgent = wait.urgent or urgent
    wait.language = call.language or wait.language
    if wait.state not in ("offered", "answered"):
        wait.state, wait.ended_at, wait.callback_due = "waiting", None, False
    job = work.desk_route(f"w{wait.id}-{_stamp()}")
    work.add(session, job)
    return [job.job_id]


def came_free(session: Session, user: User) -> list[str]:
    """Someone chose to be available: a routing pass for them (its job id, to enqueue once committed)."""
    job = work.desk_route(f"u{user.id}-{_stamp()}")
    work.add(session, job)
    return [job.job_id]


def place_in_line(session: Session, wait: DeskWait) -> int:
    """1 for the next caller to be offered; callers being offered count as ahead."""
    earlier = (DeskWait.urgent.is_(wait.urgent)) & (DeskWait.asked_at < wait.asked_at)
    ahead = session.scalar(select(func.count()).select_from(DeskWait).where(
        DeskWait.state.in_(("waiting", "offered")), DeskWait.id != wait.id,
        earlier if wait.urgent else or_(DeskWait.urgent.is_(True), earlier)))
    return (ahead or 0) + 1


def waited(wait: DeskWait, now: datetime | None = None) -> float:
    return ((now or utcnow()) - wait.asked_at).total_seconds()


def route(session: Session, config, now: datetime | None = None) -> list[work.Work]:
    """Offer waiting callers to free operators; the jobs that ring them (written to the outbox here)."""
    now = now or utcnow()
    waits = session.scalars(
        select(DeskWait).where(DeskWait.state == "waiting")
        .order_by(DeskWait.urgent.desc(), DeskWait.asked_at, DeskWait.id).limit(BATCH)
        .with_for_update(skip_locked=True)).all()
    if not waits:
        return []
    free = session.scalars(
        select(DeskProfile).where(DeskProfile.state == "available",
                                  DeskProfile.user_id.in_(select(User.id).where(User.active.is_(True))))
        .order_by(DeskProfile.state_since, DeskProfile.user_id).with_for_update(skip_locked=True)).all()
    rings = []
    for wait in waits:
        if not free:
            break
        profile = next((p for p in free if wait.language in p.languages), None)
        interpreter = None
        if profile is None:
            if not wait.urgent and waited(wait, now) < config.DESK_LANGUAGE_WAIT:
                continue  # someone who speaks it may come free
            profile, interpreter = free[0], interpreter_for(session, wait.language)
        free.remove(profile)
        rings.append(_offer(session, wait, profile, interpreter, now))
    for ring in rings:
        work.add(session, ring)
    return rings


def interpreter_for(session: Session, language: str) -> Interpreter | None:
    """The on-duty interpreter for the language; turn about, the one whose row changed longest ago first."""
    return session.scalar(select(Interpreter).where(
        Interpreter.language == language, Interpreter.on_duty.is_(True), Interpreter.active.is_(True))
        .order_by(Interpreter.updated_at, Interpreter.id).limit(1))


def _offer(session: Session, wait: DeskWait, profile: DeskProfile, interpreter: Interpreter | None,
           now: datetime) -> work.Work:
    offer = DeskOffer(wait_id=wait.id, user_id=profile.user_id, state="ringing", endpoint=profile.endpoint,
                      interpreter_id=interpreter.id if interpreter else None, offered_at=now, attempts=0)
    session.add(offer)
    wait.state = "offered"
    desk.set_state(session, profile.user, "offered", ROUTER, reason=f"call {wait.call_id}", router=True)
    session.flush()
    return work.desk_ring(offer.id)


def answered(session: Session, offer: DeskOffer, at: datetime) -> list[work.Work]:
    """The operator picked up: the caller is theirs; the interpreter, if the language needs one, is rung now."""
    if offer.state != "ringing":
        return []
    offer.state, offer.answered_at = "answered", at
    wait = session.get(DeskWait, offer.wait_id, with_for_update=True)
    jobs = []
    if wait.state == "offered":
        wait.state, wait.answered_by, wait.answered_at = "answered", offer.user_id, at
        wait.interpreter_id = offer.interpreter_id
        if offer.interpreter_id:
            jobs.append(work.desk_add_interpreter(wait.id))
    desk.on_a_call(session, offer.user, ROUTER, reason=f"call {wait.call_id}")
    for job in jobs:
        work.add(session, job)
    return jobs


def not_answered(session: Session, offer: DeskOffer, outcome: str, at: datetime) -> list[work.Work]:
    """The ring ended unanswered (`missed`, `declined`, `failed`): the caller goes back in line (ahead of those who
    came later) and to the next operator; one who missed it is set away with the mark, one who declined is free."""
    if offer.state != "ringing":
        return []
    offer.state, offer.closed_at = outcome, at
    wait = session.get(DeskWait, offer.wait_id, with_for_update=True)
    if wait.state == "offered":
        wait.state = "waiting"
    profile = desk.profile_of(session, offer.user_id, lock=True)
    if profile is not None and profile.state == "offered":
        theirs = outcome in ("missed", "failed")  # they did not answer, or their endpoint cannot be dialled
        to = "away" if theirs else "available"
        desk.set_state(session, offer.user, to, ROUTER, reason=f"{outcome} call {wait.call_id}", router=True)
        if theirs:
            profile.missed_at = at
    job = work.desk_route(f"o{offer.id}-{outcome}")
    work.add(session, job)
    return [job]


def talk_ended(session: Session, offer: DeskOffer, config, at: datetime) -> None:
    """The operator's leg ended after they answered: wrap-up, for notes, until they choose or it runs out."""
    if offer.state != "answered":
        return
    offer.state, offer.closed_at = "ended", at
    wait = session.get(DeskWait, offer.wait_id, with_for_update=True)
    if wait.ended_at is None and not _others_on_the_call(session, offer):  # a transfer's second operator talks on
        wait.ended_at = at
    profile = desk.profile_of(session, offer.user_id, lock=True)
    if profile is not None and profile.state == "on_call" and not _still_on_a_call(session, offer):
        desk.set_state(session, offer.user, "wrap_up", ROUTER, reason=f"call {wait.call_id}", router=True)
        profile.wrap_up_until = at + timedelta(seconds=config.DESK_WRAP_UP)


def _others_on_the_call(session: Session, offer: DeskOffer) -> bool:
    return session.scalar(select(func.count()).select_from(DeskOffer).where(
        DeskOffer.wait_id == offer.wait_id, DeskOffer.state == "answered", DeskOffer.id != offer.id)) > 0


def _still_on_a_call(session: Session, offer: DeskOffer) -> bool:
    return session.scalar(select(func.count()).select_from(DeskOffer).where(
        DeskOffer.user_id == offer.user_id, DeskOffer.state == "answered", DeskOffer.id != offer.id)) > 0


def caller_gone(session: Session, call: Call, at: datetime) -> list[work.Work]:
    """The caller's call ended. Still in line: abandoned, on the callback list if they said it is safe to call
    back, and any ring of an operator for them is stopped (the operator is free again, not marked)."""
    wait = wait_of(session, call, lock=True)
    if wait is None:
        return []
    jobs = []
    if wait.state in IN_LINE:
        wait.state, wait.ended_at = "abandoned", at
        for offer in session.scalars(select(DeskOffer).where(DeskOffer.wait_id == wait.id,
                                                             DeskOffer.state == "ringing").with_for_update()):
            offer.state, offer.closed_at = "cancelled", at
            profile = desk.profile_of(session, offer.user_id, lock=True)
            if profile is not None and profile.state == "offered":
                desk.set_state(session, offer.user, "available", ROUTER, reason=f"call {call.id} hung up", router=True)
            jobs.append(work.desk_hang_up(offer.id))
    elif wait.state == "answered" and wait.ended_at is None:
        wait.ended_at = at
    if wait.state in ("abandoned", "message") and call.callback_consent is True and wait.callback_at is None:
        wait.callback_due = True
    for job in jobs:
        work.add(session, job)
    return jobs


def end_wrap_ups(session: Session, now: datetime | None = None) -> int:
    """Wrap-ups whose time ran out: available again (the router is told)."""
    now = now or utcnow()
    due = session.scalars(select(DeskProfile).where(DeskProfile.state == "wrap_up", DeskProfile.wrap_up_until <= now)
                          .with_for_update(skip_locked=True)).all()
    for profile in due:
        desk.set_state(session, profile.user, "available", ROUTER, reason="wrap-up time over", router=True)
    return len(due)


def overdue_offers(session: Session, config, now: datetime | None = None) -> list[work.Work]:
    """Rings that Twilio never ended (a lost callback, a ring job that died): missed after the offer time and a
    grace; their leg is hung up in case it still rings."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=config.DESK_OFFER_SECONDS + OFFER_GRACE)
    jobs = []
    for offer in session.scalars(select(DeskOffer).where(DeskOffer.state == "ringing", DeskOffer.offered_at < cutoff)
                                 .with_for_update(skip_locked=True)).all():
        # A dial that never reached Twilio (its worker died) was no fault of the operator's: free, not marked.
        jobs += not_answered(session, offer, "missed" if offer.requested_at else "cancelled", now)
        hang_up = work.desk_hang_up(offer.id)
        work.add(session, hang_up)
        jobs.append(hang_up)
    return jobs


OFFER_GRACE = 15  # seconds after DESK_OFFER_SECONDS before the sweep calls a ring missed
DECIDING_AT_MOST = 120  # seconds: the message offer's keys take ~20; longer, the redirect never reached them


def undecided(session: Session, now: datetime) -> int:
    """Callers still 'deciding' long after the message offer (its redirect lost): back in line, same place."""
    stale = session.scalars(select(DeskWait).where(
        DeskWait.state == "deciding", DeskWait.message_offered_at < now - timedelta(seconds=DECIDING_AT_MOST))
        .with_for_update(skip_locked=True)).all()
    for wait in stale:
        wait.state = "waiting"
    return len(stale)


def sweep(session: Session, config, now: datetime | None = None) -> list[str]:
    """The relay's look every few seconds: wrap-ups over, rings Twilio never ended, and a routing pass of its own
    (a caller past DESK_LANGUAGE_WAIT now goes to anyone; no outbox row per look). The job ids to enqueue."""
    now = now or utcnow()
    jobs = overdue_offers(session, config, now)
    end_wrap_ups(session, now)
    undecided(session, now)
    jobs += route(session, config, now)
    return [job.job_id for job in jobs]


def _stamp() -> str:
    return utcnow().strftime("%Y%m%d%H%M%S%f")
