"""LINE messages out (issue 17), each with its outbox row (`work.send_line_message`): the reply token first, tried
once while it lasts (it is free, single use, about a minute); after that a push, with the row's retry key as
`X-Line-Retry-Key` so LINE accepts a retried push once. Nothing goes to a person who has not written first (a
follow counts: they added the account) or who blocked the account since. Without an access token (development,
tests) a message is kept as dry-run instead of sent."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import LineChat, LineMessage, utcnow
from models.line import simulated

from . import work

MAX_ATTEMPTS = 8  # then the message is failed: RQ's retries and the relay's sweeps have had their turn


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    to: str  # the LINE user id
    messages: list
    reply_token: str | None  # None: push
    retry_key: str


def prepare(session: Session, config, message_id: int) -> Outgoing | None:
    """Claim one attempt at the message (committed before it is sent); None when there is nothing to send."""
    row = session.get(LineMessage, message_id, with_for_update=True)
    if row is None or row.status != "pending":
        work.mark_done(session, work.send_line_message(message_id).job_id)
        return None
    chat = session.get(LineChat, row.chat_id)
    if chat.heard_at is None or chat.unfollowed_at is not None:
        return _finish(session, row, "refused", "the person has not written first, or blocked the account")
    if row.attempts >= MAX_ATTEMPTS:
        return _finish(session, row, "failed", row.last_error)
    row.attempts += 1
    if config.line_dry_run or simulated(chat.line_user_id):  # the console's simulator: never sent to LINE
        row.sent_at = utcnow()
        return _finish(session, row, "dry-run", None)
    by_reply = bool(row.reply_token) and not row.reply_tried and row.reply_by is not None and utcnow() < row.reply_by
    row.reply_tried = row.reply_tried or by_reply
    return Outgoing(row.id, chat.line_user_id, row.messages, row.reply_token if by_reply else None, row.retry_key)


def sent(session: Session, out: Outgoing, via: str) -> None:
    row = session.get(LineMessage, out.message_id)
    row.via, row.sent_at = via, utcnow()
    _finish(session, row, "sent", None)


def refused(session: Session, out: Outgoing, error: str) -> None:
    """LINE refused it for good (a 4xx other than 429): not retried."""
    _finish(session, session.get(LineMessage, out.message_id), "failed", error)


def not_yet(session: Session, out: Outgoing, error: str) -> None:
    """LINE busy or away (429, 5xx, no answer): the row stays pending for the job's retry."""
    session.get(LineMessage, out.message_id).last_error = error[:500]


def _finish(session: Session, row: LineMessage, status: str, error: str | None) -> None:
    row.status, row.last_error = status, error
    work.mark_done(session, work.send_line_message(row.id).job_id)
    return None
