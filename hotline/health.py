"""`GET /healthz` (liveness: is the database reachable, is Redis, is anything waiting in the spool) and
`GET /readyz` (readiness: database, Redis, migrations at head, a worker seen recently)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from casework import spool
from hotline.extensions import machine_facing
from models import utcnow
from models.db import SCHEMA_REVISION

bp = machine_facing(Blueprint("health", __name__))


@bp.get("/healthz")
def healthz():
    config = current_app.config["HOTLINE"]
    checks = {"database": _database(), "redis": _redis(), "spooled_files": len(spool.pending(config.SPOOL_DIR))}
    # Webhooks still answer without Redis (the outbox keeps the work), not without the database.
    code = 200 if checks["database"] == "ok" else 503
    checks["status"] = "ok" if code == 200 and checks["redis"] == "ok" else ("degraded" if code == 200 else "down")
    checks["pool"] = config.POOL  # which gunicorn pool answered: web, or webhooks (the proxy routes by path)
    return jsonify(checks), code


@bp.get("/readyz")
def readyz():
    """Every check "ok" (or "not configured" for Redis and the worker without Redis) is 200; else 503."""
    checks = {"database": _database(), "migrations": _migrations(), "redis": _redis(), "worker": _worker()}
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", pool=current_app.config["HOTLINE"].POOL, checks=checks), \
        200 if ready else 503


@bp.get("/")
def index():
    return jsonify(service="1300 hotline", health="/healthz", ready="/readyz",
                   webhooks={"voice": "/voice/incoming", "status": "/voice/status", "fallback": "/voice/fallback"})


def _database() -> str:
    try:
        with current_app.extensions["engine"].connect() as connection:
            connection.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as exc:
        return f"unreachable: {type(exc).__name__}"


def _redis() -> str:
    redis = current_app.extensions["redis"]
    if redis is None:
        return "not configured"
    try:
        redis.ping()
        return "ok"
    except RedisError as exc:
        return f"unreachable: {type(exc).__name__}"


def _migrations() -> str:
    try:
        with current_app.extensions["engine"].connect() as connection:
            current = frozenset(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError as exc:
        return f"unknown: {type(exc).__name__}"  # unreachable, or never migrated (no alembic_version)
    if current == {SCHEMA_REVISION}:
        return "ok"
    return f"not at head: database {', '.join(sorted(current)) or 'empty'}, code {SCHEMA_REVISION}"


def _worker() -> str:
    """A worker heartbeats at least every WORKER_SEEN_WITHIN seconds (RQ: each job, and each idle wait of ~405 s)."""
    redis = current_app.extensions["redis"]
    if redis is None:
        return "not configured"
    window = timedelta(seconds=current_app.config["HOTLINE"].WORKER_SEEN_WITHIN)
    try:
        seen = [w.last_heartbeat for w in Worker.all(connection=redis) if w.last_heartbeat is not None]
    except RedisError as exc:
        return f"unknown: {type(exc).__name__}"
    if any(utcnow() - beat <= window for beat in seen):
        return "ok"
    return "no worker seen recently" if not seen else f"last heartbeat {int((utcnow() - max(seen)).total_seconds())} s ago"
