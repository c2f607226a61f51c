"""What the operator on a desk call, or a supervisor, does to the call from its page (issue 16): hold and resume
the caller, add the interpreter, warm transfer (ring another operator into the conference, talk first, then hand
over), and end.

Each control is a CallEvent on the caller's call (`desk:control:<what>:<n>`, kind "desk": the call's timeline) and a
job that sends its REST requests (`workers.desk_controls`), so the console never waits on Twilio. The job writes
the outcome as `desk:control:<what>:<n>:sent` (or `:refused`). A transfer is an offer like the router's (its own
DeskOffer, rung by `desk_ring`, answered through the same participant callbacks); the caller's `answered_by` stays
who answered first, the offers record who talked to them after.

The decisions (who may, in which state, who hands over to whom) are taken here, in the request's transaction; the
job only asks Twilio for what was decided.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import CallEvent, DeskOffer, DeskProfile, DeskWait, User, utcnow
from models.upsert import insert_ignore

from . import desk, desk_dial, desk_line, work
from .desk_dial import Request

CONTROLS = ("hold", "resume", "interpreter", "transfer", "handover", "end")
SUPERVISORS = ("supervisor",)  # may control any desk call; an operator only the one they are on
PREFIX = "desk:control:"


class Refused(ValueError):
    """A control the rules do not allow now; `problem` is its code (the console says it in its own words):
    unknown, not_yours, not_answered, no_conference, no_interpreter, not_available, no_second, on_hold, not_on_hold."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


@dataclass(frozen=True)
class Requested:
    """A control written: its number, and the jobs to enqueue once committed."""

    what: str
    number: int
    job_ids: list[str]


def live_wait(session: Session, call_id: int, lock: bool = False) -> DeskWait | None:
    """The call's desk wait while a person talks to the caller; None before, after, or without the desk."""
    statement = select(DeskWait).where(DeskWait.call_id == call_id, DeskWait.state == "answered",
                                       DeskWait.ended_at.is_(None))
    return session.scalar(statement.with_for_update() if lock else statement)


def talking(session: Session, wait: DeskWait) -> list[DeskOffer]:
    """The operators' legs in the caller's conference now (answered, not ended), first answered first."""
    return list(session.scalars(select(DeskOffer).where(DeskOffer.wait_id == wait.id, DeskOffer.state == "answered")
                                .order_by(DeskOffer.answered_at, DeskOffer.id)))


def may_control(session: Session, wait: DeskWait, user: User) -> bool:
    """A supervisor, or an operator whose leg is in the call (who answered it, or took it over)."""
    return user.role in SUPERVISORS or any(offer.user_id == user.id for offer in talking(session, wait))


def on_hold(session: Session, wait: DeskWait) -> bool:
    return _count(session, wait, "hold") > _count(session, wait, "resume")


def ringing_transfer(session: Session, wait: DeskWait) -> DeskOffer | None:
    return session.scalar(select(DeskOffer).where(DeskOffer.wait_id == wait.id, DeskOffer.state == "ringing"))


def transfer_targets(session: Session, user: User) -> list[tuple[User, DeskProfile]]:
    """Who a call may be transferred to: everyone at the desk who is available, but the one asking."""
    return [(other, profile) for other, profile in desk.team(session)
            if profile.state == "available" and other.id != user.id]


def request(session: Session, config, call_id: int, what: str, user: User, to: int | None = None) -> Requested:
    """Check and write one control; `to` is the transfer's operator. Raises Refused."""
    if what not in CONTROLS:
        raise Refused("unknown")
    wait = live_wait(session, call_id, lock=True)
    if wait is None:
        raise Refused("not_answered")
    if not may_control(session, wait, user):
        raise Refused("not_yours")
    if what in ("hold", "resume", "handover", "end") and not wait.conference_sid:
        raise Refused("no_conference")  # Twilio's callback brings it a moment after the caller enters
    params: dict = {"by": user.id}
    jobs: list[work.Work] = []
    if what == "hold" and on_hold(session, wait):
        raise Refused("on_hold")
    if what == "resume" and not on_hold(session, wait):
        raise Refused("not_on_hold")
    if what == "interpreter":
        interpreter = desk_line.interpreter_for(session, wait.language)
        if interpreter is None:
            raise Refused("no_interpreter")
        wait.interpreter_id = interpreter.id
        params["interpreter"] = interpreter.id
    if what == "transfer":
        offer = _transfer(session, wait, user, to)
        params.update(to=offer.user_id, offer=offer.id)
        jobs.append(work.desk_ring(offer.id))
    if what == "handover":
        params["leaving"] = _hand_over(session, config, wait)
    number = _count(session, wait, what) + 1
    insert_ignore(session, CallEvent, ["call_id", "key"], call_id=wait.call_id, key=f"{PREFIX}{what}:{number}",
                  kind="desk", params=params, received_at=utcnow())
    if what != "transfer":  # a transfer is rung by the desk's own ring job
        jobs.append(work.desk_control(wait.id, what, number))
    for job in jobs:
        work.add(session, job)
    return Requested(what, number, [job.job_id for job in jobs])


def _transfer(session: Session, wait: DeskWait, user: User, to: int | None) -> DeskOffer:
    """An offer to the chosen operator, rung into the caller's conference like the router's, one at a time."""
    target = session.get(User, to) if to else None
    profile = desk.profile_of(session, to, lock=True) if target is not None and target.active else None
    if profile is None or profile.state != "available" or target.id == user.id or ringing_transfer(session, wait):
        raise Refused("not_available")
    offer = DeskOffer(wait_id=wait.id, user_id=target.id, state="ringing", endpoint=profile.endpoint,
                      offered_at=utcnow(), attempts=0)
    session.add(offer)
    desk.set_state(session, target, "offered", f"user:{user.id}", reason=f"transfer of call {wait.call_id}",
                   router=True)
    session.flush()
    return offer


def _hand_over(session: Session, config, wait: DeskWait, at: datetime | None = None) -> list[int]:
    """The newest operator to answer keeps the caller; the others leave (wrap-up). Their offers end here, before
    Twilio ends their legs, so that leg's callback does not read as the end of the caller's talk."""
    legs = talking(session, wait)
    if len(legs) < 2:
        raise Refused("no_second")
    at = at or utcnow()
    leaving = legs[:-1]
    for offer in leaving:
        offer.state, offer.closed_at = "ended", at
        profile = desk.profile_of(session, offer.user_id, lock=True)
        if profile is not None and profile.state == "on_call":
            desk.set_state(session, offer.user, "wrap_up", desk_line.ROUTER, reason=f"handed over call {wait.call_id}",
                           router=True)
            profile.wrap_up_until = at + timedelta(seconds=config.DESK_WRAP_UP)
    return [offer.id for offer in leaving]


def _count(session: Session, wait: DeskWait, what: str) -> int:
    """Controls of this kind already asked on the call (their outcomes, `…:<n>:sent`, not counted)."""
    prefix = f"{PREFIX}{what}:"
    return session.scalar(select(func.count()).select_from(CallEvent).where(
        CallEvent.call_id == wait.call_id, CallEvent.key.like(f"{prefix}%"),
        CallEvent.key.not_like(f"{prefix}%:%"))) or 0


# --- the job's side: the requests, and their outcome -------------------------------------------------

def requests(session: Session, config, wait_id: int, what: str, number: int) -> list[Request]:
    """The REST requests of a control written earlier, from its event and the database's facts now; none when it
    was sent already or the call ended meanwhile (a late job asks nothing)."""
    wait = session.get(DeskWait, wait_id)
    if wait is None or wait.call_id is None:
        return []
    event = _event(session, wait, f"{PREFIX}{what}:{number}")
    if event is None or _done(session, wait, what, number):
        return []
    if what == "handover":  # the leaving legs' offers are ended already: the call is live while the caller is
        return _handover_requests(session, wait, event.params.get("leaving") or [])
    if live_wait(session, wait.call_id) is None:
        return []
    cf = wait.conference_sid
    if what in ("hold", "resume"):
        return [Request("participant_update", participant(cf, wait.call.call_sid), {"hold": what == "hold"},
                        wait_id=wait.id)]
    if what == "interpreter":
        dial = desk_dial.add_interpreter(session, config, wait.id)
        return [dial] if dial is not None else []
    if what == "end":
        return [Request("conference_update", cf, {"status": "completed"}, wait_id=wait.id)]
    return []


def _handover_requests(session: Session, wait: DeskWait, offer_ids: list[int]) -> list[Request]:
    """Each leaving leg: first told not to end the conference when it leaves, then hung up."""
    out = []
    for offer in session.scalars(select(DeskOffer).where(DeskOffer.id.in_(offer_ids)).order_by(DeskOffer.id)):
        if offer.call_sid and wait.conference_sid:
            out.append(Request("participant_update", participant(wait.conference_sid, offer.call_sid),
                               {"end_conference_on_exit": False}, offer_id=offer.id, wait_id=wait.id))
            out.append(Request("hang_up", offer.call_sid, {"status": "completed"}, offer_id=offer.id, wait_id=wait.id))
    return out


def participant(conference_sid: str, call_sid: str) -> str:
    """A participant's address for `participant_update` (Twilio's Conferences/{CF}/Participants/{CallSid})."""
    return f"{conference_sid}/{call_sid}"


def sent(session: Session, wait_id: int, what: str, number: int, outcome: str = "sent", detail: str = "") -> None:
    """The control's outcome on the timeline, once: `sent` (Twilio took every request, or a dry run), `refused`,
    or `skipped` (nothing left to ask: the call ended before the job ran)."""
    wait = session.get(DeskWait, wait_id)
    if wait is not None and not _done(session, wait, what, number):
        insert_ignore(session, CallEvent, ["call_id", "key"], call_id=wait.call_id,
                      key=f"{PREFIX}{what}:{number}:{outcome}", kind="desk", params={"detail": detail[:200]},
                      received_at=utcnow())


def _event(session: Session, wait: DeskWait, key: str) -> CallEvent | None:
    return session.scalar(select(CallEvent).where(CallEvent.call_id == wait.call_id, CallEvent.key == key))


def _done(session: Session, wait: DeskWait, what: str, number: int) -> bool:
    return session.scalar(select(func.count()).select_from(CallEvent).where(
        CallEvent.call_id == wait.call_id, CallEvent.key.like(f"{PREFIX}{what}:{number}:%"))) > 0


def history(session: Session, call_id: int) -> list[tuple[CallEvent, str, int, str]]:
    """The call's controls, oldest first: (event, what, number, outcome: requested | sent | refused)."""
    events = session.scalars(select(CallEvent).where(CallEvent.call_id == call_id, CallEvent.key.like(f"{PREFIX}%"))
                             .order_by(CallEvent.id)).all()
    outcomes = {}
    for event in events:
        parts = event.key.removeprefix(PREFIX).split(":")
        if len(parts) == 3:
            outcomes[(parts[0], parts[1])] = parts[2]
    return [(event, parts[0], int(parts[1]), outcomes.get((parts[0], parts[1]), "requested"))
            for event in events if len(parts := event.key.removeprefix(PREFIX).split(":")) == 2 and parts[1].isdigit()]
