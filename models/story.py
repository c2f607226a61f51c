"""The case story beyond its status: what an operator recorded (the intake, in versions), who else was told
(referrals), the other calls about it, and what the field team reported back by SMS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow


class Intake(Base):
    """One version of a case's structured intake: every save is a new row (version 1, 2, ...), never an update,
    so who changed what and when stays readable. The newest version is the case's intake."""

    __tablename__ = "intakes"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))  # the call it was filled during, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # People involved
    people_count: Mapped[int | None] = mapped_column(Integer)
    minors_count: Mapped[int | None] = mapped_column(Integer)  # under 18
    female_count: Mapped[int | None] = mapped_column(Integer)
    male_count: Mapped[int | None] = mapped_column(Integer)
    nationalities: Mapped[list] = mapped_column(JSON, default=list)  # ISO 3166-1 alpha-2 codes
    # Where
    province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(4))
    subdistrict_code: Mapped[str | None] = mapped_column(String(6))
    place: Mapped[str | None] = mapped_column(Text)
    landmark: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # What
    indicators: Mapped[list] = mapped_column(JSON, default=list)  # codes of signs of trafficking (casework)
    immediate_danger: Mapped[bool | None] = mapped_column(Boolean)
    held_responsible: Mapped[str | None] = mapped_column(Text)  # the place or people held responsible

    author = relationship("User")


class Referral(Base):
    """Another agency told about the case (police 191, the anti-trafficking police, DSI, a shelter, an embassy,
    an NGO): its status now; every change is a ReferralStep."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    agency: Mapped[str] = mapped_column(String(24))  # a code from casework's list of agencies
    detail: Mapped[str | None] = mapped_column(String(200))  # which embassy, NGO or station
    status: Mapped[str] = mapped_column(String(12), default="requested")  # requested, accepted, declined, done
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    steps: Mapped[list[ReferralStep]] = relationship(order_by="ReferralStep.id", cascade="all, delete-orphan")


class ReferralStep(Base):
    __tablename__ = "referral_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(64))  # user:<id>, contact:<id>
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkedCall(Base):
    """Another call about a case that already exists (the same caller again, or someone else), linked to it
    instead of opening a new case. A call belongs to at most one case."""

    __tablename__ = "linked_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), unique=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call = relationship("Call")


class FieldReport(Base):
    """What a field team reported by SMS after acknowledging: arrived, done (with an outcome), or a free-text note.
    One per incoming message (its sid): a retried webhook adds nothing."""

    __tablename__ = "field_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    message_sid: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # arrived, done, note
    outcome: Mapped[str | None] = mapped_column(String(24))  # for done: a case outcome code
    rescued_count: Mapped[int | None] = mapped_column(Integer)  # "rescued N"
    body: Mapped[str | None] = mapped_column(Text)  # a note's text
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact = relationship("Contact")
