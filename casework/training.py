"""Training cases: what the console's IVR simulator opens. They look like no real case (their own reference
series), never page a field team (casework/ladder.py), close themselves when their call ends, and a simulator call
whose browser tab was closed (no hang-up ever comes) is ended by the relay once idle. When nothing can ring a real
phone, a simulated call also walks the operator desk, and the simulator plays the operator's side."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Call, CallEvent, Case, DeskOffer, DeskWait, User, utcnow
from models.calls import FINAL_STATUSES, SIMULATED_PREFIX

from .desk_line import place_in_line

OUTCOME = "no_action_needed"  # a rehearsal: nobody to help
ABANDONED_STATUS = "canceled"
LOOK_BACK = timedelta(days=7)  # the started_at index keeps the relay's look cheap on a million calls


def close_case_of(session: Session, call: Call) -> Case | None:
    """The simulator call ended: its training case, if it opened one, is closed (it never stays "new")."""
    case = session.scalar(select(Case).where(Case.call_id == call.id))
    if case is None or not call.simulated or case.status == "closed":
        return None
    case.move_to("closed", actor="system", note="training call ended", outcome=OUTCOME)
    return case


def end_abandoned_calls(session: Session, idle_seconds: int, now: datetime | None = None) -> int:
    """End the simulator calls nothing has been heard of for `idle_seconds` (a closed tab), and close their cases;
    how many. The timeline shows why."""
    now = now or utcnow()
    last_heard = select(func.max(CallEvent.received_at)).where(CallEvent.call_id == Call.id).scalar_subquery()
    idle = (select(Call).where(Call.started_at > now - LOOK_BACK, Call.call_sid.like(SIMULATED_PREFIX + "%"),
                               Call.status.not_in(FINAL_STATUSES),
                               func.coalesce(last_heard, Call.started_at) < now - timedelta(seconds=idle_seconds))
            .with_for_update(skip_locked=True))  # a webhook of the call, arriving now, goes first
    ended = 0
    for call in session.scalars(idle):
        call.status, call.ended_at = ABANDONED_STATUS, now
        call.events.append(CallEvent(key=f"status:{ABANDONED_STATUS}:abandoned", kind="status", received_at=now,
                                     params={"CallStatus": ABANDONED_STATUS,
                                             "note": f"simulator call idle for over {idle_seconds // 60} min: ended"}))
        close_case_of(session, call)
        ended += 1
    session.commit()
    return ended


def desk_rehearsal(config) -> bool:
    """Simulated calls may enter the desk's line only while every desk REST request is a dry run (no Twilio
    credentials): then an offer rings nobody, and the simulator answers it as the operator would."""
    return config.sms_dry_run


def desk_seat(session: Session, call_sid: str) -> dict | None:
    """A simulated call's place at the desk, as the simulator shows it: the wait's state and place in line, and the
    offer now ringing (its id and operator), if any. None when the call never entered the line."""
    wait = session.scalar(select(DeskWait).join(Call, Call.id == DeskWait.call_id).where(Call.call_sid == call_sid))
    if wait is None:
        return None
    offers = session.execute(select(DeskOffer, User.username).join(User, User.id == DeskOffer.user_id)
                             .where(DeskOffer.wait_id == wait.id).order_by(DeskOffer.id)).all()
    ringing = [(offer, name) for offer, name in offers if offer.state == "ringing"]
    talking = [(offer, name) for offer, name in offers if offer.state == "answered"]
    return {"state": wait.state, "place": place_in_line(session, wait) if wait.state == "waiting" else None,
            "offer": ringing[-1][0].id if ringing else None, "operator": ringing[-1][1] if ringing else None,
            "talking": talking[-1][0].id if talking else None, "answered_by": talking[-1][1] if talking else None,
            "missed_by": [name for offer, name in offers if offer.state in ("missed", "declined", "failed")]}


OPERATOR_LEG = {"answer": ("ringing", "in-progress"), "no-answer": ("ringing", "no-answer"),
                "hang-up": ("completed",)}


def operator_leg(session: Session, offer_id: int, action: str) -> list[tuple[str, dict]]:
    """The participant callbacks Twilio would send for the operator's leg of a (dry-run) offer: answered, not
    answered, or hung up (`OPERATOR_LEG`); each a (path, form) for the caller to sign and post."""
    offer = session.get(DeskOffer, offer_id)
    if offer is None or action not in OPERATOR_LEG:
        return []
    leg = offer.call_sid or f"DR{offer.id:032d}"  # a dry run's made-up SID, or one before the ring was recorded
    first = {"ringing": 1, "in-progress": 2, "no-answer": 2, "completed": 3}
    return [(f"/voice/desk/participant?o={offer.id}",
             {"CallSid": leg, "AccountSid": "AC" + "0" * 32, "CallStatus": status, "Direction": "outbound-api",
              "To": offer.endpoint, "SequenceNumber": str(first[status])}) for status in OPERATOR_LEG[action]]
