"""Field teams answer by SMS: "ACK 4821", "ack4821", "รับ ๔๘๒๑", or the full reference.

The parser forgives case, spaces and Thai digits; a reply counts only when its
sender was sent an escalation for the case it names.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, Contact, Escalation, Message, utcnow
from models.phones import read_caller
from models.upsert import insert_ignore

from . import ladder
from .escalation_sms import PERMANENT_CODES
from .wording import HELP_SMS, already_acknowledged_sms, confirmation_sms, several_cases_sms

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
KEYWORD = re.compile(r"\b(ack|ok)|รับ|โอเค")
REFERENCE = re.compile(r"1300\D{0,3}\d{2}\D{0,3}(\d{6})(?!\d)")
CODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
# Texted to a ladder the case has left, or to a contact since withdrawn (superseded); never sent (cancelled).
NOT_ANSWERABLE = ("superseded", "cancelled")
SIMULATED_PREFIX = "SIM"  # the sid of a reply typed in the console's dry run; Twilio's are SM…


@dataclass(frozen=True)
class Reply:
    case_id: int | None = None  # from a full reference
    code: str | None = None  # the 4-digit ACK code
    keyword: bool = False


def parse(body: str) -> Reply:
    text = (body or "").translate(THAI_DIGITS).lower()
    reference = REFERENCE.search(text)
    if reference:
        return Reply(case_id=int(reference.group(1)), keyword=True)
    code = CODE.search(text)
    return Reply(code=code.group(1) if code else None, keyword=bool(KEYWORD.search(text)))


@dataclass
class Answer:
    text: str
    case: Case | None = None
    acknowledged: bool = False


def answer(session: Session, sender: str | None, body: str, simulated_by: str | None = None) -> Answer:
    """Match a reply to the sender's escalations and acknowledge the case it names (in `simulated_by`'s name when a
    person typed it in the sender's place)."""
    phone = read_caller(sender).e164
    reply = parse(body)
    contacts = list(session.scalars(select(Contact).where(Contact.phone == phone, Contact.active.is_(True)))) if phone else []
    if not contacts or not (reply.case_id or reply.code or reply.keyword):
        return Answer(HELP_SMS)
    cases = _cases_escalated_to(session, [c.id for c in contacts])
    if reply.case_id:
        cases = [c for c in cases if c.id == reply.case_id]
    elif reply.code:
        # Codes repeat every 10,000 cases: a sender's old, settled case may share one with the case that waits now.
        named = [c for c in cases if c.ack_code == reply.code]
        cases = _waiting(named) or named
    else:  # a bare "ACK" is clear only when one case waits for this sender
        cases = _waiting(cases)
    if len(cases) > 1:
        return Answer(several_cases_sms(cases))
    if not cases:
        return Answer(HELP_SMS)
    case = cases[0]
    contact = _contact_for(case, contacts)
    if not ladder.acknowledge(session, case, contact, simulated_by):
        return Answer(already_acknowledged_sms(case), case)
    return Answer(confirmation_sms(case), case, acknowledged=True)


def _waiting(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.waiting]


def _cases_escalated_to(session: Session, contact_ids: list[int]) -> list[Case]:
    return list(session.scalars(
        select(Case).join(Escalation, Escalation.case_id == Case.id)
        .where(Escalation.contact_id.in_(contact_ids), Escalation.status.not_in(NOT_ANSWERABLE))
        .distinct().order_by(Case.id)))


def _contact_for(case: Case, contacts: list[Contact]) -> Contact:
    """The sender's contact row that this case was escalated to (a person may sit at two levels)."""
    escalated = {e.contact_id for e in case.escalations if e.status not in NOT_ANSWERABLE}
    return next(c for c in contacts if c.id in escalated)


# --- the two SMS webhooks' writes, usable from a request or from the spool ------

RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5, "undelivered": 5, "failed": 5}
FAILED = {"failed", "undelivered"}


def receive(session: Session, form: dict) -> Answer | None:
    """Log an inbound SMS once and answer it; None for a retried webhook (already answered)."""
    sid = form.get("MessageSid", "")[:64]
    sender, body, to = form.get("From", "")[:64], form.get("Body", ""), form.get("To", "")[:64]
    if not sid or not insert_ignore(session, Message, ["sid"], direction="in", sid=sid, to_number=to,
                                    from_number=sender, body=body, status="received", created_at=utcnow()):
        return None
    return _answered(session, sid, sender, to, answer(session, sender, body))


def simulate(session: Session, contact: Contact, body: str, by: str) -> Answer:
    """A reply typed by a person in a field team's place, for a dry run only (the caller makes sure no real SMS
    are sent): logged as simulated, and an ACK it carries is recorded as `by`'s, not as the contact's."""
    sid = SIMULATED_PREFIX + secrets.token_hex(16)
    session.add(Message(direction="in", sid=sid, to_number="", from_number=contact.phone, body=body,
                        status="received", dry_run=True, created_at=utcnow()))
    session.flush()
    return _answered(session, sid, contact.phone, "", answer(session, contact.phone, body, simulated_by=by),
                     dry_run=True)


def _answered(session: Session, sid: str, sender: str, to: str, result: Answer, dry_run: bool = False) -> Answer:
    case_id = result.case.id if result.case else None
    session.scalar(select(Message).where(Message.sid == sid)).case_id = case_id
    session.add(Message(direction="out", to_number=sender, from_number=to, body=result.text, status="twiml",
                        dry_run=dry_run, case_id=case_id, created_at=utcnow()))
    return result


def delivery(session: Session, config, form: dict) -> list[str]:
    """Record a delivery status; a failed escalation SMS fails over. Returns outbox job ids."""
    sid, state = form.get("MessageSid", "")[:64], form.get("MessageStatus", "").lower()[:16]
    code = form.get("ErrorCode", "")[:16] or None
    if not sid:
        return []
    message = session.scalar(select(Message).where(Message.sid == sid))
    if message is not None and RANK.get(state, -1) >= RANK.get(message.status, -1):
        message.status, message.error_code = state, code
    attempt = session.scalar(select(Escalation).where(Escalation.message_sid == sid))
    if attempt is None or attempt.status in ("acknowledged", "cancelled", "failed", "undelivered", "superseded"):
        return []
    if state == "delivered":
        attempt.status, attempt.delivered_at = "delivered", attempt.delivered_at or utcnow()
    if state not in FAILED:
        return []
    attempt.status, attempt.error_code = state, code
    if code and code.isdigit() and int(code) in PERMANENT_CODES:
        attempt.contact.unreachable_reason = f"Twilio {code}"
    return ladder.fail_over(session, config, attempt)
