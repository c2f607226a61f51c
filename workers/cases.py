"""Opening a case: one per report, routed to its province's centre (central triage when unknown)."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, Case, Centre, utcnow
from models.reference import route

BANGKOK = ZoneInfo("Asia/Bangkok")


def reference(case: Case) -> str:
    """`1300-69-004821`: the Thai Buddhist year of opening and the case number."""
    year_be = case.created_at.astimezone(BANGKOK).year + 543
    return f"1300-{year_be % 100:02d}-{case.id:06d}"


def open_case(session: Session, *, source: str, category: str | None, urgency: str | None,
              province_code: str | None, district_code: str | None = None, call_id: int | None = None,
              actor: str = "system") -> Case:
    try:
        centre = route(session, province_code)
    except LookupError:  # no reference data loaded: keep the case, unrouted; the ladder flags it
        centre = None
    case = Case(source=source, call_id=call_id, category=category, urgency=urgency or "normal",
                province_code=province_code, district_code=district_code, centre_id=centre.id if centre else None,
                status="new", level=0, created_at=utcnow())
    session.add(case)
    session.flush()
    case.reference = reference(case)
    case.transitions.append(_opened(actor, centre))
    return case


def open_case_for_call(session: Session, call_id: int) -> tuple[Case, bool]:
    """The call's case, opened on first call; (case, opened_now)."""
    existing = session.scalar(select(Case).where(Case.call_id == call_id))
    if existing is not None:
        return existing, False
    call = session.get(Call, call_id)
    if call is None:
        raise LookupError(f"call {call_id} does not exist")
    case = open_case(session, source="training" if call.simulated else "call", category=call.category, urgency=call.urgency,
                     province_code=call.province_code, district_code=call.district_code, call_id=call.id)
    return case, True


def _opened(actor: str, centre: Centre | None):
    from models import CaseTransition

    return CaseTransition(from_status=None, to_status="new", actor=actor,
                          note=f"routed to {centre.code}" if centre else "no centre loaded: unrouted")
