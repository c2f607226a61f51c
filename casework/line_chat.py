"""The LINE chat's turns (issue 17), the job of each kept event (`work.line_event`): a follow or a first message is
answered with the greeting and the language choice; the language chosen is kept on the chat and answered with the
IVR's main menu (report trafficking or other help) as quick-reply buttons. The answer is a `LineMessage` with its
own outbox row (`line_outbox`). The turns after the main menu are the issue's next step."""
from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LineChat, LineEvent, LineMessage, utcnow
from models.upsert import insert_ignore
from models.vocabulary import LANGUAGES

from . import line_words, work
from .ivr.menu import MENU

REPLY_WINDOW = timedelta(seconds=50)  # a reply token lasts about a minute after LINE sent the event
LABEL = 20  # characters of a quick-reply button's label


def handle(session: Session, config, event_id: int) -> list[str]:
    """Take the event's turn once; the job ids of the answer's outbox row."""
    work.mark_done(session, work.line_event(event_id).job_id)
    event = session.get(LineEvent, event_id, with_for_update=True)
    if event is None or event.handled_at is not None:
        return []
    event.handled_at = utcnow()
    if event.line_user_id is None:
        return []  # a group, a room: not a chat with one person
    chat = chat_of(session, event.line_user_id)
    answer = turn(chat, event)
    if answer is None:
        return []
    message = LineMessage(chat_id=chat.id, event_id=event.id, messages=answer, reply_token=event.reply_token,
                          reply_by=event.received_at + REPLY_WINDOW if event.reply_token else None,
                          retry_key=str(uuid4()), status="pending", attempts=0, created_at=utcnow())
    session.add(message)
    session.flush()
    job = work.send_line_message(message.id)
    work.add(session, job)
    return [job.job_id]


def chat_of(session: Session, line_user_id: str) -> LineChat:
    """The user's chat, made on their first event; locked for this turn (two events of one person in turn)."""
    insert_ignore(session, LineChat, ["line_user_id"], line_user_id=line_user_id, step="new", started_at=utcnow())
    return session.scalars(select(LineChat).where(LineChat.line_user_id == line_user_id).with_for_update()).one()


def turn(chat: LineChat, event: LineEvent) -> list[dict] | None:
    """The chat's next step for this event, and the messages that answer it (None: nothing to say)."""
    if event.type == "unfollow":
        chat.unfollowed_at = utcnow()
        return None
    if event.type not in ("follow", "message"):
        return None
    chat.heard_at, chat.unfollowed_at = utcnow(), None
    if event.type == "follow":
        chat.step = "language"
        return [language_choice()]
    text = _text(event)
    if chat.step in ("new", "language"):
        language = chosen_language(text)
        if chat.step == "new" or language is None:
            chat.step = "language"
            return [language_choice()]
        chat.language, chat.step = language, "main"
        return [main_question(language)]
    if chat.step == "main":
        go = chosen_option("main", text)
        if go is None:
            return [main_question(chat.language)]
        chat.topic, chat.step = go.sets.get("topic"), go.to
    return None  # the turns after the main menu: the next step


def _text(event: LineEvent) -> str:
    message = event.payload.get("message")
    text = message.get("text") if isinstance(message, dict) and message.get("type") == "text" else None
    return text.strip() if isinstance(text, str) else ""


def language_choice() -> dict:
    """The greeting, with one button per language of the IVR, each in its own script, Thai first."""
    return quick_reply(line_words.greeting(), [LANGUAGES[code].own for code in _languages().values()])


def chosen_language(text: str) -> str | None:
    """A button's words, a language's code, or the IVR's key for it."""
    for key, code in _languages().items():
        if text.casefold() in (LANGUAGES[code].own.casefold(), code, key):
            return code
    return None


def _languages() -> dict[str, str]:
    """The IVR's language keys and codes: {"1": "th", "2": "en", ...}."""
    return {key: go.sets["language"] for key, go in MENU["language"].options.items() if "language" in go.sets}


def main_question(language: str | None) -> dict:
    return quick_reply(line_words.words(line_words.MAIN_QUESTION, language),
                       [line_words.words(line_words.TOPIC_CHOICE[go.sets["topic"]], language) for go in _topics("main").values()])


def chosen_option(node: str, text: str):
    """The menu option a button's words (in any of the languages) or its IVR key stand for."""
    for key, go in _topics(node).items():
        labels = {label.casefold() for label in line_words.TOPIC_CHOICE[go.sets["topic"]].values()}
        if text.casefold() in labels | {key}:
            return go
    return None


def _topics(node: str) -> dict:
    return {key: go for key, go in MENU[node].options.items() if "topic" in go.sets}


def quick_reply(text: str, labels: list[str]) -> dict:
    """A LINE text message with quick-reply buttons that send their own words back (message actions)."""
    items = [{"type": "action", "action": {"type": "message", "label": label[:LABEL], "text": label}} for label in labels]
    return {"type": "text", "text": text, "quickReply": {"items": items}}
