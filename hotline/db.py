"""The app's engine and session factory, bound at create_app time (nothing at import time)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from models import make_engine, make_sessionmaker


def init_app(app: Flask) -> None:
    url = app.config["HOTLINE"].DATABASE_URL
    engine = make_engine(url)
    app.extensions["engine"] = engine
    app.extensions["sessions"] = make_sessionmaker(engine)
    if engine.dialect.name != "sqlite":
        # Its own small pool, in autocommit from the connect on: switching a pooled connection in and
        # out of autocommit costs more CPU than the write it serves. A sync worker needs one; with no
        # transaction ever open, there is nothing to roll back when a connection returns.
        app.extensions["autocommit"] = make_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=4,
                                                   pool_reset_on_return=None)


def after_fork(app: Flask) -> None:
    """In a process forked from one that built the app (gunicorn's preload): fresh, empty pools; whatever the parent
    opened stays the parent's (psycopg ends a connection only in the process that opened it)."""
    for name in ("engine", "autocommit"):
        if name in app.extensions:
            app.extensions[name].dispose(close=False)


def dispose(app: Flask) -> None:
    """Close every pooled connection (tests; a fork)."""
    for name in ("engine", "autocommit"):
        if name in app.extensions:
            app.extensions[name].dispose()


@contextmanager
def transaction():
    """One transaction: committed when the block ends, rolled back if it raises."""
    with current_app.extensions["sessions"].begin() as session:
        yield session


@contextmanager
def single_write() -> Iterator:
    """For a write that PostgreSQL does in one statement, atomic by itself (`models.new_calls`): psycopg's
    own connection from the small autocommit pool, so no BEGIN and COMMIT round trips (bench P1). Its
    errors come out as SQLAlchemy's, as from every other write. On SQLite, a transaction."""
    autocommit = current_app.extensions.get("autocommit")
    if autocommit is None:
        with current_app.extensions["engine"].begin() as connection:
            yield connection
        return
    dialect, pooled = autocommit.dialect, None
    try:
        pooled = autocommit.raw_connection()  # raises the driver's own errors too, unlike connect()
        yield pooled.driver_connection
    except dialect.loaded_dbapi.Error as error:
        if pooled is not None and dialect.is_disconnect(error, pooled.dbapi_connection, None):
            pooled.invalidate(error)
        raise DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                  dialect=dialect) from error
    finally:
        if pooled is not None:
            pooled.close()


def enqueue_after_commit(job_ids: list[str]) -> None:
    """Enqueue a committed transaction's outbox items; what fails here the relay's sweep enqueues later."""
    from workers.dispatch import after_commit

    after_commit(current_app.extensions["sessions"], current_app.extensions["redis"], job_ids)
