"""LINE's webhook events, read and kept once (issue 17). The webhook has checked the signature; this reads the
body, keeps each event by its `webhookEventId` (a redelivery, or the same id twice, is a no-op) with the outbox row
of its job (`work.line_event`), and leaves the conversation to that job (`line_chat`). An image, a voice note, a
video or a file gets a job of its own too, which copies it from LINE (casework.line_media).

A redelivered event whose first delivery never reached us is kept: it is the first we hear of it."""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import LineEvent, utcnow
from models.upsert import insert_ignore

from . import line_media, work

PLAIN = re.compile(r"[\x21-\x7e]{1,64}")  # LINE's ids (ULIDs, U + hex) and tokens: printable ASCII
TOKEN = re.compile(r"[\x21-\x7e]{1,255}")


class BadBody(ValueError):
    """Not a body LINE sends; the message says what is wrong (the webhook's 400)."""


@dataclass(frozen=True)
class Event:
    webhook_event_id: str
    type: str
    line_user_id: str | None
    reply_token: str | None
    redelivery: bool
    payload: dict


def events_of(body: bytes) -> list[Event]:
    try:
        data = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError) as error:
        raise BadBody("body is not JSON" if not isinstance(error, BadBody) else str(error)) from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise BadBody("body must be a JSON object with an events list")
    return [_event(number, item) for number, item in enumerate(data["events"])]


def _event(number: int, item) -> Event:
    where = f"events[{number}]"
    if not isinstance(item, dict):
        raise BadBody(f"{where} must be an object")
    if not _plain(item.get("webhookEventId")):
        raise BadBody(f"{where}.webhookEventId must be a string of 1 to 64 printable characters")
    if not _plain(item.get("type"), 32):
        raise BadBody(f"{where}.type must be a string of 1 to 32 printable characters")
    source = item.get("source")
    user = source.get("userId") if isinstance(source, dict) and source.get("type") == "user" else None
    if user is not None and not _plain(user):
        raise BadBody(f"{where}.source.userId must be a string of 1 to 64 printable characters")
    token = item.get("replyToken")
    if token is not None and not (isinstance(token, str) and TOKEN.fullmatch(token)):
        raise BadBody(f"{where}.replyToken must be a string of 1 to 255 printable characters")
    context = item.get("deliveryContext")
    redelivery = isinstance(context, dict) and context.get("isRedelivery") is True
    try:  # the event is kept as JSON: text PostgreSQL cannot store (NUL, a lone surrogate) is refused here
        kept = json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadBody(f"{where} holds text that is not UTF-8") from None
    if b"\\u0000" in kept:
        raise BadBody(f"{where} holds a NUL character")
    return Event(item["webhookEventId"], item["type"], user, token, redelivery, item)


def _plain(value, length: int = 64) -> bool:
    return isinstance(value, str) and len(value) <= length and PLAIN.fullmatch(value) is not None


def _no_constant(name: str):
    raise BadBody(f"body is not JSON: {name} is not a number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody("body is not JSON: a number is out of range")
    return value


def receive(session: Session, events: list[Event]) -> list[str]:
    """Keep each new event with its job's outbox row, in the caller's transaction; the job ids to enqueue."""
    job_ids = []
    now = utcnow()
    for event in events:
        event_id = insert_ignore(session, LineEvent, ["webhook_event_id"], webhook_event_id=event.webhook_event_id,
                                 type=event.type, line_user_id=event.line_user_id, reply_token=event.reply_token,
                                 redelivery=event.redelivery, payload=event.payload, received_at=now, handled_at=None)
        if event_id is None:
            continue  # seen before: a redelivery, or LINE sent it twice
        job = work.line_event(event_id)
        work.add(session, job)
        job_ids.append(job.job_id)
        job_ids += line_media.noted(session, event_id, event.line_user_id, event.payload)
    return job_ids
