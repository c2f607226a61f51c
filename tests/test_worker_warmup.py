"""The worker's parent rehearses the jobs before forking (workers/warmup.py), and pools per process
(workers/db.py): the rehearsal writes, sends and enqueues nothing; a forked horse compiles no SQL of
its job and never uses a connection of its parent's."""
from __future__ import annotations

import json
import logging
import os

import pytest
from helpers.ladder import report
from sqlalchemy import select, text
from sqlalchemy.sql import compiler

from models import Base, Call, Case, Message
from workers import db as worker_db
from workers import jobs, runtime
from workers import twilio_sms as sms
from workers.warmup import warm_up

SID = "CA" + "7" * 32
postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def snapshot(session) -> dict:
    """Rows per table, and the ids a person sees (case numbers are made of the case id) or refers to."""
    tables = {table.name: session.scalar(text(f"SELECT count(*) FROM {table.name}")) for table in Base.metadata.sorted_tables}
    sequences = {name: session.scalar(text(f"SELECT last_value FROM {name}"))
                 for name in ("cases_id_seq", "calls_id_seq", "centres_id_seq", "contacts_id_seq")}
    return {"tables": tables, "sequences": sequences}


def compiling(work) -> list[str]:
    """The statements SQLAlchemy compiles while `work()` runs."""
    compiled, original = [], compiler.Compiled.__init__

    def counting(self, *args, **kwargs):
        compiled.append(type(self).__name__)
        original(self, *args, **kwargs)

    compiler.Compiled.__init__ = counting
    try:
        work()
    finally:
        compiler.Compiled.__init__ = original
    return compiled


def in_child(work) -> dict:
    """Run `work()` in a forked child, as RQ runs a job in a work horse; what it returns (JSON)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read_fd)
            os.write(write_fd, json.dumps(work()).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    data = b""
    while chunk := os.read(read_fd, 65536):
        data += chunk
    os.close(read_fd)
    assert os.waitpid(pid, 0)[1] == 0, "the child failed"
    return json.loads(data)


@postgres_only
def test_the_warm_up_rolls_back_and_sends_and_enqueues_nothing(ladder_env, db, monkeypatch, caplog):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "2"], postcode="50200")  # a real case in the database, its jobs queued
    redis.flushdb()
    before = snapshot(db)
    monkeypatch.setattr(sms, "twilio_client", lambda *_: pytest.fail("the warm-up reached Twilio"))
    context = runtime.current()
    sender, redis_of = context.sender, context.redis
    with caplog.at_level(logging.INFO):
        compiled = compiling(lambda: warm_up(context))
    assert len(compiled) > 5
    db.rollback()
    assert snapshot(db) == before  # no row; no case number skipped (escalation, outbox ids may have gaps)
    assert redis.dbsize() == 0  # nothing enqueued, nothing scheduled
    assert runtime.current() is context and (context.sender, context.redis) == (sender, redis_of)  # untouched
    assert context.sessions.kw["bind"].pool.checkedin() == 0  # no connection left for a horse to inherit
    assert "warmed up" in caplog.text and "escalation=" not in caplog.text  # the rehearsal's own logs are silenced


@postgres_only
def test_a_horse_forked_after_the_warm_up_compiles_no_sql_for_its_job(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "2"], postcode="50200")
    case_id = db.scalar(select(Case.id).join(Call, Call.id == Case.call_id).where(Call.call_sid == SID))
    warm_up(runtime.current())

    def horse():
        # level 1: two duty officers, both SMS sent (dry run) in this job
        compiled = compiling(lambda: jobs.start_escalation(case_id))
        worker_db.release()
        return compiled

    assert in_child(horse) == []
    db.rollback()
    assert db.scalar(select(Message.id).where(Message.direction == "out").limit(1)) is not None


@postgres_only
def test_a_horse_never_uses_its_parents_connection(ladder_env):
    factory = runtime.current().sessions
    with factory() as session:
        parent_backend = session.scalar(text("SELECT pg_backend_pid()"))
    assert factory.kw["bind"].pool.checkedin() == 1  # pooled in the parent, as the relay would

    def horse():
        with factory() as session:
            first = session.scalar(text("SELECT pg_backend_pid()"))
        with factory() as session:  # the job's next transaction: the same connection again
            second = session.scalar(text("SELECT pg_backend_pid()"))
        worker_db.release()
        return [first, second]

    first, second = in_child(horse)
    assert first == second != parent_backend
    with factory() as session:  # the parent's connection survived its child
        assert session.scalar(text("SELECT pg_backend_pid()")) == parent_backend


def test_the_warm_up_skips_sqlite_and_survives_a_database_that_is_down(sqlite_url, caplog):
    from sqlalchemy.orm import sessionmaker

    from casework.config import Config
    from models import make_engine
    from workers.warmup import RehearsalSender

    def context(url: str):
        return runtime.Context(Config(ENV="test", DATABASE_URL=url), sessionmaker(make_engine(url)), None,
                               RehearsalSender())

    assert warm_up(context(sqlite_url)) == 0
    with caplog.at_level(logging.WARNING):
        assert warm_up(context("postgresql://postgres@127.0.0.1:9/none")) == 0
    assert "not warmed up" in caplog.text


def test_the_twilio_client_is_kept_per_process():
    from types import SimpleNamespace

    cfg = SimpleNamespace(TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="2" * 32,
                          TWILIO_API_BASE_URL="http://127.0.0.1:9")
    first = sms.twilio_client(cfg)
    assert sms.twilio_client(cfg) is first  # a job's second SMS reuses the first one's connection
    assert in_child(lambda: [sms.twilio_client(cfg) is first, sms.twilio_client(cfg) is sms.twilio_client(cfg)]) == [
        False, True]  # a horse builds its own, never its parent's sockets
