"""The operator desk (issue 16): who takes calls, in which languages, where they are rung, and their state;
and the interpreters who can be added to a call, per language. The rules are casework.desk and casework.interpreters."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
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
