"""Provinces, the provincial centres that act on cases, and the people they reach by SMS."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Base, UTCDateTime, utcnow

CENTRAL = "central"  # the Anti-Trafficking Division's code; it also triages cases with no province
LEVELS = {1: "duty team", 2: "provincial head", 3: "central division"}


class Province(Base):
    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)  # ISO 3166-2:TH number = MOI code
    name_th: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(16))


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # the province code, or "central"
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), unique=True)
    name_th: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160))

    contacts: Mapped[list[Contact]] = relationship(back_populates="centre", order_by="Contact.level, Contact.id")


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("centre_id", "phone", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(20), index=True)  # E.164
    level: Mapped[int] = mapped_column(Integer)  # 1 duty team, 2 provincial head, 3 central division
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when Twilio says the number can never get our SMS (21211 invalid, 21610 unsubscribed, ...).
    unreachable_reason: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set when someone changes the contact in the console: from then on `flask centres load` leaves it alone.
    console_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    centre: Mapped[Centre] = relationship(back_populates="contacts")

    @property
    def reachable(self) -> bool:
        return self.active and self.on_duty and self.unreachable_reason is None
