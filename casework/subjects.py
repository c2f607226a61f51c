"""Data-subject requests (PDPA): everything held for one phone number, to show, export or erase.

What an open case needs stays, and so does a closed case's file until its retention period ends
(casework/retention.py); every record kept is listed with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.orm import Session

from models import Annotation, Call, Case, Contact, LinkedCall, Message, Report
from models.phones import read_caller
from models.vocabulary import OPEN_STATUSES

from . import retention


@dataclass
class Holdings:
    number: str
    calls: list[Call] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    notes: list[Annotation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    linked: dict[int, int] = field(default_factory=dict)  # call id -> the case it is linked to (casework.linking)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("calls", "cases", "reports", "notes", "messages", "contacts")}

    def case_of_call(self, call: Call) -> Case | None:
        return next((case for case in self.cases if case.call_id == call.id or case.id == self.linked.get(call.id)),
                    None)


def normalise(number: str) -> str | None:
    """E.164, as the call log stores it; None when it is no phone number."""
    return read_caller(number).e164


def find(session: Session, number: str) -> Holdings:
    held = Holdings(number)
    held.calls = list(session.scalars(select(Call).where(Call.from_e164 == number).order_by(Call.id)))
    held.reports = list(session.scalars(select(Report).where(Report.contact_number == number).order_by(Report.id)))
    call_ids = [call.id for call in held.calls]
    report_cases = [report.case_id for report in held.reports if report.case_id]
    held.linked = dict(session.execute(select(LinkedCall.call_id, LinkedCall.case_id)
                                       .where(LinkedCall.call_id.in_(call_ids))).all())
    held.cases = list(session.scalars(select(Case).where(
        or_(Case.call_id.in_(call_ids), Case.id.in_(report_cases), Case.id.in_(list(held.linked.values()))))
        .order_by(Case.id)))
    case_ids = [case.id for case in held.cases]
    held.notes = list(session.scalars(select(Annotation).where(
        or_(Annotation.call_id.in_(call_ids), Annotation.case_id.in_(case_ids))).order_by(Annotation.id)))
    held.messages = list(session.scalars(select(Message).where(
        or_(Message.to_number == number, Message.from_number == number)).order_by(Message.id)))
    held.contacts = list(session.scalars(select(Contact).where(Contact.phone == number).order_by(Contact.id)))
    return held


def _row(obj) -> dict:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(obj).mapper.column_attrs}


def export(held: Holdings) -> dict:
    """Everything held, as JSON-ready data (times stay datetimes: dump with `default=str`)."""
    calls = [{**_row(call), "events": [_row(event) for event in call.events]} for call in held.calls]
    return {"number": held.number, "calls": calls, "cases": [_row(case) for case in held.cases],
            "reports": [_row(r) for r in held.reports], "notes": [_row(n) for n in held.notes],
            "sms": [_row(m) for m in held.messages], "contacts": [_row(c) for c in held.contacts]}


@dataclass
class Erasure:
    erased: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("numbers_blanked", "recordings_deleted", "notes_deleted", "report_numbers_blanked", "sms_deleted"), 0))
    kept: list[str] = field(default_factory=list)


def erase(session: Session, held: Holdings, config, client=None) -> Erasure:
    """Erase what no open case and no closed case file needs; the caller commits."""
    done = Erasure()
    years = config.RETENTION_CLOSED_CASE_YEARS
    open_cases = {case.id for case in held.cases if case.status in OPEN_STATUSES}
    for call in held.calls:
        case = held.case_of_call(call)
        if case is not None and case.id in open_cases:
            done.kept.append(f"call {call.id}: case {case.reference} is open; its number, voice message and notes "
                             "stay while the case is worked on")
            continue
        if call.recording_sid or call.recording_url:
            if retention.delete_at_twilio(client, retention.recording_sid(call)):
                retention.forget_recording(call)
                done.erased["recordings_deleted"] += 1
            else:
                done.kept.append(f"call {call.id}: Twilio did not confirm deleting the voice message; run erase again")
        if retention.delete_at_twilio(client, retention.twilio_call_sid(call), "calls"):
            retention.blank_number(call)
            done.erased["numbers_blanked"] += 1
        else:
            done.kept.append(f"call {call.id}: Twilio did not confirm deleting its log of the call, which holds the "
                             "number; run erase again")
        done.erased["notes_deleted"] += session.execute(
            delete(Annotation).where(Annotation.call_id == call.id, Annotation.case_id.is_(None)),
            execution_options={"synchronize_session": False}).rowcount
        if case is not None:
            done.kept.append(f"case {case.reference} (closed): the case file (kind, place, outcome, case notes) is "
                             f"kept {years} years after closing, then anonymised (RETENTION_CLOSED_CASE_YEARS)")
    for report in held.reports:
        if report.case_id in open_cases:
            done.kept.append(f"report {report.id}: its case is open; the contact number stays for a call back")
            continue
        report.contact_number, report.callback_consent = None, None
        done.erased["report_numbers_blanked"] += 1
    for message in held.messages:
        if message.case_id in open_cases:
            done.kept.append(f"sms {message.id}: part of an open case's escalation")
            continue
        session.delete(message)
        done.erased["sms_deleted"] += 1
    for contact in held.contacts:
        done.kept.append(f"contact {contact.id} ({contact.centre.code}, level {contact.level}): a field team's work "
                         "number; remove it from data/contacts.csv and run `flask centres load`")
    return done
