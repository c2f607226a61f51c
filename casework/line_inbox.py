"""A person on the other end of the LINE chat (issue 17): the chats waiting for an operator, the whole thread of
one, and what an operator does with it (take it, reply, open or link its case, end it). The bot stays silent while
a chat waits (casework.line_chat); ending it gives the menu back to the bot.

A chat waits from the moment it asked for a person (`person_asked_at`: talk to a person, other help, or danger now,
which keeps asking the menu's questions while a person comes) until an operator ends it. The inbox puts someone in
danger now first, whatever their language (an operator can bring an interpreter), then the chats in the operator's
own languages (their desk profile), then the rest; oldest first within each.

Message texts are the person's: they appear in the thread, never in a log line or an audit reason."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, LineChat, LineEvent, LineMedia, LineMessage, LineReport, User, utcnow
from models.line import simulated
from models.vocabulary import OPEN_STATUSES, TRAINING

from . import line_chat, line_report, line_words, training
from .intake import Opened
from .line_menu import plain

MAX_REPLY = 5000  # characters: LINE's limit for one text message
MAX_THREAD = 500  # the newest items of a very long chat; the page says when older ones are left out
PERSON_SAYS = {"text", "location", "image", "video", "audio", "file", "sticker"}  # the rest shows as "message"


class Refused(Exception):
    """The chat cannot do this now; `why` names the reason for the console's words."""

    def __init__(self, why: str, reference: str | None = None):
        super().__init__(why)
        self.why, self.reference = why, reference


@dataclass(frozen=True)
class Waiting:
    chat: LineChat
    urgent: bool
    speaks_my_language: bool
    reference: str | None
    taken_by: str | None  # the username of the operator who has it


@dataclass
class Said:
    """One line of the thread: the person's (`from_` "person"), the bot's, or an operator's."""

    at: datetime
    from_: str  # person | bot | operator
    kind: str  # text, location, image, ... (the person's); text (the hotline's); follow, unfollow
    text: str = ""
    buttons: list[str] = field(default_factory=list)
    by: str | None = None  # the operator's username
    status: str | None = None  # the hotline's message: pending, sent, dry-run, failed, refused
    media_id: int | None = None  # an image, voice note, video or file kept (casework.line_media): played in the console


def masked(line_user_id: str | None) -> str:
    """`U…4f2a`: enough to tell two chats apart on one screen, never the whole id (it is personal data)."""
    if not line_user_id:
        return "–"
    return f"{line_user_id[0]}…{line_user_id[-4:]}"


def waiting(session: Session, languages: list[str] | None = None) -> list[Waiting]:
    """The chats waiting for a person, in the order an operator should answer them (see the module's docstring)."""
    mine = set(languages or [])
    chats = session.scalars(select(LineChat).where(LineChat.person_asked_at.is_not(None))
                            .order_by(LineChat.person_asked_at, LineChat.id)).all()
    references = _references(session, [chat.id for chat in chats])
    names = dict(session.execute(select(User.id, User.username)
                                 .where(User.id.in_({c.taken_by_id for c in chats if c.taken_by_id})))
                 .all()) if chats else {}
    rows = [Waiting(chat, bool(chat.person_urgent), chat.language in mine, references.get(chat.id),
                    names.get(chat.taken_by_id)) for chat in chats]
    return sorted(rows, key=lambda row: (not row.urgent, not row.speaks_my_language))  # stable: oldest first within


def _references(session: Session, chat_ids: list[int]) -> dict[int, str]:
    """Each chat's newest case reference."""
    if not chat_ids:
        return {}
    rows = session.execute(select(LineReport.chat_id, Case.reference).join(Case, Case.id == LineReport.case_id)
                           .where(LineReport.chat_id.in_(chat_ids)).order_by(LineReport.id))
    return {chat_id: reference for chat_id, reference in rows}


def case_of(session: Session, chat: LineChat) -> Case | None:
    """The chat's newest case."""
    return session.scalar(select(Case).join(LineReport, LineReport.case_id == Case.id)
                          .where(LineReport.chat_id == chat.id).order_by(LineReport.id.desc()).limit(1))


def chat_of_case(session: Session, case: Case) -> LineChat | None:
    return session.scalar(select(LineChat).join(LineReport, LineReport.chat_id == LineChat.id)
                          .where(LineReport.case_id == case.id))


def thread(session: Session, chat: LineChat) -> tuple[list[Said], bool]:
    """The whole conversation in time order (the person's events and the hotline's messages), and whether older
    items were left out."""
    events = session.scalars(select(LineEvent).where(LineEvent.line_user_id == chat.line_user_id,
                                                     LineEvent.type.in_(("message", "follow", "unfollow")))
                             .order_by(LineEvent.id.desc()).limit(MAX_THREAD + 1)).all()
    messages = session.scalars(select(LineMessage).where(LineMessage.chat_id == chat.id)
                               .order_by(LineMessage.id.desc()).limit(MAX_THREAD + 1)).all()
    operators = {m.sent_by_id for m in messages if m.sent_by_id}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(operators))).all()) if operators \
        else {}
    said = [_from_person(event) for event in events]
    kept = dict(session.execute(select(LineMedia.event_id, LineMedia.id).where(
        LineMedia.event_id.in_([event.id for event in events]), LineMedia.status == "kept")).all()) if events else {}
    for item, event in zip(said, events, strict=True):
        item.media_id = kept.get(event.id)
    for message in messages:
        for sent in message.messages or []:
            said.append(Said(message.created_at, "operator" if message.sent_by_id else "bot", "text",
                             _text_of(sent), _buttons_of(sent), names.get(message.sent_by_id), message.status))
    said.sort(key=lambda item: item.at)
    return said[-MAX_THREAD:], len(said) > MAX_THREAD


def _from_person(event: LineEvent) -> Said:
    if event.type != "message":
        return Said(event.received_at, "person", event.type)
    message = event.payload.get("message") if isinstance(event.payload, dict) else None
    message = message if isinstance(message, dict) else {}
    kind = message.get("type") if message.get("type") in PERSON_SAYS else "message"
    if kind == "text":
        return Said(event.received_at, "person", kind, _string(message.get("text")))
    if kind == "location":
        place = ", ".join(_string(message.get(name)) for name in ("title", "address") if message.get(name))
        point = f"{message.get('latitude')}, {message.get('longitude')}"
        return Said(event.received_at, "person", kind, f"{place} ({point})" if place else point)
    return Said(event.received_at, "person", kind)


def _text_of(message) -> str:
    return _string(message.get("text")) if isinstance(message, dict) else ""


def _buttons_of(message) -> list[str]:
    quick = message.get("quickReply") if isinstance(message, dict) else None
    items = quick.get("items") if isinstance(quick, dict) else None
    return [_string((item.get("action") or {}).get("label")) for item in items or [] if isinstance(item, dict)]


def _string(value) -> str:
    return value if isinstance(value, str) else ""


def take(session: Session, chat: LineChat, user: User) -> None:
    """The chat is this operator's (taken over from another, if someone had it)."""
    if chat.person_asked_at is None:
        raise Refused("not_waiting")
    chat.taken_by_id, chat.taken_at = user.id, utcnow()


def reply(session: Session, chat: LineChat, user: User, text: str) -> str:
    """The operator's words to the person, pushed through the outbox; taking the chat if nobody has it. The job
    id to enqueue once committed."""
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        raise Refused("length")
    if chat.person_asked_at is None:
        raise Refused("not_waiting")
    if chat.taken_by_id not in (None, user.id):
        raise Refused("taken")
    if chat.unfollowed_at is not None:
        raise Refused("blocked")
    if chat.taken_by_id is None:
        take(session, chat, user)
    return line_chat.write(session, chat, [plain(text)], sent_by=user.id)


def end(session: Session, chat: LineChat, user: User) -> str | None:
    """Back to the main menu: the person is told so in their language, with the menu's question. The job id to
    enqueue (None: they blocked the account, nothing is sent)."""
    if chat.person_asked_at is None:
        raise Refused("not_waiting")
    chat.step, chat.person_asked_at, chat.person_urgent = "main", None, False
    chat.taken_by_id = chat.taken_at = None
    report = line_report.current(session, chat)
    if report is not None and report.case_id is not None:
        report.completed_at = utcnow()  # danger now, ended before its last question: its case has what it has
    case = case_of(session, chat)
    if simulated(chat.line_user_id) and case is not None and case.source == TRAINING and case.status != "closed":
        # The simulator's rehearsal is over: its training case closes, as a simulator call's does at hang-up.
        case.move_to("closed", actor=f"user:{user.id}", note="training chat ended", outcome=training.OUTCOME)
    if chat.unfollowed_at is not None:
        return None
    ended = plain(line_words.words(line_words.CHAT_ENDED, chat.language))
    return line_chat.write(session, chat, [ended, line_chat.main_question(chat)], sent_by=user.id)


def open_case(session: Session, chat: LineChat, user: User) -> Opened:
    """The chat's case, through its report (casework.line_report, source `line`); a chat with a case already
    keeps it (Refused "has_case")."""
    existing = case_of(session, chat)
    if existing is not None and existing.status in OPEN_STATUSES:
        raise Refused("has_case", existing.reference)
    report = line_report.current(session, chat)
    if report is None or report.case_id is not None:
        report = line_report.start(session, chat, None, "urgent" if chat.person_urgent else "normal")
    return line_report.open_case(session, report, actor=f"user:{user.id}")


def link_case(session: Session, chat: LineChat, case: Case, user: User) -> bool:
    """The chat is part of this case from now on (its thread is in the case's story); False: it was already."""
    linked = chat_of_case(session, case)
    if linked is not None:
        if linked.id == chat.id:
            return False
        raise Refused("case_has_chat", case.reference)
    if case.status not in OPEN_STATUSES:
        raise Refused("closed", case.reference)
    if (case.source == TRAINING) != simulated(chat.line_user_id):
        raise Refused("training", case.reference)
    report = line_report.current(session, chat)
    if report is None or report.case_id is not None:
        report = line_report.start(session, chat, case.category, case.urgency or "normal")
    report.case_id = case.id
    session.flush()
    return True
