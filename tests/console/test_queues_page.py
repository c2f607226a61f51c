"""The queues page: supervisors see depths, workers and failed jobs, and requeue one (audited)."""
from __future__ import annotations

import pytest
from redis import Redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from casework.config import Config
from hotline import create_app
from models import AuditEntry
from workers.queues import ALL, SMS, queue


@pytest.fixture
def app(config, redis_url):
    app = create_app(Config(**{**config.__dict__, "REDIS_URL": redis_url}))
    yield app
    app.extensions["engine"].dispose()


def fail_one(redis: Redis) -> str:
    job = queue(SMS, redis).enqueue("workers.jobs.send_escalation", 999_999, job_id="sms-999999")
    SimpleWorker([queue(name, redis) for name in ALL], connection=redis, serializer=JSONSerializer).work(burst=True)
    return job.id


def test_a_supervisor_sees_the_failed_job_and_requeues_it(app, db, as_role, redis_url):
    redis = Redis.from_url(redis_url)
    job_id = fail_one(redis)
    supervisor = as_role("supervisor")
    page = supervisor.get("/console/queues").get_data(as_text=True)
    assert "sms-999999" in page and "send_escalation(999999)" in page and "No worker is running" in page

    response = supervisor.post("/console/queues/requeue", {"queue": "sms", "job": job_id})
    assert response.status_code == 302
    assert queue(SMS, redis).count == 1 and queue(SMS, redis).failed_job_registry.count == 0
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "requeue_job")).one()
    assert entry.target == "sms:sms-999999" and entry.user_id is not None
    assert "is back in the sms queue" in supervisor.get("/console/queues").get_data(as_text=True)


def test_a_requeue_without_a_csrf_token_or_of_an_unknown_job_changes_nothing(app, db, as_role, redis_url):
    redis = Redis.from_url(redis_url)
    job_id = fail_one(redis)
    admin = as_role("admin")
    assert admin.post("/console/queues/requeue", {"queue": "sms", "job": job_id}, token=False).status_code == 400
    admin.post("/console/queues/requeue", {"queue": "sms", "job": "sms-1"})
    admin.post("/console/queues/requeue", {"queue": "nope", "job": "../x"})
    assert queue(SMS, redis).failed_job_registry.count == 1
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "requeue_job")).all() == []


def test_the_page_shows_each_worker_and_its_heartbeat_and_operators_are_kept_out(app, as_role, redis_url):
    redis = Redis.from_url(redis_url)
    worker = SimpleWorker([queue(name, redis) for name in ALL], connection=redis, name="worker-on-host-7")
    worker.register_birth()
    try:
        page = as_role("admin").get("/console/queues").get_data(as_text=True)
    finally:
        worker.register_death()
    assert "worker-on-host-7" in page and "No worker is running" not in page
    assert as_role("operator").get("/console/queues").status_code == 403
