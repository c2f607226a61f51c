"""Training cases: what the console's IVR simulator opens. They look like no real case (their own reference
series), never page a field team (casework/ladder.py), close themselves when their call ends, and a simulator call
whose browser tab was closed (no hang-up ever comes) is ended by the relay once idle."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Call, CallEvent, Case, utcnow
from models.calls import FINAL_STATUSES, SIMULATED_PREFIX

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
