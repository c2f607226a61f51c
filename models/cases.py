"""Cases: what the ministry acts on, with every status change and every SMS attempt."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, or_
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow
from .vocabulary import NEXT, OUTCOMES, TRAINING, WAITING_STATUSES


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_province_code_created_at", "province_code", "created_at"),)  # as calls'

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)  # 1300-69-004821, set once the id is known
    source: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)  # one case per call
    category: Mapped[str | None] = mapped_column(String(32), index=True)
    urgency: Mapped[str] = mapped_column(String(8), default="normal")
    province_code: Mapped[str | None] = mapped_column(String(2))
    district_code: Mapped[str | None] = mapped_column(String(4))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    outcome: Mapped[str | None] = mapped_column(String(24))
    level: Mapped[int] = mapped_column(Integer, default=0)  # highest escalation level reached
    ladder_run: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # +1 each reassignment: older SLA checks then do nothing
    unacknowledged: Mapped[bool] = mapped_column(Boolean, default=False)  # the ladder ran out: red for supervisors
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first window that passed with nobody acknowledging: kept after a late ACK (lists, filter, reports).
    sla_missed_level: Mapped[int | None] = mapped_column(Integer)
    sla_missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # that window's deadline
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre = relationship("Centre")
    transitions: Mapped[list[CaseTransition]] = relationship(order_by="CaseTransition.id", cascade="all, delete-orphan")
    escalations: Mapped[list[Escalation]] = relationship(order_by="Escalation.id", back_populates="case")

    @classmethod
    def not_training(cls):
        """SQL: cases from real reports. Counts and figures leave the IVR simulator's cases out."""
        return cls.source != TRAINING

    @hybrid_property
    def waiting(self) -> bool:
        """Nobody has taken the case yet: its SMS ladder runs."""
        return self.status in WAITING_STATUSES

    @waiting.inplace.expression
    @classmethod
    def _waiting(cls):
        return cls.status.in_(WAITING_STATUSES)

    @hybrid_method
    def late(self, now) -> bool:
        """Red for supervisors: the ladder ran out, or the window passed while nobody had acknowledged."""
        return self.waiting and (self.unacknowledged or (self.sla_due_at is not None and self.sla_due_at < now))

    @late.inplace.expression
    @classmethod
    def _late(cls, now):
        return cls.waiting & or_(cls.unacknowledged.is_(True), cls.sla_due_at < now)

    @hybrid_method
    def missed(self, now) -> bool:
        """Not acknowledged in time, now or before: late now, or a window passed with nobody acknowledging, which
        stays so after a late ACK or a move (history). The lists, their filter, the dashboard and the reports ask this."""
        return self.sla_missed_at is not None or self.late(now)

    @missed.inplace.expression
    @classmethod
    def _missed(cls, now):
        return or_(cls.sla_missed_at.is_not(None), cls.late(now))

    def lateness(self, now) -> Lateness | None:
        """How late (`missed`): the level whose window passed first with nobody acknowledging, and by how long
        until the ACK, or until now while nobody has; None when the case was never late."""
        if not self.missed(now):
            return None
        since = self.sla_missed_at or self.sla_due_at  # the window just passed and its check has not run yet
        until = self.acknowledged_at or (now if self.waiting else None)
        by = max(until - since, timedelta(0)) if since and until else None
        return Lateness(self.sla_missed_level or self.level, by, self.acknowledged_at is not None)

    @property
    def ack_code(self) -> str:
        """The short code a field team replies with: the reference's last four digits."""
        return f"{self.id % 10000:04d}"

    def move_to(self, status: str, actor: str, note: str | None = None, outcome: str | None = None) -> None:
        if status not in NEXT[self.status]:
            raise ValueError(f"a {self.status} case cannot become {status}")
        if status == "closed":
            if outcome not in OUTCOMES:
                raise ValueError(f"closing a case needs an outcome: one of {', '.join(OUTCOMES)}")
            self.outcome, self.closed_at = outcome, utcnow()
        self.transitions.append(CaseTransition(from_status=self.status, to_status=status, actor=actor, note=note))
        self.status = status

    def reassign(self, province_code: str | None, centre, actor: str, note: str | None = None) -> None:
        """Move an open case to another province's centre; its ladder starts again (a new run) for that centre.

        A case someone had taken goes back to escalating: the new centre has to acknowledge it itself.
        """
        if self.status == "closed":
            raise ValueError("a closed case cannot be reassigned")
        status = self.status if self.status in WAITING_STATUSES else "escalating"
        self.transitions.append(CaseTransition(from_status=self.status, to_status=status, actor=actor, note=note,
                                               to_centre_id=centre.id))
        self.status, self.province_code, self.district_code, self.centre = status, province_code, None, centre
        self.ladder_run, self.level, self.sla_due_at, self.unacknowledged = (self.ladder_run or 0) + 1, 0, None, False
        self.acknowledged_at = self.acknowledged_by = None


@dataclass(frozen=True)
class Lateness:
    level: int  # the level whose window passed with nobody acknowledging
    by: timedelta | None  # from that deadline to the ACK (or to now); None when a time is not known
    acknowledged: bool  # acknowledged late, as opposed to still waiting or taken without an ACK


class CaseTransition(Base):
    __tablename__ = "case_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))  # system, contact:<id>, user:<id>
    note: Mapped[str | None] = mapped_column(Text)
    to_centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))  # set when the case moved to this centre
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Escalation(Base):
    """One SMS attempt: a case's ladder run, a level, a contact. The unique key makes a re-run job harmless; the
    run lets a case moved away and back page its first centre again."""

    __tablename__ = "escalations"
    __table_args__ = (UniqueConstraint("case_id", "ladder_run", "level", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    ladder_run: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the case's ladder_run when it was sent
    level: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    # pending -> sending -> sent -> delivered | undelivered | failed; acknowledged; cancelled; skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship(back_populates="escalations")
    contact = relationship("Contact")


class Message(Base):
    """Every SMS in or out, including dry-run ones written instead of sent."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))  # out | in
    sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    to_number: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
