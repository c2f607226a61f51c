"""`GET /healthz`: is the database reachable, is Redis, is anything waiting in the spool."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hotline.telephony import spool

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    config = current_app.config["HOTLINE"]
    checks = {"database": _database(), "redis": _redis(), "spooled_files": len(spool.pending(config.SPOOL_DIR))}
    # Webhooks still answer without Redis (the outbox keeps the work), not without the database.
    code = 200 if checks["database"] == "ok" else 503
    checks["status"] = "ok" if code == 200 and checks["redis"] == "ok" else ("degraded" if code == 200 else "down")
    return jsonify(checks), code


@bp.get("/")
def index():
    return jsonify(service="1300 hotline", health="/healthz",
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
