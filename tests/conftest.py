"""Fixtures: the app on SQLite and on the machine's PostgreSQL, real Redis, signed Twilio requests.

Tests that need a server skip where it is absent; with HOTLINE_REQUIRE_SERVICES=1
(CI) a missing server fails the run instead.
"""
from __future__ import annotations

import atexit
import os
import socket

import pytest
from helpers import lease
from helpers.support import AUTH_TOKEN, BASE_URL, OPERATOR, Twilio, migrate
from redis import Redis
from sqlalchemy import text

from casework.config import Config
from hotline import create_app
from hotline import db as app_db
from hotline.simulator import Phone, client_post
from models import Base, make_engine

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = f"hotline_test_{os.getpid()}"  # concurrent test runs must not truncate each other's tables
REQUIRE = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"


def _redis_database() -> int:
    """A database number of its own per run (helpers/lease.py), released when the run ends."""
    number = lease.claim()
    if number is None:
        return 1 + os.getpid() % 15
    atexit.register(lease.release, number)
    return number


REDIS_URL = os.environ.get("TEST_REDIS_URL") or f"redis://127.0.0.1:6379/{_redis_database()}"
def need(service: str, reachable: bool) -> None:
    if reachable:
        return
    if REQUIRE:
        pytest.fail(f"{service} is not reachable and HOTLINE_REQUIRE_SERVICES=1")
    pytest.skip(f"{service} is not reachable on this machine")


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def postgres_url():
    need("PostgreSQL at 127.0.0.1:5432", _port_open("127.0.0.1", 5432))
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    admin.dispose()
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{PG_SCHEMA}"
    migrate(url)
    yield url
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hotline.db'}"
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    url = request.getfixturevalue(f"{request.param}_url")
    engine = make_engine(url)
    with engine.begin() as connection:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            connection.execute(text("DELETE FROM sqlite_sequence")) if _has_sequence(connection) else None
    engine.dispose()
    return url


def _has_sequence(connection) -> bool:
    return connection.execute(text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first() is not None


@pytest.fixture
def redis_url() -> str:
    need("Redis at 127.0.0.1:6379", _port_open("127.0.0.1", 6379))
    database = Redis.from_url(REDIS_URL)
    database.flushdb()
    lease.renew(database.get_connection_kwargs()["db"])
    return REDIS_URL


@pytest.fixture
def config(database_url, tmp_path) -> Config:
    cfg = Config(ENV="test", DATABASE_URL=database_url, TWILIO_AUTH_TOKEN=AUTH_TOKEN, SECRET_KEY="test",
                 OPERATOR_DIAL_TARGET=OPERATOR, PUBLIC_BASE_URL=None, SPOOL_DIR=tmp_path / "spool",
                 MEDIA_DIR=tmp_path / "line_media", PROMPTS_DIR=tmp_path / "prompts", TESTING=True)
    cfg.check()
    return cfg


@pytest.fixture
def app(config):
    app = create_app(config)
    yield app
    app_db.dispose(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    """A session on the app's database, for looking at what the webhooks wrote."""
    with app.extensions["sessions"]() as session:
        yield session


@pytest.fixture
def twilio(client) -> Twilio:
    return Twilio(client)


@pytest.fixture
def phone(client) -> Phone:
    return Phone(client_post(client, BASE_URL), BASE_URL, AUTH_TOKEN)


@pytest.fixture
def ladder_env(config, redis_url, monkeypatch):
    """The app with the machine's Redis and the seeded centres; jobs see the same configuration."""
    monkeypatch.setenv("HOTLINE_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", config.DATABASE_URL)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", config.TWILIO_AUTH_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://hotline.example.go.th")
    from helpers.ladder import seed_centres
    from helpers.support import Twilio

    from workers import db as worker_db
    from workers import runtime

    worker_db.forget()
    cfg = Config(**{**config.__dict__, "REDIS_URL": redis_url, "PUBLIC_BASE_URL": "https://hotline.example.go.th"})
    runtime.start(cfg)  # as `python -m workers` does: the jobs run here see these settings
    app = create_app(cfg)
    with app.extensions["sessions"]() as session:
        seed_centres(session)
    yield app, Twilio(app.test_client()), Redis.from_url(redis_url)
    runtime.stop()
    worker_db.forget()


@pytest.fixture
def desk_twilio():
    """The fake of Twilio's REST API the operator desk uses (helpers/fake_twilio_desk.py)."""
    from helpers.fake_twilio_desk import FakeDeskTwilio

    server = FakeDeskTwilio()
    yield server
    server.close()


@pytest.fixture
def desk_env(ladder_env, desk_twilio):
    """ladder_env with the operator desk on, Twilio credentials (not a dry run) and the fake's REST API; the jobs
    run here see the same settings. Yields the desk's app, a signed Twilio client of it, and Redis."""
    from helpers.support import Twilio

    from workers import runtime

    app, _, redis = ladder_env
    config = app.config["HOTLINE"]
    cfg = Config(**{**config.__dict__, "OPERATOR_DIAL_TARGET": "desk", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                    "TWILIO_API_BASE_URL": desk_twilio.url, "TWILIO_FROM_NUMBER": "+6621300000",
                    "DESK_LANGUAGE_WAIT": 60, "DESK_MAX_WAIT": 180, "DESK_OFFER_SECONDS": 20, "DESK_WRAP_UP": 30})
    runtime.start(cfg)
    desk_app = create_app(cfg)
    yield desk_app, Twilio(desk_app.test_client()), redis
