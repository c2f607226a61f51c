"""The LINE chat's turns (issue 17), the job of each kept event (`work.line_event`). The conversation follows the
IVR's menu (casework.ivr.menu, rendered by casework.line_menu): the language, report trafficking or other help,
the kind (danger now first), where (casework.line_place), safe to contact back on LINE, the person's own words.
A completed report opens its case (casework.line_report); danger now opens it at once and asks for a person while
the later answers still fill it. Other help, or talk to a person, waits for a person (`person`: the hand-over; the
console's inbox, casework.line_inbox). Anything that is no answer (a sticker, an image, empty or unknown text)
gets the question again. The answer is a `LineMessage` with its own outbox row (`line_outbox`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from uuid import uuid4

import geothai
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LineChat, LineEvent, LineMessage, LineReport, utcnow
from models.upsert import insert_ignore

from . import line_menu, line_place, line_report, line_words, work
from .ivr.menu import MENU
from .line_menu import chosen, plain, question

REPLY_WINDOW = timedelta(seconds=50)  # a reply token lasts about a minute after LINE sent the event
# The IVR's nodes as the chat's steps: danger now puts the caller through, the chat asks on while a person comes.
STEP = {"kind": "kind", "where": "where", "consent": "consent", "message": "account", "operator": "person",
        "urgent": "where"}


@dataclass
class Answer:
    messages: list[dict] = field(default_factory=list)  # LINE message objects, at most 5
    job_ids: list[str] = field(default_factory=list)  # outbox items of what the turn opened (a case's ladder)


def handle(session: Session, config, event_id: int) -> list[str]:
    """Take the event's turn once; the job ids of its outbox rows (the answer's, a case's)."""
    work.mark_done(session, work.line_event(event_id).job_id)
    event = session.get(LineEvent, event_id, with_for_update=True)
    if event is None or event.handled_at is not None:
        return []
    event.handled_at = utcnow()
    if event.line_user_id is None:
        return []  # a group, a room: not a chat with one person
    chat = chat_of(session, event.line_user_id)
    answer = turn(session, chat, event)
    if not answer.messages:
        return answer.job_ids
    return answer.job_ids + [write(session, chat, answer.messages, event)]


def write(session: Session, chat: LineChat, messages: list[dict], event: LineEvent | None = None,
          sent_by: int | None = None) -> str:
    """A message to the person with its outbox row: by the event's reply token while it lasts, else pushed (an
    operator's message has no event: always a push). The job id to enqueue once committed."""
    token = event.reply_token if event is not None else None
    message = LineMessage(chat_id=chat.id, event_id=event.id if event is not None else None, messages=messages,
                          reply_token=token, reply_by=event.received_at + REPLY_WINDOW if token else None,
                          retry_key=str(uuid4()), status="pending", attempts=0, created_at=utcnow(), sent_by_id=sent_by)
    session.add(message)
    session.flush()
    job = work.send_line_message(message.id)
    work.add(session, job)
    return job.job_id


def chat_of(session: Session, line_user_id: str) -> LineChat:
    """The user's chat, made on their first event; locked for this turn (two events of one person in turn)."""
    insert_ignore(session, LineChat, ["line_user_id"], line_user_id=line_user_id, step="new", started_at=utcnow())
    return session.scalars(select(LineChat).where(LineChat.line_user_id == line_user_id).with_for_update()).one()


def turn(session: Session, chat: LineChat, event: LineEvent) -> Answer:
    """The chat's next step for this event, and what answers it."""
    if event.type == "unfollow":
        chat.unfollowed_at = utcnow()
        return Answer()
    if event.type not in ("follow", "message"):
        return Answer()
    chat.heard_at, chat.unfollowed_at = utcnow(), None
    if event.type == "follow":
        chat.step = "language"
        return Answer([line_menu.language_choice()])
    message = event.payload.get("message")
    message = message if isinstance(message, dict) else {}
    said = _text(message)
    if chat.step in ("new", "language"):
        language = line_menu.chosen_language(said)
        if chat.step == "new" or language is None:
            chat.step = "language"
            return Answer([line_menu.language_choice()])
        chat.language, chat.step = language, "main"
        return Answer([main_question(chat)])
    if chat.step == "person":
        return Answer()  # kept in the thread for the operator (casework.line_inbox): the bot stays silent
    if chat.step == "kind":
        return _kind(session, chat, said)
    if chat.step in STEPS:
        report = line_report.current(session, chat)
        if report is not None:
            return STEPS[chat.step](session, chat, report, message, said)
    return _main(chat, said)  # "main", or a step whose report is gone


def _main(chat: LineChat, said: str) -> Answer:
    go = chosen("main", said) if chat.step == "main" else None
    chat.step = "main"
    if go is None:
        return Answer([main_question(chat)])
    chat.topic = go.sets.get("topic")
    if STEP[go.to] == "person":
        return _person(chat)
    chat.step = STEP[go.to]
    return Answer([question("kind", chat.language, line_words.KIND_QUESTION)])


def _kind(session: Session, chat: LineChat, said: str) -> Answer:
    go = chosen("kind", said)
    if go is None:
        return Answer([question("kind", chat.language, line_words.KIND_QUESTION)])
    if STEP[go.to] == "person":
        return _person(chat)
    report = line_report.start(session, chat, go.sets.get("category"), go.sets.get("urgency", "normal"))
    chat.step = STEP[go.to]
    if not go.open_case:
        return Answer([line_menu.where_question(chat.language)])
    opened = line_report.open_case(session, report)
    chat.person_asked_at, chat.person_urgent = chat.person_asked_at or utcnow(), True
    return Answer([_say(chat, line_words.URGENT_OPENED, reference=opened.case.reference),
                   line_menu.where_question(chat.language)], opened.job_ids)


def _where(session: Session, chat: LineChat, report: LineReport, message: dict, said: str) -> Answer:
    if message.get("type") == "location":
        where = line_place.from_location(message)
    elif line_menu.is_one_of(said, line_words.DONT_KNOW):
        where = line_place.Where(None)
    else:
        where = line_place.from_text(said) if said else None
    if where is None:
        return Answer([line_menu.where_question(chat.language)])
    job_ids = line_report.place(session, report, where)
    chat.step = STEP[MENU["where"].otherwise.to]
    noted = [_say(chat, line_words.PLACE_NOTED, place=_place_name(where, chat.language))] if where.province_code else []
    return Answer(noted + [question("consent", chat.language, line_words.CONSENT_QUESTION)], job_ids)


def _consent(session: Session, chat: LineChat, report: LineReport, message: dict, said: str) -> Answer:
    go = chosen("consent", said)
    if go is None:
        return Answer([question("consent", chat.language, line_words.CONSENT_QUESTION)])
    report.callback_consent = go.sets["callback_consent"]
    chat.step = STEP[go.to]
    return Answer([line_menu.account_question(chat.language)])


def _account(session: Session, chat: LineChat, report: LineReport, message: dict, said: str) -> Answer:
    if not said:
        return Answer([line_menu.account_question(chat.language)])
    opened = line_report.complete(session, report, None if line_menu.is_one_of(said, line_words.SKIP) else said)
    reference = opened.case.reference
    if opened.new:
        chat.step = "main"
        return Answer([_say(chat, line_words.REPORTED, reference=reference)], opened.job_ids)
    chat.step = "person"  # danger now: the case opened at once, and a person is on the way
    return Answer([_say(chat, line_words.ADDED, reference=reference),
                   _say(chat, line_words.PERSON_WAIT)])


STEPS = {"where": _where, "consent": _consent, "account": _account}


def _person(chat: LineChat) -> Answer:
    """Other help, or talk to a person: the chat waits for an operator, and the person is told one will answer."""
    chat.step = "person"
    chat.person_asked_at = chat.person_asked_at or utcnow()
    return Answer([_say(chat, line_words.PERSON_WAIT)])


def _say(chat: LineChat, table: dict[str, str], **values) -> dict:
    return plain(line_words.words(table, chat.language, **values))


def main_question(chat: LineChat) -> dict:
    return question("main", chat.language, line_words.MAIN_QUESTION)


def _place_name(where: line_place.Where, language: str | None) -> str:
    province = geothai.province(where.province_code)
    district = geothai.district(where.district_code) if where.district_code else None
    areas = [area for area in (district, province) if area is not None]
    return ", ".join(area.name_th if language == "th" else area.name_en for area in areas)


def _text(message: dict) -> str:
    words = message.get("text") if message.get("type") == "text" else None
    return words.strip() if isinstance(words, str) else ""
