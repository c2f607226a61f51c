"""Work is written with its data, enqueued after commit on real Redis, and swept when Redis was away."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from helpers.support import Twilio, call_params
from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer
from sqlalchemy import select

from casework import work
from casework.config import Config
from hotline import create_app
from models import Case, OutboxItem, utcnow
from workers import dispatch as outbox
from workers import queues, runtime
from workers.db import forget

SID = "CA" + "f" * 32


@pytest.fixture
def live(config, redis_url, monkeypatch):
    """The app with the machine's Redis; jobs read the same database."""
    forget()
    cfg = Config(**{**config.__dict__, "REDIS_URL": redis_url})
    runtime.start(cfg)
    app = create_app(cfg)
    yield app, Twilio(app.test_client()), Redis.from_url(redis_url)
    runtime.stop()
    forget()


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
    case = db.scalars(select(Case)).one()
    assert item.status == "enqueued"
    job = Job.fetch(item.job_id, connection=redis, serializer=JSONSerializer)
    assert job.func_name == "workers.jobs.start_escalation" and list(job.args) == [case.id] and job.origin == "urgent"
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
        broken.setattr(jobs.ladder, "begin", lambda *a: (_ for _ in ()).throw(RuntimeError("worker trouble")))
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
    case = db.scalars(select(Case)).one()
    from workers.jobs import start_escalation

    start_escalation(case.id)
    start_escalation(case.id)
    db.expire_all()
    assert db.scalars(select(OutboxItem)).one().status == "done"


def test_health_reports_database_and_redis(live):
    app, _, _ = live
    body = app.test_client().get("/healthz").json
    assert body == {"database": "ok", "redis": "ok", "spooled_files": 0, "status": "ok", "pool": "web"}


def test_an_item_done_while_it_was_being_enqueued_stays_done(live, db, monkeypatch):
    """The job can finish between the read of its item and the enqueue's write: that write must not undo it."""
    app, _twilio, redis = live
    with app.extensions["sessions"]() as session:
        work.add(session, work.Work("start_escalation", (1,), "case-race", "default"))
        session.commit()
        item = session.scalars(select(OutboxItem)).one()

        def finish_first(_queue, _function, _args, job_id):
            with app.extensions["sessions"]() as other:
                work.mark_done(other, job_id)
                other.commit()

        monkeypatch.setattr(outbox, "enqueue_once", finish_first)
        outbox._enqueue_all(session, redis, [item])
    db.expire_all()
    assert db.scalars(select(OutboxItem)).one().status == "done"


def test_every_job_casework_names_is_a_job_the_workers_run():
    from types import SimpleNamespace

    from rq.utils import import_attribute

    from workers.jobs import JOBS

    case = SimpleNamespace(id=7, urgency="urgent")
    named = [work.start_escalation(case), work.restart_escalation(7, 1, "normal"), work.send_escalation(3),
             work.hurry_escalation(7, 0, 1), work.check_acknowledged(7, 2, 1), work.hurried_check(7, 1), work.run_retention("2026-12-03"),
             work.recount_reports(None, "2026-12-03", "all-2026-12-03"), work.line_event(5), work.send_line_message(6),
             work.desk_route("w1-1"), work.desk_ring(1), work.desk_hang_up(1), work.desk_add_interpreter(1),
             work.desk_offer_message(1, "20261205030000"), work.desk_control(1, "hold", 1), work.desk_call_back(1, "20261205030000"),
             work.line_content(8)]
    assert {w.job for w in named} == set(JOBS)
    for w in named:
        assert import_attribute(outbox.job_function(w.job)) is JOBS[w.job]
        assert import_attribute(outbox.job_function(f"workers.jobs.{w.job}")) is JOBS[w.job]  # rows before 0007
