"""Linking a call to a case that already exists: another call about it (the same caller again, or someone else)
joins that case instead of opening one of its own. A call belongs to one case at most: one it opened
(`Case.call_id`) or one it is linked to (`LinkedCall`). Merging two cases is not done here."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, Case, CaseTransition, LinkedCall, utcnow
from models.vocabulary import TRAINING


class NotLinkable(ValueError):
    """Why a call cannot be linked to a case, as a code the console puts in words."""

    def __init__(self, why: str, reference: str | None = None):
        super().__init__(f"{why}: {reference}" if reference else why)
        self.why, self.reference = why, reference


@dataclass(frozen=True)
class Linked:
    link: LinkedCall
    new: bool  # False: it was linked to this case already, nothing was written


def linked_case(session: Session, call: Call) -> Case | None:
    return session.scalar(select(Case).join(LinkedCall, LinkedCall.case_id == Case.id)
                          .where(LinkedCall.call_id == call.id))


def link(session: Session, case: Case, call: Call, actor: str) -> Linked:
    """Link the call (its row locked by the caller, as the webhooks lock it) to the case: once, written on the
    case's history as a note with no change of status. A NotLinkable error says why not."""
    session.flush()
    own = session.scalar(select(Case.reference).where(Case.call_id == call.id))
    if own is not None:
        raise NotLinkable("own_case", own)
    existing = session.scalar(select(LinkedCall).where(LinkedCall.call_id == call.id))
    if existing is not None:
        if existing.case_id == case.id:
            return Linked(existing, new=False)
        raise NotLinkable("linked_elsewhere", session.get(Case, existing.case_id).reference)
    if case.status == "closed":
        raise NotLinkable("closed", case.reference)  # a new report about a closed case is a new case: it pages a team
    if call.simulated != (case.source == TRAINING):
        raise NotLinkable("training", case.reference)
    now = utcnow()
    row = LinkedCall(case_id=case.id, call_id=call.id, actor=actor, at=now)
    session.add(row)
    case.transitions.append(CaseTransition(from_status=case.status, to_status=case.status, actor=actor, at=now,
                                           note=f"call {call.reference} linked"))
    session.flush()
    return Linked(row, new=True)
