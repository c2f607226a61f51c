"""The migrations are the schema: one head, and nothing in the models that they lack."""
from __future__ import annotations

import json
import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from casework.config import ROOT
from models import Base, make_engine
from models.db import SCHEMA_REVISION

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_one_head():
    script = ScriptDirectory.from_config(AlembicConfig(str(ROOT / "alembic.ini")))
    assert script.get_heads() == [SCHEMA_REVISION], "a new migration: set models.db.SCHEMA_REVISION to its revision"


def test_the_migrated_database_matches_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path):
    """A database with no schema at all, for walking the migrations one by one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.db'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails in CI) without PostgreSQL
    schema = f"migration_walk_{os.getpid()}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def alembic(url: str, verb: str, revision: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        cfg = AlembicConfig(str(ROOT / "alembic.ini"))
        cfg.attributes["connection"], cfg.attributes["configure_logger"] = connection, False
        getattr(command, verb)(cfg, revision)
    engine.dispose()


def test_0007_names_jobs_as_casework_does_and_keeps_a_waiting_calls_case_job(empty_database):
    alembic(empty_database, "upgrade", "0006")
    engine = make_engine(empty_database)
    now = "2026-12-01 00:00:00"
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO calls (id, call_sid, status, caller_withheld, province_candidates, language,"
                                " ivr_path, started_at) VALUES (4, 'CA4', 'completed', false, '[]', 'th', '[]', :now)"),
                           {"now": now})
        connection.execute(text("INSERT INTO cases (id, reference, source, call_id, urgency, status, level, ladder_run,"
                                " unacknowledged, created_at) VALUES (9, '1300-69-000009', 'call', 4, 'urgent', 'new', 0, 0,"
                                " false, :now)"), {"now": now})
        for job_id, function, args, status in [("case-open-4", "workers.jobs.open_case", "[4]", "pending"),
                                               ("sms-3", "workers.jobs.send_escalation", "[3]", "done")]:
            connection.execute(text("INSERT INTO outbox (job_id, function, args, queue, status, attempts, created_at)"
                                    " VALUES (:job_id, :function, :args, 'urgent', :status, 0, :now)"),
                               {"job_id": job_id, "function": function, "args": args, "status": status, "now": now})
    rows = "SELECT job_id, function, args, status FROM outbox ORDER BY id"

    def outbox() -> list[tuple]:
        with engine.connect() as connection:
            return [(job_id, function, json.loads(args) if isinstance(args, str) else args, status)
                    for job_id, function, args, status in connection.execute(text(rows))]

    alembic(empty_database, "upgrade", "0007")
    assert outbox() == [("case-start-9", "start_escalation", [9], "pending"), ("sms-3", "send_escalation", [3], "done")]
    alembic(empty_database, "downgrade", "0006")
    assert outbox() == [("case-start-9", "workers.jobs.start_escalation", [9], "pending"),
                        ("sms-3", "workers.jobs.send_escalation", [3], "done")]  # the earlier release runs these too
    alembic(empty_database, "upgrade", "head")
    assert [row[1] for row in outbox()] == ["start_escalation", "send_escalation"]
    engine.dispose()


def test_0008_adds_the_reports_summary_and_takes_it_away(empty_database):
    from models.summary import pack, unpack

    alembic(empty_database, "upgrade", "0007")
    engine = make_engine(empty_database)
    tables = ("summary_periods", "summary_counts", "summary_acks")

    def present() -> set[str]:
        from sqlalchemy import inspect

        return set(tables) & set(inspect(engine).get_table_names())

    assert present() == set()
    alembic(empty_database, "upgrade", "0008")
    assert present() == set(tables)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO summary_periods (unit, start, counted_until, counted_at)"
                                " VALUES ('week', '2026-11-23', '2026-11-30', '2026-12-01 00:00:00+00')"))
        connection.execute(text("INSERT INTO summary_counts (unit, start, figure, province_code, key, count)"
                                " VALUES ('week', '2026-11-23', 'calls', '10', 'th', 4)"))
        connection.execute(text("INSERT INTO summary_acks (unit, start, province_code, level, seconds)"
                                " VALUES ('week', '2026-11-23', '10', 1, :seconds)"), {"seconds": pack([60.5, 120.0])})
        assert list(unpack(connection.execute(text("SELECT seconds FROM summary_acks")).scalar())) == [60.5, 120.0]
    alembic(empty_database, "downgrade", "0007")
    assert present() == set()  # derived data: the next release's recount fills it again
    alembic(empty_database, "upgrade", "head")
    assert present() == set(tables)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM summary_periods")).scalar() == 0
    engine.dispose()
