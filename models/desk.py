"""The operator desk (issue 16): who takes calls, in which languages, where they are rung, and their state;
and the interpreters who can be added to a call, per language. The rules are casework.desk and casework.interpreters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow


class DeskProfile(Base):
    """An operator's (or a supervisor's who takes calls) place at the desk; one per user."""

    __tablename__ = "desk_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    languages: Mapped[list] = mapped_column(JSON, default=list)  # codes of models.vocabulary.LANGUAGES
    endpoint: Mapped[str] = mapped_column(String(200), default="browser")  # E.164, sip:user@host, or "browser"
    state: Mapped[str] = mapped_column(String(12), default="away", index=True)  # models.vocabulary.DESK_STATES
    state_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # longest idle is offered first
    state_by: Mapped[str] = mapped_column(String(64), default="system")  # user:<id>, system, ...
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last offer not answered
    wrap_up_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # wrap-up ends by itself then (available)

    user = relationship("User")


class Interpreter(Base):
    """Someone the desk can dial into a call for one language; one who speaks two has a row for each."""

    __tablename__ = "interpreters"
    __table_args__ = (UniqueConstraint("language", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(2), index=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when a supervisor changes the row in the console: from then on `flask interpreters load` leaves it alone.
    console_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeskWait(Base):
    """A caller who asked for a person: in line, offered, answered, or gone (left a message, hung up); one per call.

    The caller waits in the call's own Twilio conference (`conference`, named before Twilio knows it) with the
    hold message; an operator, and an interpreter, are dialled into it. The line's order is urgent first, then
    `asked_at`. The times make the call's record: who answered, when, the wait and the talk."""

    __tablename__ = "desk_waits"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    conference: Mapped[str] = mapped_column(String(80), unique=True)  # the friendly name: desk-<CallSid>
    conference_sid: Mapped[str | None] = mapped_column(String(64))  # CF…, from Twilio's first conference callback
    language: Mapped[str] = mapped_column(String(2))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default="waiting", index=True)  # vocabulary.WAIT_STATES
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    message_offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # DESK_MAX_WAIT passed: keys offered
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the caller left the line or the call ended
    wrapped_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the answering operator's wrap-up ended
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("interpreters.id", ondelete="SET NULL"))
    # The callback list: a caller gone before a person answered who agreed to be called back.
    callback_due: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    call = relationship("Call")
    operator = relationship("User", foreign_keys=[answered_by])


class DeskOffer(Base):
    """One ring of one operator (or an interpreter's line) for one waiting caller. A partial unique index keeps
    at most one ringing offer per caller and per operator, whatever the routers racing."""

    __tablename__ = "desk_offers"
    __table_args__ = (
        Index("uq_desk_offers_ringing_wait", "wait_id", unique=True, sqlite_where=text("state = 'ringing'"),
              postgresql_where=text("state = 'ringing'")),
        Index("uq_desk_offers_ringing_user", "user_id", unique=True, sqlite_where=text("state = 'ringing'"),
              postgresql_where=text("state = 'ringing'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wait_id: Mapped[int] = mapped_column(ForeignKey("desk_waits.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="ringing")  # vocabulary.OFFER_STATES
    endpoint: Mapped[str] = mapped_column(String(200))  # as it was when rung
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("interpreters.id", ondelete="SET NULL"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Twilio accepted the dial
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)  # the operator's leg
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    wait = relationship("DeskWait")
    user = relationship("User")
