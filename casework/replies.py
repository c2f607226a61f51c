"""Field teams answer by SMS: first the ACK, then what they did, on the same thread (issue 19).

The ACK, as before: "ACK 4821", "ack4821", "รับ ๔๘๒๑", "OK", "โอเค", the full reference, or a bare "ACK" when one
case waits for the sender. Any reply naming a case that still waits acknowledges it.

Progress, once there: a word first, then the case's 4-digit code (or its reference), then the rest.

    ARRIVED | ARRIVE | ถึงแล้ว | ถึง   <code> [text]             arrived: an acknowledged case goes in progress
    DONE | เสร็จ(แล้ว) | ปิด(เคส|งาน)  <code> <outcome> [text]   done: the case closes with that outcome
        RESCUED [N] | ช่วยเหลือ [N]                        rescued_assisted, N people rescued (may be left out)
        REFERRED | ส่งต่อ                                   referred_agency
        NOTRAFFICKING | NO TRAFFICKING | ไม่พบการค้ามนุษย์   no_trafficking
        NOTFOUND | NOT FOUND | ไม่พบ                        not_found
    NOTE | บันทึก   <code> <text>                          a note: the text
    any other text naming the code of a case already taken: a note, the whole text (ACK words alone are not one)

Case, spaces (none needed between word and code), Thai digits and ":", "#", "-", "." around the code are
forgiven. A word must come first, so "ยังไม่ถึง 4821" (not there yet) is a note, never an arrival; a word not
followed by a code is read as plain text, and "NOTE 4821" with nothing after it as a bare code. DONE without an
outcome it knows gets the list of outcomes and changes nothing (a case is not closed on a guess); a report on a
closed case gets "already closed" and changes nothing either.
A progress word on a case still waiting acknowledges it first: a team that is there has taken the case, and a
second SMS from the field, or a case left late on the dashboard, would help nobody.

Who: a reply (an ACK or a report) counts only from an active contact texted in the case's current ladder run
(the one that acknowledged, or another texted for its present centre) whose SMS was not withdrawn (superseded,
cancelled): not from a centre the case has left, whose acknowledger's SMS stays "acknowledged". Anyone else gets
the same help as an unknown code, which says nothing of whether that case exists.
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

from . import field_reports, ladder
from .escalation_sms import PERMANENT_CODES
from .wording import (
    HELP_SMS,
    already_acknowledged_sms,
    closed_sms,
    confirmation_sms,
    done_help_sms,
    reported_sms,
    several_cases_sms,
)

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
KEYWORD = re.compile(r"\b(ack|ok)|รับ|โอเค")
REFERENCE = re.compile(r"1300\D{0,3}\d{2}\D{0,3}(?P<case_id>\d{6})(?!\d)")
CODE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
SEP = r"[\s:#.,\-]*"
WORD = re.compile(r"\s*(?:(?P<arrived>ถึงแล้ว|ถึง|arrived|arrive)|(?P<done>เสร็จแล้ว|เสร็จ|ปิดเคส|ปิดงาน|ปิด|done)"
                  r"|(?P<note>บันทึก|note))(?![a-z])" + SEP, re.IGNORECASE)
TARGET = re.compile(rf"(?:{REFERENCE.pattern}|(?P<code>\d{{4}})(?!\d)){SEP}")
OUTCOME = re.compile(r"(?:(?P<rescued_assisted>rescued|rescue|ช่วยเหลือ)" + SEP + r"(?P<count>\d{1,4}(?!\d))?"
                     r"|(?P<referred_agency>referred|refer|ส่งต่อ)|(?P<no_trafficking>no\s*trafficking|ไม่พบ\s*การค้ามนุษย์)"
                     r"|(?P<not_found>not\s*found|ไม่พบ))(?![a-z])" + SEP, re.IGNORECASE)
ACK_ONLY = re.compile(r"(?:[\s.,:;!?#\-]|ack|okay|ok|รับทราบ|รับ|โอเค|ครับ|ค่ะ|คะ|ค่า)*", re.IGNORECASE)
REPLY_WORDS = {"arrived": "ARRIVED", "done": "DONE", "note": "NOTE"}  # to ask which case, in the words above
OUTCOMES_SAID = ("rescued_assisted", "referred_agency", "no_trafficking", "not_found")
MAX_BODY = 1600  # Twilio's longest message
# Texted to a ladder the case has left, or to a contact since withdrawn (superseded); never sent (cancelled).
NOT_ANSWERABLE = ("superseded", "cancelled")
SIMULATED_PREFIX = "SIM"  # the sid of a reply typed in the console's dry run; Twilio's are SM…


@dataclass(frozen=True)
class Reply:
    case_id: int | None = None  # from a full reference
    code: str | None = None  # the 4-digit ACK code
    keyword: bool = False
    report: str | None = None  # arrived, done, note: a progress word came first
    outcome: str | None = None  # done's outcome, if one was understood
    rescued: int | None = None
    text: str = ""  # a report's words after the code (or the outcome); free text beyond ACK words and the code


def parse(body: str) -> Reply:
    text = (body or "").translate(THAI_DIGITS)  # one for one: positions in `text` are positions in `body`
    report = _progress(body or "", text)
    if report:
        return report
    reference = REFERENCE.search(text)
    found = reference or CODE.search(text)
    free = (text[:found.start()] + " " + text[found.end():]) if found else text
    free_text = "" if ACK_ONLY.fullmatch(free) else (body or "").strip()[:MAX_BODY]
    if reference:
        return Reply(case_id=int(reference.group(1)), keyword=True, text=free_text)
    return Reply(code=found.group(1) if found else None, keyword=bool(KEYWORD.search(text.lower())), text=free_text)


def _progress(body: str, text: str) -> Reply | None:
    word = WORD.match(text)
    target = TARGET.match(text, word.end()) if word else None
    if target is None:
        return None
    case_id, code = target.group("case_id"), target.group("code")
    rest = text[target.end():]
    if word.lastgroup == "done":
        said = OUTCOME.match(rest)
        if said is None:
            return Reply(case_id=int(case_id) if case_id else None, code=code, report="done")
        outcome = next(name for name in OUTCOMES_SAID if said.group(name))
        count = said.group("count") if outcome == "rescued_assisted" else None
        rest = rest[said.end():]
        return Reply(case_id=int(case_id) if case_id else None, code=code, report="done", outcome=outcome,
                     rescued=int(count) if count else None, text=_said(body, text, rest))
    if word.lastgroup == "note" and not rest.strip():
        return Reply(case_id=int(case_id) if case_id else None, code=code)  # "NOTE 4821" alone: a bare code
    return Reply(case_id=int(case_id) if case_id else None, code=code, report=word.lastgroup,
                 text=_said(body, text, rest))


def _said(body: str, text: str, rest: str) -> str:
    """The rest as the team wrote it (Thai digits and all)."""
    return body[len(text) - len(rest):].strip()[:MAX_BODY]


@dataclass
class Answer:
    text: str
    case: Case | None = None
    acknowledged: bool = False
    reported: str | None = None  # a field report's kind, once recorded


def answer(session: Session, sender: str | None, body: str, sid: str, simulated_by: str | None = None) -> Answer:
    """Match a reply to the sender's escalations, acknowledge the case it names and record what it reports
    (in `simulated_by`'s name when a person typed it in the sender's place). `sid`: the incoming message's."""
    phone = read_caller(sender).e164
    reply = parse(body)
    contacts = list(session.scalars(select(Contact).where(Contact.phone == phone, Contact.active.is_(True)))) if phone else []
    if not contacts or not (reply.case_id or reply.code or reply.keyword):
        return Answer(HELP_SMS)
    cases = _named(_cases_escalated_to(session, [c.id for c in contacts]), reply)
    if len(cases) > 1:
        return Answer(several_cases_sms(cases, REPLY_WORDS.get(reply.report, "ACK")))
    if not cases:
        return Answer(HELP_SMS)
    case, contact = cases[0], _contact_for(cases[0], contacts)
    if reply.report:
        return _report(session, case, contact, reply, sid, simulated_by)
    if reply.text and not case.waiting:  # free text about a case already taken: a note
        return _report(session, case, contact, Reply(report="note", text=reply.text), sid, simulated_by)
    if not ladder.acknowledge(session, case, contact, simulated_by):
        return Answer(already_acknowledged_sms(case), case)
    return Answer(confirmation_sms(case), case, acknowledged=True)


def _report(session: Session, case: Case, contact: Contact, reply: Reply, sid: str, simulated_by: str | None) -> Answer:
    if case.status == "closed":
        return Answer(closed_sms(case), case)
    if reply.report == "done" and reply.outcome is None:
        return Answer(done_help_sms(case), case)
    acknowledged = ladder.acknowledge(session, case, contact, simulated_by)  # reported before the ACK: taken now
    field_reports.record(session, case, contact, sid, simulated_by or f"contact:{contact.id}", reply.report,
                         outcome=reply.outcome, rescued=reply.rescued, body=reply.text or None)
    return Answer(reported_sms(case, reply.report), case, acknowledged=acknowledged, reported=reply.report)


def _named(cases: list[Case], reply: Reply) -> list[Case]:
    if reply.case_id:
        return [c for c in cases if c.id == reply.case_id]
    if reply.code:
        # Codes repeat every 10,000 cases: a sender's old, settled case may share one with the case that waits now.
        named = [c for c in cases if c.ack_code == reply.code]
        return _waiting(named) or [c for c in named if c.status != "closed"] or named
    return _waiting(cases)  # a bare "ACK" is clear only when one case waits for this sender


def _waiting(cases: list[Case]) -> list[Case]:
    return [c for c in cases if c.waiting]


def _cases_escalated_to(session: Session, contact_ids: list[int]) -> list[Case]:
    """The cases these contacts may answer: texted in the case's current ladder run and not withdrawn."""
    return list(session.scalars(
        select(Case).join(Escalation, Escalation.case_id == Case.id)
        .where(Escalation.contact_id.in_(contact_ids), Escalation.status.not_in(NOT_ANSWERABLE),
               Escalation.ladder_run == Case.ladder_run)
        .distinct().order_by(Case.id)))


def _contact_for(case: Case, contacts: list[Contact]) -> Contact:
    """The sender's contact row that this case was escalated to (a person may sit at two levels)."""
    escalated = {e.contact_id for e in case.escalations
                 if e.status not in NOT_ANSWERABLE and e.ladder_run == case.ladder_run}
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
    return _answered(session, sid, sender, to, answer(session, sender, body, sid))


def simulate(session: Session, contact: Contact, body: str, by: str) -> Answer:
    """A reply typed by a person in a field team's place, for a dry run only (the caller makes sure no real SMS
    are sent): logged as simulated, and an ACK it carries is recorded as `by`'s, not as the contact's."""
    sid = SIMULATED_PREFIX + secrets.token_hex(16)
    session.add(Message(direction="in", sid=sid, to_number="", from_number=contact.phone, body=body,
                        status="received", dry_run=True, created_at=utcnow()))
    session.flush()
    return _answered(session, sid, contact.phone, "", answer(session, contact.phone, body, sid, simulated_by=by),
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
