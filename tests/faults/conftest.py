"""Fixtures of the fault-injection suite: a PostgreSQL schema of its own per run (migrated
with alembic, dropped at the end), a fake Twilio per scenario, and the service's real
processes on a private redis-server, stopped whatever happens."""
from __future__ import annotations

import os
import socket

import pytest
from helpers.fault_calls import seed, truncate
from helpers.fault_stack import Stack
from helpers.fault_twilio import FaultyTwilio
from helpers.support import migrate
from sqlalchemy import text

from models import make_engine, make_sessionmaker

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = f"faults_{os.getpid()}"


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def fault_database():
    """The URL of a schema of this run's own, built by the real migrations."""
    if not _reachable("127.0.0.1", 5432):
        if os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1":
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable and HOTLINE_REQUIRE_SERVICES=1")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{SCHEMA}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        admin.dispose()


@pytest.fixture
def sessions(fault_database):
    """A session factory on the run's schema, emptied and seeded with this suite's centres and contacts."""
    engine = make_engine(fault_database)
    factory = make_sessionmaker(engine)
    with factory() as session:
        truncate(session)
        seed(session)
    yield factory
    engine.dispose()


@pytest.fixture
def fake_twilio():
    fake = FaultyTwilio()
    yield fake
    fake.close()


@pytest.fixture
def stack(sessions, fault_database, fake_twilio, tmp_path):
    """A private redis-server is up; each test starts the processes it needs. All stop at the end."""
    stack = Stack(tmp_path, fault_database, fake_twilio.url)
    try:
        stack.start_redis()
        yield stack
    finally:
        stack.stop()
