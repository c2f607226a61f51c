"""The reports page's summary, kept by a job (`casework.summary`): per whole Bangkok week and calendar month,
the calls and cases counted, and the seconds each acknowledged case took. Derived data: it can be deleted
and counted again at any time (`flask reports recount`)."""
from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, UTCDateTime


class SummaryPeriod(Base):
    """A week (from its Monday) or a month (from its 1st) counted: the days [start, counted_until) are in the
    summary as they were at counted_at; the page counts the days after counted_until (today) itself."""

    __tablename__ = "summary_periods"
    __table_args__ = (UniqueConstraint("unit", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(8))  # week | month
    start: Mapped[date] = mapped_column(Date)
    counted_until: Mapped[date] = mapped_column(Date)  # the first day not counted: the period's end, or the day of the count
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SummaryCount(Base):
    """Counts of one period, trainers' left out: `calls` per (province, language) and `cases` per (province, kind),
    for a field officer's provinces; and the same summed for the page's tables as a supervisor sees them:
    `cases/province` (key null), `cases/kind` and `calls/language` (over every province: province null)."""

    __tablename__ = "summary_counts"
    __table_args__ = (Index("ix_summary_counts_unit_figure_start", "unit", "figure", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)
    figure: Mapped[str] = mapped_column(String(16))  # calls | cases | cases/province | cases/kind | calls/language
    province_code: Mapped[str | None] = mapped_column(String(2))
    key: Mapped[str | None] = mapped_column(String(32))  # a call's language, a case's kind (none yet: null)
    count: Mapped[int] = mapped_column(Integer)


class SummaryAcks(Base):
    """Every case of one period, province and level (None: in the console) acknowledged: its seconds from opening
    to acknowledgement, sorted, so the page's medians and percentiles are the live ones, exactly. The seconds are
    packed as 8-byte little-endian doubles (`pack`, `unpack`): a year of them read in milliseconds, not parsed."""

    __tablename__ = "summary_acks"
    __table_args__ = (Index("ix_summary_acks_unit_start", "unit", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit: Mapped[str] = mapped_column(String(8))
    start: Mapped[date] = mapped_column(Date)
    province_code: Mapped[str | None] = mapped_column(String(2))
    level: Mapped[int | None] = mapped_column(Integer)
    seconds: Mapped[bytes] = mapped_column(LargeBinary)


def pack(seconds: Iterable[float]) -> bytes:
    packed = array("d", seconds)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(blob: bytes) -> array:
    seconds = array("d")
    seconds.frombytes(blob)
    if sys.byteorder == "big":
        seconds.byteswap()
    return seconds
