"""Reassign a case to another province, hence centre: the old centre's ladder stops, the new one's starts at level 1.

One rule for whoever moves it: an operator in the console, or the system when the caller's postcode reached the
service after the case opened (`casework.late_input`). The move is a case transition naming the new centre, and
the outbox item that restarts the ladder is written in the caller's transaction, to enqueue after commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from models import Case, Centre
from models.reference import route

from . import ladder


@dataclass(frozen=True)
class Moved:
    change: str  # "50 -> 10; centre 50 -> 10", for the audit
    centre: Centre
    job_ids: list[str] = field(default_factory=list)


def reassign(session: Session, case: Case, province_code: str, actor: str, note: str | None = None,
             district_code: str | None = None) -> Moved:
    """Move the case to the province's centre (central triage when it has none). Raises LookupError when no
    centres are loaded, ValueError for a closed case."""
    centre = route(session, province_code)
    old_centre = case.centre
    change = (f"{case.province_code or '-'} -> {province_code}; "
              f"centre {old_centre.code if old_centre else '-'} -> {centre.code}")
    case.reassign(province_code, centre, actor, note)
    case.district_code = district_code
    return Moved(change, centre, ladder.restart(session, case))
