"""The call log: one Call per Twilio CallSid, an append-only CallEvent per webhook."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

# Twilio's call statuses in the order a call moves through them; a late
# "ringing" must never overwrite "completed".
STATUS_ORDER = {
    "queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2,
    "completed": 3, "busy": 3, "no-answer": 3, "failed": 3, "canceled": 3,
}
FINAL_STATUSES = {s for s, rank in STATUS_ORDER.items() if rank == 3}
# The console's IVR simulator names its calls so; Twilio's CallSids are "CA" and 32 hex digits, never these letters.
SIMULATED_PREFIX = "CAsimulator"
SIMULATED_CALL_SID = re.compile(SIMULATED_PREFIX + r"[0-9a-f]{24}")


def is_simulated_call_sid(call_sid: str | None) -> bool:
    return bool(call_sid and SIMULATED_CALL_SID.fullmatch(call_sid))


class Call(Base):
    __tablename__ = "calls"
    # The console lists a province's calls newest first: with a rare second filter, an index on the
    # province alone or on the time alone walks a large part of a million calls (bench P4).
    __table_args__ = (Index("ix_calls_province_code_started_at", "province_code", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="ringing")
    # Caller: raw as Twilio sent it, E.164 when it is a real number, null when withheld.
    from_raw: Mapped[str | None] = mapped_column(String(64))
    from_e164: Mapped[str | None] = mapped_column(String(20), index=True)
    caller_withheld: Mapped[bool] = mapped_column(Boolean, default=False)
    caller_country: Mapped[str | None] = mapped_column(String(2))
    to_number: Mapped[str | None] = mapped_column(String(64))
    # Where it happens: province (ISO 3166-2:TH number), how we know, and landline candidates.
    province_code: Mapped[str | None] = mapped_column(String(2))
    province_source: Mapped[str | None] = mapped_column(String(16))
    province_candidates: Mapped[list] = mapped_column(JSON, default=list)
    district_code: Mapped[str | None] = mapped_column(String(4))
    postcode: Mapped[str | None] = mapped_column(String(5))
    # What the caller told the menu.
    language: Mapped[str] = mapped_column(String(2), default="th")
    ivr_path: Mapped[list] = mapped_column(JSON, default=list)
    topic: Mapped[str | None] = mapped_column(String(16))  # trafficking | other_help
    category: Mapped[str | None] = mapped_column(String(32), index=True)  # kind of trafficking
    urgency: Mapped[str | None] = mapped_column(String(8))
    callback_consent: Mapped[bool | None] = mapped_column(Boolean)
    operator_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    recording_url: Mapped[str | None] = mapped_column(String(512))
    recording_duration: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", order_by="CallEvent.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        """The short number read back to a caller when no case is open yet."""
        return f"{self.id:06d}"

    @property
    def simulated(self) -> bool:
        """A trainer's call from the console's IVR simulator: its case never pages a field team."""
        return is_simulated_call_sid(self.call_sid)

    @classmethod
    def not_training(cls):
        """SQL: calls from real telephones. Counts and figures leave the IVR simulator's calls out."""
        return cls.call_sid.not_like(SIMULATED_PREFIX + "%")

    def advance_status(self, status: str) -> None:
        if STATUS_ORDER.get(status, -1) >= STATUS_ORDER.get(self.status, -1):
            self.status = status

    def add_step(self, step: str) -> None:
        self.ivr_path = [*self.ivr_path, step]


class CallEvent(Base):
    """One webhook, once: the unique key makes a retried webhook a no-op."""

    __tablename__ = "call_events"
    __table_args__ = (UniqueConstraint("call_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))  # incoming, status, ivr, recording, dial, fallback
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    call: Mapped[Call] = relationship(back_populates="events")
