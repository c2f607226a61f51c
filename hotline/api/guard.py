"""Every API call: a bearer token, a per-token rate limit, an audit entry, and JSON errors."""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta
from functools import wraps

from flask import current_app, g, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from hotline.db import transaction
from models import AuditEntry, utcnow

from . import tokens

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields


def error_response(status: int, code: str, message: str, fields: list | None = None, headers: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def token_required(permission: str | None = None):
    """Authenticate, rate-limit and audit; `permission` is `report` for writes."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            secret = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            with transaction() as session:
                token = tokens.find(session, secret) if secret else None
                if token is None:
                    raise ApiError(401, "unauthorized", "a valid API token is required: Authorization: Bearer <token>")
                _limit(token.id)
                if permission == "report" and not token.can_report:
                    raise ApiError(403, "forbidden", "this token may read but not report")
                if token.last_used_at is None or utcnow() - token.last_used_at > timedelta(minutes=1):
                    token.last_used_at = utcnow()
                session.add(AuditEntry(token_id=token.id, action=f"api:{request.endpoint.removeprefix('api.')}"[:32],
                                       target=request.path[:64], ip=request.remote_addr, at=utcnow()))
                session.flush()
                session.expunge(token)
            g.api_token = token
            return view(*args, **kwargs)

        return guarded

    return decorate


def _limit(token_id: int) -> None:
    limit = current_app.config["HOTLINE"].API_RATE_LIMIT_PER_MINUTE
    minute = int(time.time() // 60)
    redis = current_app.extensions["redis"]
    count = None
    if redis is not None:
        try:
            key = f"hotline:api-rate:{token_id}:{minute}"
            count, _ = redis.pipeline().incr(key).expire(key, 120).execute()
        except RedisError:
            count = None
    if count is None:  # no Redis: count in this process (each gunicorn worker alone)
        counts = current_app.extensions.setdefault("api_rate", defaultdict(int))
        counts[(token_id, minute)] += 1
        count = counts[(token_id, minute)]
    if count > limit:
        raise ApiError(429, "rate_limited", f"more than {limit} requests a minute for this token; retry shortly")


def register_errors(bp) -> None:
    @bp.errorhandler(ApiError)
    def api_error(error: ApiError):
        headers = {"Retry-After": "60"} if error.status == 429 else {}
        if error.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error_response(error.status, error.code, error.message, error.fields, headers)

    @bp.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return error_response(error.code or 500, error.name.lower().replace(" ", "_"), error.description or error.name)

    @bp.app_errorhandler(404)
    @bp.app_errorhandler(405)
    def unrouted(error: HTTPException):
        """Paths under /api/v1 that match no route still answer JSON."""
        if request.path.startswith(bp.url_prefix):
            return http_error(error)
        return error

    @bp.errorhandler(SQLAlchemyError)
    def database_down(error: SQLAlchemyError):
        log.exception("database error in %s", request.path)
        return error_response(503, "unavailable", "the database is unavailable; nothing was saved, retry later",
                              headers={"Retry-After": "30"})

    @bp.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error in %s", request.path)
        return error_response(500, "internal_error", "something went wrong on our side; nothing was saved")
