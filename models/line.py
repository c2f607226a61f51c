"""The LINE chat (issue 17): each webhook event kept once, one chat per LINE user, the reports made in it (each
with its case), and the messages the hotline sends, each an outbox row of its own. A LINE user id is personal
data, like a phone number: stored here, never logged."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow

# The console's LINE simulator speaks as `Usimulator…` (LINE's own ids are U + 32 hex digits): its reports are
# training cases, and nothing is ever sent to LINE for it (like the IVR simulator's CAsimulator… calls).
SIMULATED_PREFIX = "Usimulator"
SIMULATED_LINE_USER = re.compile(SIMULATED_PREFIX + r"[0-9a-f]{22}")


def simulated(line_user_id: str | None) -> bool:
    return bool(line_user_id and SIMULATED_LINE_USER.fullmatch(line_user_id))


class LineEvent(Base):
    """One webhook event as LINE sent it; LINE's `webhookEventId` makes a redelivery a no-op."""

    __tablename__ = "line_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))  # follow, unfollow, message, ...
    line_user_id: Mapped[str | None] = mapped_column(String(64), index=True)  # None: a group, a room, no source
    reply_token: Mapped[str | None] = mapped_column(String(255))
    redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict] = mapped_column(JSON)  # the event object (a message's text included)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The payload blanked (what the person wrote, their id: retention, a data-subject erasure); None: still held.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineChat(Base):
    """The conversation with one LINE user: where it stands in the menu, and whether they reached out first."""

    __tablename__ = "line_chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    step: Mapped[str] = mapped_column(String(16))  # what it waits on: language, main, kind, where, consent, account, person
    language: Mapped[str | None] = mapped_column(String(2))
    topic: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the person's last follow or message
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # blocked us: nothing is sent any more
    # Asked for a person (talk to a person, other help, danger now): the hand-over's queue, oldest first; None: not.
    person_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    person_urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # asked because someone is in danger now
    # The operator who took the chat (the console's inbox); None: nobody yet, or the chat is back with the bot.
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LineReport(Base):
    """A report made in the chat: the menu's answers as they come, and the case it opened (at its end, or at once
    when someone is in danger now). What the person wrote (`account`) is theirs, like an API report's description:
    the intake's versions are an operator's (casework.case_facts)."""

    __tablename__ = "line_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("line_chats.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    language: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[str | None] = mapped_column(String(32))
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(4))
    latitude: Mapped[float | None] = mapped_column(Float)  # a location message's point
    longitude: Mapped[float | None] = mapped_column(Float)
    callback_consent: Mapped[bool | None] = mapped_column(Boolean)  # safe to contact back on LINE
    account: Mapped[str | None] = mapped_column(Text)  # the person's own words
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last question answered


class LineMessage(Base):
    """A message to send (or sent): by its reply token while it lasts, else pushed with `retry_key` as
    `X-Line-Retry-Key`, so LINE accepts a retried push once."""

    __tablename__ = "line_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("line_chats.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("line_events.id", ondelete="SET NULL"))
    messages: Mapped[list] = mapped_column(JSON)  # LINE message objects, at most 5
    reply_token: Mapped[str | None] = mapped_column(String(255))
    reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the reply token is not tried after this
    reply_tried: Mapped[bool] = mapped_column(Boolean, default=False)  # single use: never tried twice
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, dry-run, failed, refused
    via: Mapped[str | None] = mapped_column(String(8))  # reply | push
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: the bot
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its texts blanked (retention, erasure)


class LineMedia(Base):
    """An image, voice note, video or file the person sent, kept like a call's voice message. LINE keeps the content
    only some days, so a job (casework.line_media) copies it into MEDIA_DIR under `stored_as`, a random name chosen
    with the row (a re-run writes the same file, never a second one); never served by URL, only through the console.
    The person is found through the event (`LineEvent.line_user_id`): no second copy of their id here."""

    __tablename__ = "line_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("line_events.id", ondelete="SET NULL"), unique=True)
    message_id: Mapped[str] = mapped_column(String(64))  # LINE's id of the message, for its content
    kind: Mapped[str] = mapped_column(String(8))  # image, audio, video, file
    file_name: Mapped[str | None] = mapped_column(String(255))  # a file message's own name (the person's)
    # pending, kept, dry-run (no access token), too-large, external (not on LINE's servers), gone, failed, deleted
    status: Mapped[str] = mapped_column(String(16), default="pending")
    stored_as: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)  # bytes kept
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kept_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the file removed (retention, erasure)
