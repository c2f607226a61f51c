"""The worker's own engine: a pool per process, emptied at every fork and after every job.

RQ forks a work horse per job. A job runs several short transactions one after the other, and with
no pool each opened a new PostgreSQL connection (bench P3: ~8 per case). So each process pools
(at most one connection kept): a horse opens one connection for its job and reuses it; the pool is
emptied when the horse's job ends (`release`), and a child forked from a process that still held a
connection drops it unused (the parent's socket must never be spoken on by two processes).
SQLite (the embedded demo) keeps no pool: its connections are cheap and fork badly.
"""
from __future__ import annotations

import os
import threading

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from models import make_engine, make_sessionmaker

_factories: dict[str, sessionmaker] = {}
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def sessions(database_url: str) -> sessionmaker:
    """This process's session factory for the database (one engine per URL)."""
    factory = _factories.get(database_url)
    if factory is not None:
        return factory
    with _lock:
        if database_url not in _factories:
            pooling = {"poolclass": NullPool} if database_url.startswith("sqlite") else {
                "poolclass": QueuePool, "pool_size": 1, "max_overflow": 4}
            _engines[database_url] = make_engine(database_url, **pooling)
            _factories[database_url] = make_sessionmaker(_engines[database_url])
        return _factories[database_url]


def engines() -> list[Engine]:
    return list(_engines.values())


def release() -> None:
    """Close this process's pooled connections (a horse's job is over; the parent is about to fork)."""
    for engine in engines():
        if _holds_connections(engine):
            engine.dispose()


def _holds_connections(engine: Engine) -> bool:
    pool = engine.pool
    return not isinstance(pool, NullPool) and bool(pool.checkedin() or pool.checkedout())


def forget() -> None:
    """Forget the engines (tests change DATABASE_URL), closing their connections first."""
    with _lock:
        release()
        _factories.clear()
        _engines.clear()


def _forget_inherited() -> None:
    # In a forked child: new, empty pools; the parent's connections are neither used nor closed here
    # (psycopg only ends a connection in the process that opened it). Only where there is any: every
    # RQ job runs in a child, and the worker's parent holds none (the warm-up closes its own).
    for engine in engines():
        if _holds_connections(engine):
            engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited)
