"""`GET /metrics` in Prometheus' text format, behind a bearer token (404 when METRICS_TOKEN is unset).

Requests and IVR outcomes are counted in the process that served them (prometheus-client's
multiprocess mode under gunicorn, see gunicorn.conf.py); everything the database or Redis
already knows is read when Prometheus scrapes (`State`), so every worker answers the same.
"""
from __future__ import annotations

import hmac
import time
from datetime import timedelta

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from hotline.extensions import machine_facing
from models import Call, Case, Message, OutboxItem, utcnow
from models.calls import FINAL_STATUSES
from workers.queues import ALL, queue

bp = machine_facing(Blueprint("metrics", __name__))
LIVE_WINDOW = timedelta(hours=4)  # as the dashboard: "in progress" longer than this lost its final callback

REQUESTS = Counter("hotline_http_requests", "Requests answered, per route, method and status", ["route", "method", "status"])
LATENCY = Histogram("hotline_http_request_duration_seconds", "Time to answer, per route", ["route", "method"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
IVR_OUTCOMES = Counter("hotline_ivr_outcomes", "Calls that ended, by where the menu took them and language",
                       ["branch", "language"])


def init_app(app: Flask) -> None:
    app.before_request(_start_clock)
    app.after_request(_count)
    app.register_blueprint(bp)


def _start_clock():
    g.metrics_started = time.perf_counter()


# HTTP's methods; anything else a client makes up is counted as "other", so no client can add series at will.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _count(response):
    started = g.pop("metrics_started", None)
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(route, method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(route, method).observe(time.perf_counter() - started)
    return response


def call_ended(call: Call) -> None:
    """Count a call once, when its final status arrives: which branch of the menu it ended in (not a trainer's)."""
    if call.simulated:
        return
    if call.urgency == "urgent":
        branch = "urgent"
    elif call.topic in ("trafficking", "other_help"):
        branch = call.topic
    elif call.operator_requested_at is not None:
        branch = "operator"
    else:
        branch = "no_choice"
    IVR_OUTCOMES.labels(branch, call.language or "th").inc()


@bp.get("/metrics")
def metrics():
    config = current_app.config["HOTLINE"]
    if not config.METRICS_TOKEN:
        abort(404)
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {config.METRICS_TOKEN}".encode()):
        return Response("bearer token required\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    registry = CollectorRegistry()
    if config.PROMETHEUS_MULTIPROC_DIR:
        MultiProcessCollector(registry, path=str(config.PROMETHEUS_MULTIPROC_DIR))
    else:
        registry.register(_ThisProcess())
    registry.register(State(current_app.extensions["sessions"], current_app.extensions["redis"]))
    registry.register(Pool(config.POOL))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


class _ThisProcess:
    """Without multiprocess mode (one process: flask run, tests), the counters live in the default registry."""

    def collect(self):
        yield from REGISTRY.collect()


class Pool:
    """Which gunicorn pool answered: each pool has its own workers and counters (scrape each pool's port)."""

    def __init__(self, name: str):
        self.name = name

    def collect(self):
        info = GaugeMetricFamily("hotline_pool_info", "The gunicorn pool that served this scrape", labels=["pool"])
        info.add_metric([self.name], 1)
        yield info


class State:
    """Gauges read at scrape time from the database and Redis; an unreachable one reads as down, never a 500."""

    def __init__(self, sessions, redis):
        self.sessions, self.redis = sessions, redis

    def collect(self):
        up = GaugeMetricFamily("hotline_dependency_up", "1 when the dependency answered this scrape", labels=["dependency"])
        try:
            yield from self._database()
            up.add_metric(["database"], 1)
        except SQLAlchemyError:
            up.add_metric(["database"], 0)
        if self.redis is not None:
            try:
                yield from self._redis()
                up.add_metric(["redis"], 1)
            except RedisError:
                up.add_metric(["redis"], 0)
        yield up

    def _database(self):
        now = utcnow()
        with self.sessions() as session:
            live = session.scalar(select(func.count()).select_from(Call).where(
                Call.status.not_in(FINAL_STATUSES), Call.started_at >= now - LIVE_WINDOW, Call.not_training()))
            pending, oldest = session.execute(select(func.count(), func.min(OutboxItem.created_at))
                                              .where(OutboxItem.status != "done")).one()
            sms = session.execute(select(Message.status, func.count()).where(Message.direction == "out")
                                  .group_by(Message.status)).all()
            waiting = session.execute(select(Case.level, func.count()).where(
                Case.waiting, Case.unacknowledged.is_(False), Case.not_training())
                .group_by(Case.level)).all()
            late = session.execute(select(Case.urgency, func.count()).where(Case.late(now))
                                   .group_by(Case.urgency)).all()
        yield _gauge("hotline_calls_in_progress", "Calls without a final status yet (last 4 hours)", value=live)
        yield _gauge("hotline_outbox_pending", "Outbox items not done yet", value=pending)
        age = (now - oldest).total_seconds() if oldest is not None else 0
        yield _gauge("hotline_outbox_oldest_pending_age_seconds", "Age of the oldest outbox item not done", value=age)
        yield _gauge("hotline_sms_messages", "Escalation SMS by their last delivery status", ["status"], sms)
        yield _gauge("hotline_escalations_open", "Cases waiting for an acknowledgement, per escalation level",
                     ["level"], [(str(level), n) for level, n in waiting])
        yield _gauge("hotline_cases_unacknowledged_late",
                     "Open cases not acknowledged within their window (or the ladder ran out), per urgency",
                     ["urgency"], late)

    def _redis(self):
        depth = GaugeMetricFamily("hotline_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
        failed = GaugeMetricFamily("hotline_queue_failed_jobs", "Jobs in each queue's failed registry", labels=["queue"])
        scheduled = GaugeMetricFamily("hotline_queue_scheduled_jobs", "Jobs scheduled for later (SLA checks, retries)",
                                      labels=["queue"])
        for name in ALL:
            q = queue(name, self.redis)
            depth.add_metric([name], q.count)
            failed.add_metric([name], q.failed_job_registry.count)
            scheduled.add_metric([name], q.scheduled_job_registry.count)
        yield from (depth, failed, scheduled)
        yield _gauge("hotline_workers", "RQ workers registered in Redis", value=Worker.count(connection=self.redis))


def _gauge(name: str, documentation: str, labels: list[str] | None = None, rows=(), value=None) -> GaugeMetricFamily:
    if labels is None:
        return GaugeMetricFamily(name, documentation, value=value or 0)
    gauge = GaugeMetricFamily(name, documentation, labels=labels)
    for *label_values, count in rows:
        gauge.add_metric([str(v) for v in label_values], count)
    return gauge
