"""Helpers for the retention and data-subject tests: calls with the personal data a real one holds,
and a stand-in for Twilio's Recordings API."""
from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from twilio.base.exceptions import TwilioRestException

from casework import line_media
from models import (
    Annotation,
    Call,
    CallEvent,
    Case,
    LineChat,
    LineEvent,
    LineMedia,
    LineMessage,
    LineReport,
    Message,
    Report,
    User,
    utcnow,
)

SIDS = itertools.count(1)
CALLER = "+66812345678"


def add_call(session, number: str | None = CALLER, recording: bool = True, **fields) -> Call:
    n = next(SIDS)
    sid = f"CA{n:032d}"
    values = dict(call_sid=sid, status="completed", from_raw=number, from_e164=number, caller_country="TH" if number else None,
                  language="th", ivr_path=[], province_code="50", started_at=utcnow())
    if recording:
        values.update(recording_sid=f"RE{n:032d}", recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{n:032d}",
                      recording_duration=20)
    values.update(fields)
    call = Call(**values)
    call.events = [CallEvent(key="incoming", kind="incoming", received_at=values["started_at"],
                             params={"CallSid": sid, "From": number, "Caller": number, "FromCity": "BANGKOK", "To": "+661300"})]
    if recording:
        call.events.append(CallEvent(key=f"recording:{values['recording_sid']}:completed", kind="recording",
                                     received_at=values["started_at"],
                                     params={"CallSid": sid, "RecordingSid": values["recording_sid"],
                                             "RecordingUrl": values["recording_url"], "RecordingStatus": "completed"}))
    session.add(call)
    session.commit()
    return call


def add_case(session, call: Call | None = None, **fields) -> Case:
    values = dict(source="call" if call else "app", call_id=call.id if call else None, category="forced_labour",
                  urgency="normal", province_code="50", status="new", created_at=utcnow())
    values.update(fields)
    case = Case(**values)
    session.add(case)
    session.flush()
    case.reference = f"1300-69-{case.id:06d}"
    session.commit()
    return case


def add_author(session) -> User:
    user = User(username="somsri", password_hash="x", role="operator", active=True)
    session.add(user)
    session.commit()
    return user


def add_note(session, author: User, call: Call | None = None, case: Case | None = None, body: str = "lives near the pier"):
    note = Annotation(call_id=call.id if call else None, case_id=case.id if case else None, author_id=author.id,
                      body=body, created_at=utcnow())
    session.add(note)
    session.commit()
    return note


def add_sms(session, to: str, case: Case | None = None, direction: str = "out", dry_run: bool = False) -> Message:
    message = Message(direction=direction, sid=f"SM{next(SIDS):032d}", to_number=to, from_number="+661300",
                      body="1300-69-000001 forced labour", status="delivered", dry_run=dry_run,
                      case_id=case.id if case else None, created_at=utcnow())
    session.add(message)
    session.commit()
    return message


def add_report(session, case: Case, token_id: int, number: str = CALLER) -> Report:
    report = Report(token_id=token_id, idempotency_key=f"k{next(SIDS)}", case_id=case.id, reporter_type="app_user",
                    reporter_id="OPM-74-0042", contact_number=number, description="men kept on a boat",
                    latitude=13.5, longitude=100.2, received_at=utcnow())
    session.add(report)
    session.commit()
    return report


LINE_USER = "U" + "4f" * 16
ACCOUNT = "my brother is kept on a boat at the pier"


@dataclass
class LineHeld:
    chat: LineChat
    events: list[LineEvent]
    message: LineMessage
    report: LineReport
    media: LineMedia
    file: Path


def add_line_user(session, config, case: Case | None = None, user: str = LINE_USER) -> LineHeld:
    """A LINE user's chat as the chat leaves it: their words and an image (its file kept), the hotline's answer, and
    a report (with its case, if given)."""
    chat = session.scalars(select(LineChat).where(LineChat.line_user_id == user)).first()
    if chat is None:
        chat = LineChat(line_user_id=user, step="main", language="th", heard_at=utcnow(), started_at=utcnow())
        session.add(chat)
        session.flush()
    n = next(SIDS)
    said = LineEvent(webhook_event_id=f"01SAID{n}", type="message", line_user_id=user, reply_token="r",
                     payload={"source": {"userId": user}, "message": {"type": "text", "id": f"{n}1", "text": ACCOUNT}})
    sent = LineEvent(webhook_event_id=f"01IMAGE{n}", type="message", line_user_id=user,
                     payload={"source": {"userId": user}, "message": {"type": "image", "id": f"{n}2"}})
    session.add_all([said, sent])
    session.flush()
    message = LineMessage(chat_id=chat.id, event_id=said.id, messages=[{"type": "text", "text": "1300-69-000001"}],
                          retry_key=f"key-{n}", status="sent", attempts=1)
    report = LineReport(chat_id=chat.id, case_id=case.id if case else None, kind="forced_labour", province_code="50",
                        latitude=13.7, longitude=100.5, callback_consent=True, account=ACCOUNT)
    name = secrets.token_hex(16)
    size = line_media.write(config, name, [b"\xff\xd8 a photo of the boat"])
    media = LineMedia(event_id=sent.id, message_id=f"{n}2", kind="image", status="kept", stored_as=name,
                      content_type="image/jpeg", size=size, kept_at=utcnow())
    session.add_all([message, report, media])
    session.commit()
    return LineHeld(chat, [said, sent], message, report, media, line_media.path_of(config, name))


class Recordings:
    """Twilio's Recordings and Calls APIs as `client.recordings(sid).delete()` and `client.calls(sid).delete()` see
    them: `deleted` lists the recordings deleted, `calls_deleted` the call logs; `missing` and `failing` hold sids."""

    def __init__(self, missing=(), failing=()):
        self.deleted: list[str] = []
        self.calls_deleted: list[str] = []
        self.missing, self.failing = set(missing), set(failing)

    def recordings(self, sid: str):
        return _Deletable(self, "Recordings", sid, self.deleted)

    def calls(self, sid: str):
        return _Deletable(self, "Calls", sid, self.calls_deleted)


class _Deletable:
    def __init__(self, api: Recordings, resource: str, sid: str, deleted: list[str]):
        self.api, self.resource, self.sid, self.deleted = api, resource, sid, deleted

    def delete(self) -> bool:
        uri = f"/2010-04-01/Accounts/AC0/{self.resource}/{self.sid}.json"
        if self.sid in self.api.failing:
            raise TwilioRestException(503, uri, "Service unavailable", method="DELETE")
        if self.sid in self.api.missing:
            raise TwilioRestException(404, uri, "The requested resource was not found", code=20404, method="DELETE")
        self.deleted.append(self.sid)
        return True
