"""GET /readyz: database, Redis, migrations at head and a live worker, each said in JSON; 503 if one fails."""
from __future__ import annotations

import pytest
from rq import Worker

from casework.config import Config
from hotline import create_app
from workers.queues import ALL, connect, queue


@pytest.fixture
def ready_app(config, redis_url):
    return create_app(Config(**{**config.__dict__, "REDIS_URL": redis_url}))


@pytest.fixture
def worker(redis_url):
    redis = connect(redis_url)
    worker = Worker([queue(name, redis) for name in ALL], connection=redis)
    worker.register_birth()  # what a starting worker writes, with its first heartbeat
    yield worker
    worker.register_death()


def readyz(app):
    response = app.test_client().get("/readyz")
    return response.status_code, response.json


def test_ready_when_everything_answers_and_a_worker_heartbeats(ready_app, worker):
    code, body = readyz(ready_app)
    assert code == 200, body
    assert body == {"status": "ready", "pool": "web",
                    "checks": {"database": "ok", "migrations": "ok", "redis": "ok", "worker": "ok"}}


def test_not_ready_without_a_worker(ready_app):
    code, body = readyz(ready_app)
    assert code == 503 and body["checks"]["worker"] == "no worker seen recently" and body["status"] == "not ready"


def test_not_ready_when_the_last_heartbeat_is_old(ready_app, worker):
    ready_app.config["HOTLINE"].WORKER_SEEN_WITHIN = 0
    code, body = readyz(ready_app)
    assert code == 503 and body["checks"]["worker"].startswith("last heartbeat")


def test_not_ready_when_redis_is_down(config):
    app = create_app(Config(**{**config.__dict__, "REDIS_URL": "redis://127.0.0.1:1/0"}))  # a closed port
    code, body = readyz(app)
    assert code == 503
    assert body["checks"]["redis"].startswith("unreachable") and body["checks"]["worker"].startswith("unknown")
    assert body["checks"]["database"] == "ok"


def test_not_ready_when_the_database_is_down(config, redis_url, worker):
    app = create_app(Config(**{**config.__dict__, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test",
                               "REDIS_URL": redis_url}))
    code, body = readyz(app)
    assert code == 503
    assert body["checks"]["database"].startswith("unreachable") and body["checks"]["migrations"].startswith("unknown")
    assert body["checks"]["redis"] == "ok"


def test_not_ready_before_the_migrations_ran(config, tmp_path):
    app = create_app(Config(**{**config.__dict__, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}))
    code, body = readyz(app)
    assert code == 503 and body["checks"]["migrations"].startswith("unknown") and body["checks"]["redis"] == "not configured"


def test_liveness_stays_up_without_redis(config):
    app = create_app(Config(**{**config.__dict__, "REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert app.test_client().get("/healthz").status_code == 200
