"""What a field team reports by SMS once it has the case (issue 19; the words are casework.replies'): each report
is a FieldReport, one per incoming message, and moves the case where it says so through the ladder's own rule, so
the case's history shows the move and who made it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Case, Contact, FieldReport, utcnow

from . import ladder

# The notes these moves leave in the case's history (hotline.console.words shows them in the user's words).
ARRIVED_NOTE, DONE_NOTE = "reported by SMS: arrived", "reported by SMS: done"


def record(session: Session, case: Case, contact: Contact, sid: str, actor: str, kind: str, outcome: str | None = None,
           rescued: int | None = None, body: str | None = None) -> FieldReport:
    """`kind`: arrived (an acknowledged case goes in progress), done (it closes with `outcome`), or note."""
    if kind == "arrived" and case.status == "acknowledged":
        ladder.move(case, "in_progress", actor, ARRIVED_NOTE)
    elif kind == "done":
        ladder.move(case, "closed", actor, DONE_NOTE, outcome=outcome)
    report = FieldReport(case_id=case.id, contact_id=contact.id, message_sid=sid, kind=kind,
                         outcome=outcome if kind == "done" else None, rescued_count=rescued, body=body, at=utcnow())
    session.add(report)
    return report
