"""The 1300 hotline's web app: `create_app(config)` reads like a table of contents."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.middleware.proxy_fix import ProxyFix

from casework.config import Config


def create_app(config: Config | None = None) -> Flask:
    """The app for the pool `config.POOL` names: `web` (the console, the API, and the webhooks too, which the console's
    IVR simulator calls in-process) or `webhooks` (Twilio's callbacks only: no console, no API, no Babel)."""
    config = config or Config.from_env()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=config.SECRET_KEY, MAX_CONTENT_LENGTH=config.MAX_CONTENT_LENGTH,
                      TESTING=config.TESTING, HOTLINE=config)
    register_proxy(app, config)
    register_observability(app, config)
    register_security_headers(app, config)
    register_extensions(app, config)
    register_webhooks(app)
    if config.POOL == "web":
        register_pages_and_api(app, config)
        register_commands(app)
    return app


def register_proxy(app: Flask, config: Config) -> None:
    if config.PROXY_FIX_X_FOR:
        n = config.PROXY_FIX_X_FOR
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n, x_prefix=n)


def register_observability(app: Flask, config: Config) -> None:
    """JSON logs with numbers and notes masked, a request id per request, and /metrics."""
    from casework import logs as process_logs

    from . import logs, metrics

    process_logs.setup("web", config.LOG_LEVEL, config.LOG_FORMAT)
    logs.init_app(app)
    metrics.init_app(app)


def register_security_headers(app: Flask, config: Config) -> None:
    """Baseline for every answer; the console adds its Content-Security-Policy."""

    @app.after_request
    def safe(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not config.development:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def register_extensions(app: Flask, config: Config) -> None:
    from workers.queues import connect

    from . import db
    from .extensions import PeopleSessions

    db.init_app(app)
    app.extensions["redis"] = connect(config.REDIS_URL)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=not config.development)
    app.session_interface = PeopleSessions()  # a cookie only for the console's people


def register_webhooks(app: Flask) -> None:
    from . import health, line, telephony
    from .telephony import sms

    app.register_blueprint(health.bp)
    app.register_blueprint(telephony.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(line.bp)


def register_pages_and_api(app: Flask, config: Config) -> None:
    """The JSON API and the console (Thai/English, the login guard), with a CSRF token on every form (`extensions`)."""
    from flask_wtf.csrf import CSRFError

    from . import api, console
    from .extensions import protect_forms

    app.config.update(WTF_CSRF_TIME_LIMIT=None)  # a token lives as long as the login; expiry is the session's job
    app.register_blueprint(api.bp)
    console.init_app(app)
    protect_forms(app)
    app.register_error_handler(CSRFError, form_expired)


def form_expired(error):
    """The console's own page for people; a precise JSON answer for anything else (an API client, a webhook
    whose blueprint forgot `machine_facing`), never the console's HTML."""
    if (request.blueprint or "").split(".")[0] == "console":
        return render_template("console/error.html", code=400, reason="csrf"), 400
    return jsonify(error={"code": "csrf_token_missing",
                          "message": f"{error.description} (a form of the console was expected here)"}), 400


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
