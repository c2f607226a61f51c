"""Data-subject requests (PDPA): everything held for one phone number, or for one LINE user id (issue 17), to
show, export or erase.

What an open case needs stays, and so does a closed case's file until its retention period ends
(casework/retention.py); every record kept is listed with the reason. A LINE user's chat is like a caller's call:
while one of its reports has an open case, the whole thread stays (the operator may still answer them); else their
images and files are deleted, what they wrote and what was sent to them blanked, and their id replaced in the chat
(nothing can be sent to it again); the cases stay, with no personal data from the chat.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, inspect, or_, select
from sqlalchemy.orm import Session

from models import (
    Annotation,
    Call,
    Case,
    Contact,
    LineChat,
    LineEvent,
    LineMedia,
    LineMessage,
    LineReport,
    LinkedCall,
    Message,
    Report,
    utcnow,
)
from models.line_ids import LINE_USER_ID
from models.phones import read_caller
from models.vocabulary import OPEN_STATUSES

from . import line_media, retention

LINE_COUNTS = ("line_chats", "line_events", "line_messages", "line_reports", "line_media")


@dataclass
class Holdings:
    number: str | None  # the subject's phone number, or None for a LINE user (`line_user`)
    calls: list[Call] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    notes: list[Annotation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    linked: dict[int, int] = field(default_factory=dict)  # call id -> the case it is linked to (casework.linking)
    line_user: str | None = None
    line_chats: list[LineChat] = field(default_factory=list)
    line_events: list[LineEvent] = field(default_factory=list)
    line_messages: list[LineMessage] = field(default_factory=list)
    line_reports: list[LineReport] = field(default_factory=list)
    line_media: list[LineMedia] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        names = ("cases", *LINE_COUNTS) if self.line_user else ("calls", "cases", "reports", "notes", "messages",
                                                                   "contacts")
        return {name: len(getattr(self, name)) for name in names}

    def case_of_call(self, call: Call) -> Case | None:
        return next((case for case in self.cases if case.call_id == call.id or case.id == self.linked.get(call.id)),
                    None)


def normalise(number: str) -> str | None:
    """E.164, as the call log stores it; None when it is no phone number."""
    return read_caller(number).e164


def line_user_id(text: str) -> str | None:
    """A LINE user id as LINE writes it (U and 32 hex digits); None when it is not one."""
    text = (text or "").strip()
    return text if LINE_USER_ID.fullmatch(text) else None


def find_line_user(session: Session, user: str) -> Holdings:
    held = Holdings(None, line_user=user)
    held.line_chats = list(session.scalars(select(LineChat).where(LineChat.line_user_id == user)))
    chat_ids = [chat.id for chat in held.line_chats]
    held.line_events = list(session.scalars(select(LineEvent).where(LineEvent.line_user_id == user)
                                            .order_by(LineEvent.id)))
    held.line_messages = list(session.scalars(select(LineMessage).where(LineMessage.chat_id.in_(chat_ids))
                                              .order_by(LineMessage.id)))
    held.line_reports = list(session.scalars(select(LineReport).where(LineReport.chat_id.in_(chat_ids))
                                             .order_by(LineReport.id)))
    held.line_media = list(session.scalars(select(LineMedia).where(
        LineMedia.event_id.in_([event.id for event in held.line_events])).order_by(LineMedia.id)))
    held.cases = list(session.scalars(select(Case).where(
        Case.id.in_([report.case_id for report in held.line_reports if report.case_id])).order_by(Case.id)))
    return held


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
    """Everything held, as JSON-ready data (times stay datetimes: dump with `default=str`). A LINE user's images
    and files are listed (kind, name, size, type, where under MEDIA_DIR); the files themselves are copied by hand."""
    if held.line_user:
        return {"line_user": held.line_user, "cases": [_row(case) for case in held.cases],
                **{name: [_row(row) for row in getattr(held, name)] for name in LINE_COUNTS}}
    calls = [{**_row(call), "events": [_row(event) for event in call.events]} for call in held.calls]
    return {"number": held.number, "calls": calls, "cases": [_row(case) for case in held.cases],
            "reports": [_row(r) for r in held.reports], "notes": [_row(n) for n in held.notes],
            "sms": [_row(m) for m in held.messages], "contacts": [_row(c) for c in held.contacts]}


@dataclass
class Erasure:
    erased: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("numbers_blanked", "recordings_deleted", "notes_deleted", "report_numbers_blanked", "sms_deleted",
         "line_media_deleted", "line_events_blanked", "line_messages_blanked", "line_reports_blanked",
         "line_chats_erased"), 0))
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


def erase_line_user(session: Session, held: Holdings, config) -> Erasure:
    """Erase what a LINE user sent and was sent, unless an open case still needs the thread; the caller commits."""
    done = Erasure()
    open_cases = [case.reference for case in held.cases if case.status in OPEN_STATUSES]
    if open_cases:
        done.kept.append(f"LINE chat: case {', '.join(open_cases)} is open; the whole thread (what they wrote and "
                         "sent, their id) stays while the case is worked on")
        return done
    now = utcnow()
    for media in held.line_media:
        line_media.forget(config, media)
        session.delete(media)
        done.erased["line_media_deleted"] += 1
    for event in held.line_events:
        retention.blank_line_event(event, now)
        done.erased["line_events_blanked"] += 1
    for message in held.line_messages:
        retention.blank_line_message(message, now)
        done.erased["line_messages_blanked"] += 1
    for report in held.line_reports:
        retention.blank_line_report(report)
        done.erased["line_reports_blanked"] += 1
    for chat in held.line_chats:
        chat.line_user_id = f"erased-{secrets.token_hex(8)}"  # unique and no one's: nothing is sent to it again
        for column, value in retention.forgotten_chat(now).items():
            setattr(chat, column, value)
        done.erased["line_chats_erased"] += 1
    for case in held.cases:
        done.kept.append(f"case {case.reference} (closed): the case file (kind, place, outcome) is kept "
                         f"{config.RETENTION_CLOSED_CASE_YEARS} years after closing (RETENTION_CLOSED_CASE_YEARS)")
    return done
