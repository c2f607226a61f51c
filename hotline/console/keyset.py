"""Keyset pagination, newest first, on (time, id): no OFFSET, so page 1,000 costs what page 1 does.

`WHERE t <= :t AND (t < :t OR id < :id)` keeps the first condition usable by the index on the
time column alone (calls.started_at, audit.at), on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(\d{1,20})-(\d{1,18})$")


@dataclass(frozen=True)
class Cursor:
    at: datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.at - EPOCH) // timedelta(microseconds=1)}-{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        match = CURSOR.match(text or "")
        if not match:
            return None
        try:
            return cls(EPOCH + timedelta(microseconds=int(match[1])), int(match[2]))
        except OverflowError:
            return None


@dataclass
class Page:
    rows: list
    newer: Cursor | None  # show rows newer than this (the previous page), if any
    older: Cursor | None  # show rows older than this (the next page), if any


def page(session, statement, at_column, id_column, size: int, *, older_than: Cursor | None = None,
         newer_than: Cursor | None = None) -> Page:
    """One page of rows of `statement`, whose first column is the entity the cursor is taken from."""

    def cursor(row) -> Cursor:
        return Cursor(getattr(row[0], at_column.key), getattr(row[0], id_column.key))

    if newer_than is not None:
        rows = list(session.execute(statement.where(
            at_column >= newer_than.at, or_(at_column > newer_than.at, id_column > newer_than.id))
            .order_by(at_column.asc(), id_column.asc()).limit(size + 1)))
        more = len(rows) > size
        rows = list(reversed(rows[:size]))
        return Page(rows, cursor(rows[0]) if more and rows else None, cursor(rows[-1]) if rows else None)
    if older_than is not None:
        statement = statement.where(and_(
            at_column <= older_than.at, or_(at_column < older_than.at, id_column < older_than.id)))
    rows = list(session.execute(statement.order_by(at_column.desc(), id_column.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    newer = cursor(rows[0]) if older_than is not None and rows else None
    return Page(rows, newer, cursor(rows[-1]) if more else None)

