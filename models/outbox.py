"""Work written in the same transaction as the data it concerns, enqueued after commit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime, utcnow


class OutboxItem(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(128), unique=True)  # made of the ids it concerns: case-start-<case id>
    function: Mapped[str] = mapped_column(String(128))  # the job, as casework.work names it: start_escalation
    args: Mapped[list] = mapped_column(JSON, default=list)
    queue: Mapped[str] = mapped_column(String(16), default="default")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending, enqueued, done
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
