"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: the heart of 'nothing twice'."""
from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model, conflict_columns: list[str], **values) -> int | None:
    """The new row's id, or None when a row with the same unique key exists."""
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    table = model.__table__
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)
    return session.execute(statement.returning(table.c.id)).scalar()
