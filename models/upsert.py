"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: the heart of 'nothing twice'."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model, conflict_columns: list[str], **values) -> int | None:
    """The new row's id, or None when a row with the same unique key exists."""
    statement = insert_ignore_statement(session.get_bind().dialect.name, model.__table__, tuple(conflict_columns))
    # Values go as parameters of one statement built once: `.values(**values)` would make a new statement per
    # call, which SQLAlchemy must walk value by value to find its cached compiled form (~1.5 ms a call).
    return session.execute(statement, values).scalar()


@lru_cache(maxsize=64)
def insert_ignore_statement(dialect: str, table, conflict_columns: tuple[str, ...]):
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns)).returning(table.c.id)
