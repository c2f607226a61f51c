"""The app's engine and session factory, bound at create_app time (nothing at import time)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from models import make_engine, make_sessionmaker


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["HOTLINE"].DATABASE_URL)
    app.extensions["engine"] = engine
    app.extensions["sessions"] = make_sessionmaker(engine)
    app.extensions["autocommit"] = engine.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def transaction():
    """One transaction: committed when the block ends, rolled back if it raises."""
    with current_app.extensions["sessions"].begin() as session:
        yield session


@contextmanager
def single_write() -> Iterator[Connection]:
    """A connection for a write that PostgreSQL does in one statement, atomic by itself: in autocommit
    it needs no BEGIN and COMMIT round trips (P1). On SQLite the same write takes two statements,
    so there it gets a transaction."""
    engine = current_app.extensions["engine"]
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            yield connection
    else:
        with current_app.extensions["autocommit"].connect() as connection:
            yield connection


def session() -> Session:
    return current_app.extensions["sessions"]()
