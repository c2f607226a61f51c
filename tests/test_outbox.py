"""Work is written with its data, enqueued after commit on real Redis, and swept when Redis was away."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from hotline import create_app
from hotline.config import Config
from models import Call, OutboxItem, utcnow
from support import Twilio, call_params
from workers import outbox, queues, runtime
from workers.db import sessions

SID = "CA" + "f" * 32


@pytest.fixture
def live(config, redis_url, monkeypatch):
    """The app with the machine's Redis; jobs read the same database."""
    monkeypatch.setenv("HOTLINE_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", config.DATABASE_URL)
    sessions.cache_clear()
    runtime.config.cache_clear()
    cfg = Config(**{**config.__dict__, "REDIS_URL": redis_url})
    app = create_app(cfg)
    yield app, Twilio(app.test_client()), Redis.from_url(redis_url)
    sessions.cache_clear()
    runtime.config.cache_clear()


def urgent_call(twilio) -> None:
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="1"))


def run_worker(redis) -> None:
    worker = SimpleWorker([queues.queue(n, redis) for n in queues.ALL], connection=redis, serializer=JSONSerializer)
    worker.work(burst=True)


def test_an_urgent_call_enqueues_its_case_job_by_id_after_commit(live, db):
    app, twilio, redis = live
    urgent_call(twilio)
    item = db.scalars(select(OutboxItem)).one()
    call = db.scalars(select(Call)).one()
    assert item.status == "enqueued"
    job = Job.fetch(item.job_id, connection=redis, serializer=JSONSerializer)
    assert job.func_name == "workers.jobs.open_case" and list(job.args) == [call.id] and job.origin == "urgent"
    run_worker(redis)
    db.expire_all()
    assert db.get(OutboxItem, item.id).status == "done"


def test_a_repeated_dispatch_does_not_enqueue_the_job_twice(live, db):
    app, twilio, redis = live
    urgent_call(twilio)
    twilio.post("/voice/status", call_params(SID, CallStatus="completed"))  # same case job, already queued
    with app.extensions["sessions"]() as session:
        outbox.sweep(session, redis, older_than=-1)
    assert queues.queue("urgent", redis).count == 1
    assert len(db.scalars(select(OutboxItem)).all()) == 1


def test_with_redis_down_the_caller_is_served_and_the_sweep_enqueues_later(config, live, db):
    _, _, redis = live
    down = Config(**{**config.__dict__, "REDIS_URL": "redis://127.0.0.1:1/0"})
    twilio = Twilio(create_app(down).test_client())
    urgent_call(twilio)
    item = db.scalars(select(OutboxItem)).one()
    assert item.status == "pending" and "enqueue failed" in item.last_error
    assert create_app(down).test_client().get("/healthz").json["status"] == "degraded"

    app, _, _ = live
    with app.extensions["sessions"]() as session:
        assert outbox.sweep(session, redis, older_than=-1) == 1
    run_worker(redis)
    db.expire_all()
    assert db.get(OutboxItem, item.id).status == "done"


def test_a_failed_job_is_enqueued_again_by_the_sweep(live, db, monkeypatch):
    app, twilio, redis = live
    urgent_call(twilio)
    from workers import jobs

    with monkeypatch.context() as broken:
        broken.setattr(jobs, "open_case_for_call", lambda *a: (_ for _ in ()).throw(RuntimeError("worker trouble")))
        worker = SimpleWorker([queues.queue("urgent", redis)], connection=redis, serializer=JSONSerializer)
        worker.work(burst=True, max_jobs=1)
    item = db.scalars(select(OutboxItem)).one()
    job = Job.fetch(item.job_id, connection=redis, serializer=JSONSerializer)
    assert job.get_status() in ("failed", "scheduled")  # Retry puts it back on the schedule
    job.cancel() if job.get_status() == "scheduled" else None
    with app.extensions["sessions"]() as session:
        assert outbox.sweep(session, redis, older_than=-1) == 1
    run_worker(redis)
    db.expire_all()
    assert db.get(OutboxItem, item.id).status == "done"


def test_a_job_a_dying_worker_took_off_its_queue_is_enqueued_again_after_a_minute(live, db):
    app, twilio, redis = live
    urgent_call(twilio)
    item = db.scalars(select(OutboxItem)).one()
    q = queues.queue(item.queue, redis)
    redis.lmove(q.key, q.intermediate_queue.key)  # a worker's dequeue, then SIGKILL before it starts the job
    assert Job.fetch(item.job_id, connection=redis, serializer=JSONSerializer).get_status() == "queued"
    with app.extensions["sessions"]() as session:
        outbox.sweep(session, redis, older_than=-1)  # first seen: a live worker may be starting it
        assert q.job_ids == []
        with time_machine.travel(utcnow() + timedelta(seconds=61), tick=True):
            outbox.sweep(session, redis, older_than=-1)
    assert q.job_ids == [item.job_id] and q.intermediate_queue.get_job_ids() == []
    run_worker(redis)
    db.expire_all()
    assert db.get(OutboxItem, item.id).status == "done"


def test_running_the_case_job_twice_is_harmless(live, db):
    app, twilio, redis = live
    urgent_call(twilio)
    call = db.scalars(select(Call)).one()
    from workers.jobs import open_case

    open_case(call.id)
    open_case(call.id)
    db.expire_all()
    assert db.scalars(select(OutboxItem)).one().status == "done"


def test_health_reports_database_and_redis(live):
    app, _, _ = live
    body = app.test_client().get("/healthz").json
    assert body == {"database": "ok", "redis": "ok", "spooled_files": 0, "status": "ok"}


def test_an_item_done_while_it_was_being_enqueued_stays_done(live, db, monkeypatch):
    """The job can finish between the read of its item and the enqueue's write: that write must not undo it."""
    app, _twilio, redis = live
    with app.extensions["sessions"]() as session:
        outbox.add(session, "workers.jobs.open_case", [1], "case-race", "default")
        session.commit()
        item = session.scalars(select(OutboxItem)).one()

        def finish_first(_redis, item):
            with app.extensions["sessions"]() as other:
                outbox.mark_done(other, item.job_id)
                other.commit()

        monkeypatch.setattr(outbox, "_enqueue", finish_first)
        outbox._enqueue_all(session, redis, [item])
    db.expire_all()
    assert db.scalars(select(OutboxItem)).one().status == "done"
