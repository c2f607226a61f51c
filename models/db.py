"""Engine and session factory; knows neither Flask nor RQ."""
from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

# The migration this code runs on: `/readyz` compares the database's with it, without loading alembic (and mako and
# pygments, 11 MB) into every web process. tests/test_migrations.py checks it is the migrations' head.
SCHEMA_REVISION = "0017"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; gives back aware datetimes on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: store times in UTC with tzinfo")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("hide_parameters", True)  # an error's text must not carry caller numbers or notes into logs
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 15})
    else:
        kwargs.setdefault("connect_args", {"connect_timeout": 3})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif not kwargs.get("pool_pre_ping"):
        _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE = 1.0  # seconds


def _ping_after_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for a connection that sat idle in the pool: one that was checked in
    moments ago (every connection under load) was fine moments ago, and a ping is a round trip per
    request. One that fails its ping is replaced, as with pool_pre_ping."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record):  # a connection just made needs no ping either
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get("checked_in", 0.0) <= PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("the pooled connection failed its ping") from error
        if not alive:
            raise DisconnectionError("the pooled connection failed its ping")


def _sqlite_pragmas(dbapi_connection, _record):
    # WAL lets readers and one writer work at once (~3x the default journal's throughput).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)
