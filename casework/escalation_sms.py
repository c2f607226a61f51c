"""One escalation SMS, attempt by attempt: claimed and committed as 'sending' before it goes out, recorded once
the sender answers. The sender itself (Twilio's REST client, or a dry run) is the workers'; it raises
`SmsUnavailable` (try again later) or `SmsRefused` (this message will never go) and answers a `Sent`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import geothai
from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from models import Case, Contact, Escalation, Message, utcnow

from . import work
from .wording import escalation_sms

# Twilio codes meaning this number will never get our SMS (from the API answer or a status callback's
# ErrorCode): the contact is marked unreachable and the ladder goes on without them.
PERMANENT_CODES = {
    21211: "invalid 'To' number",
    21217: "phone number does not appear to be valid",
    21265: "'To' is a short code",
    21266: "'To' and 'From' are the same number",
    21268: "'To' is a premium-rate number",
    21610: "recipient replied STOP (unsubscribed)",
    21612: "Twilio cannot route from our sender to this number",
    21614: "'To' is not a mobile number",
    21635: "'To' is a landline",
    30005: "unknown handset: number not in service",
    30006: "landline or unreachable carrier",
}


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str
    dry_run: bool


class SmsUnavailable(RuntimeError):
    """The SMS provider is busy or unreachable (429, 5xx, timeout, connection): try again later."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class SmsRefused(RuntimeError):
    """The provider refused this message for good; `code` is Twilio's error code when it sent one."""

    def __init__(self, code: int | None, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    @property
    def number_unreachable(self) -> bool:
        return self.code in PERMANENT_CODES


class Sender(Protocol):
    def send(self, to: str, body: str, status_callback: str | None) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        """A message an interrupted attempt may already have sent (the provider has no idempotency key)."""


@dataclass(frozen=True)
class Outgoing:
    """An SMS whose attempt is committed as 'sending' and whose outbox item this process has claimed."""
    escalation_id: int
    to: str
    body: str
    since: datetime
    case_id: int
    reference: str | None
    interrupted: bool = False  # an earlier run died or timed out mid-send: look at the provider first

    @property
    def job_id(self) -> str:
        return work.send_escalation(self.escalation_id).job_id


def status_callback(config) -> str | None:
    return f"{config.PUBLIC_BASE_URL.rstrip('/')}/sms/status" if config.PUBLIC_BASE_URL else None


def take(session: Session, config, case: Case, job_ids: list[str]) -> list[Outgoing]:
    """In a ladder step's own transaction: claim its new SMS items and mark their attempts 'sending', so that
    they go out from this process right after the commit (as `prepare` would, one transaction each). A run
    that dies meanwhile leaves them to the sweep, and its re-run looks at the provider before sending."""
    ids = {work.escalation_of(job_id): job_id for job_id in job_ids}
    ids.pop(None, None)
    taken = work.claim_all(session, list(ids.values()))
    if not taken:
        return []
    rows = session.execute(select(Escalation.id, Contact.phone, Escalation.created_at)
                           .join(Contact, Contact.id == Escalation.contact_id)
                           .where(Escalation.id.in_([i for i, job_id in ids.items() if job_id in taken]),
                                  Escalation.status == "pending").order_by(Escalation.id)).all()
    if not rows:
        return []
    session.execute(update(Escalation).where(Escalation.id.in_([row.id for row in rows]))
                    .values(status="sending").execution_options(synchronize_session=False))
    body = escalation_sms(case, district_name(case), config.PUBLIC_BASE_URL)
    return [Outgoing(row.id, row.phone, body, row.created_at, case.id, case.reference) for row in rows]


def prepare(session: Session, config, escalation_id: int) -> Outgoing | None:
    """The attempt, committed as 'sending' with this transaction; None when nothing is left to send (sent
    meanwhile, or the case was taken: then it is cancelled) and its outbox item is done."""
    attempt = session.get(Escalation, escalation_id, options=[joinedload(Escalation.case), joinedload(Escalation.contact)])
    case, contact = attempt.case, attempt.contact
    if attempt.status not in ("pending", "sending") or not case.waiting:
        if attempt.status in ("pending", "sending"):
            attempt.status = "cancelled"
        work.mark_done(session, work.send_escalation(escalation_id).job_id)
        return None
    interrupted = attempt.status == "sending"
    attempt.status = "sending"
    return Outgoing(escalation_id, contact.phone, escalation_sms(case, district_name(case), config.PUBLIC_BASE_URL),
                    attempt.created_at, case.id, case.reference, interrupted)


def record_sent(session: Session, config, out: Outgoing, sent: Sent) -> None:
    # 'sent' only from 'sending': a status callback or an acknowledgement may have moved it on meanwhile.
    session.execute(update(Escalation).where(Escalation.id == out.escalation_id)
                    .values(message_sid=sent.sid, sent_at=utcnow(),
                            status=sql_case((Escalation.status == "sending", "sent"), else_=Escalation.status))
                    .execution_options(synchronize_session=False))
    session.add(Message(direction="out", sid=sent.sid, to_number=out.to, from_number=config.TWILIO_FROM_NUMBER,
                        body=out.body, status=sent.status, dry_run=sent.dry_run, escalation_id=out.escalation_id,
                        case_id=out.case_id, created_at=utcnow()))
    work.mark_done(session, out.job_id)


def record_refused(session: Session, out: Outgoing, error: SmsRefused) -> Escalation:
    """The attempt failed for good (and its number, when the provider says it is unreachable)."""
    attempt = session.get(Escalation, out.escalation_id)
    attempt.status, attempt.error_code = "failed", str(error.code or error.status or "")[:16] or None
    if error.number_unreachable:
        attempt.contact.unreachable_reason = f"Twilio {error.code}: {error.message}"[:120]
    work.mark_done(session, out.job_id)
    return attempt


def district_name(case: Case) -> str | None:
    district = geothai.district(case.district_code) if case.district_code else None
    return district.name_th if district else None
