"""Late input: a caller's answer that reaches the service after the call's case opened.

Twilio does not order a call's last `<Gather>` action and its final status callback; a key press spooled
during a database outage is replayed after the status got in; a menu step may come after the goodbye step
opened the case. What the caller said still reaches the case. While nobody has taken, moved or edited it, a
place keyed late moves it to that province's centre (`casework.reassign`, as the system) and the danger key
makes it urgent (the urgent window, from the urgent queue). Once a person has acted, or the case is closed,
the late answer is written on the case's history, for a person to act on.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Case, CaseTransition

from . import work
from .reassign import reassign

SYSTEM = "system"
ACTED = "not changed: a person has acted on the case"


def reaches_case(session: Session, case: Case, said: dict) -> list[str]:
    """`said`: what one menu answer set on the call, the case locked. Returns outbox job ids to enqueue once
    committed. The same answer twice changes nothing twice."""
    job_ids: list[str] = []
    if said.get("category") and case.category is None:
        case.category = said["category"]  # a kind the case lacked: nobody chose another
    province = said.get("province_code")
    if province and province != case.province_code:
        job_ids += _place(session, case, province, said.get("district_code"))
    if said.get("urgency") == "urgent" and case.urgency != "urgent":
        job_ids += _danger(session, case)
    return job_ids


def untouched(case: Case) -> bool:
    """Nobody has acknowledged, moved or edited the case: it waits, and every step of its history is the system's."""
    return case.waiting and all(t.actor == SYSTEM for t in case.transitions)


def _place(session: Session, case: Case, province: str, district: str | None) -> list[str]:
    said = "postcode keyed after the case opened"
    if not untouched(case):
        return _write(case, f"{said}: province {province}; {_why_not(case)}")
    try:
        moved = reassign(session, case, province, SYSTEM, f"{said}: routed to {province}", district)
    except LookupError:
        return _write(case, f"{said}: province {province}; not moved: no centres loaded")
    return moved.job_ids


def _danger(session: Session, case: Case) -> list[str]:
    said = "danger key pressed after the case opened"
    if not untouched(case):
        return _write(case, f"{said}: {_why_not(case)}")
    case.urgency = "urgent"
    _write(case, f"{said}: urgent")
    hurry = work.hurry_escalation(case.id, case.ladder_run, case.level)
    work.add(session, hurry)
    return [hurry.job_id]


def _why_not(case: Case) -> str:
    return "not changed: the case is closed" if case.status == "closed" else ACTED


def _write(case: Case, note: str) -> list[str]:
    """The late answer on the case's history, its status unchanged; once."""
    if all(t.note != note for t in case.transitions):
        case.transitions.append(CaseTransition(from_status=case.status, to_status=case.status, actor=SYSTEM, note=note))
    return []
