"""A request id per request, logged with every line of that request (`casework.logs.bind`) and echoed back."""
from __future__ import annotations

import re
import uuid

from flask import Flask, g, request

from casework.logs import bind, reset

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def init_app(app: Flask) -> None:
    """Each request gets an id (the proxy's X-Request-ID when it sends a sane one), logged and echoed back."""

    @app.before_request
    def start_request():
        offered = request.headers.get("X-Request-ID", "")
        g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        g.log_token = bind(request_id=g.request_id)

    @app.after_request
    def echo_request_id(response):
        if "request_id" in g:
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.teardown_request
    def end_request(_error=None):
        token = g.pop("log_token", None)
        if token is not None:
            reset(token)
