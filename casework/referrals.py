"""Referrals: another agency told about a case (police 191, the anti-trafficking police, DSI, a shelter, an embassy,
an NGO), and its answer. The status follows `models.vocabulary.REFERRAL_NEXT` (requested -> accepted or declined;
accepted -> done); every change is a step with who, when and an optional note."""
from __future__ import annotations

from sqlalchemy.orm import Session

from models import Case, Referral, ReferralStep, utcnow
from models.vocabulary import AGENCIES, REFERRAL_NEXT

DETAIL_MAX = 200  # the column's width


def refer(session: Session, case: Case, agency: str, detail: str | None, actor: str) -> Referral:
    """A new referral of the case, requested now by `actor`."""
    if agency not in AGENCIES:
        raise ValueError(f"unknown agency {agency!r}: one of {', '.join(AGENCIES)}")
    detail = (detail or "").strip() or None
    if detail is not None and len(detail) > DETAIL_MAX:
        raise ValueError(f"a referral's detail may be at most {DETAIL_MAX} characters")
    now = utcnow()
    referral = Referral(case_id=case.id, agency=agency, detail=detail, status="requested", created_at=now)
    referral.steps.append(ReferralStep(status="requested", actor=actor, at=now))
    session.add(referral)
    session.flush()
    return referral


def advance(session: Session, referral: Referral, status: str, actor: str, note: str | None = None) -> ReferralStep:
    """Move the referral to `status`, if its order allows it from where it is; a ValueError otherwise."""
    if status not in REFERRAL_NEXT.get(referral.status, set()):
        raise ValueError(f"a {referral.status} referral cannot become {status}")
    step = ReferralStep(status=status, actor=actor, note=(note or "").strip() or None, at=utcnow())
    referral.steps.append(step)
    referral.status = status
    session.flush()
    return step
