"""The operator console: server-rendered pages for operators, supervisors, admins and field officers.

`init_app` wires it in: session cookies, CSRF on every form, Thai and English, the
`flask users` commands, then the blueprint. Every view is guarded by `access.requires`.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect

bp = Blueprint("console", __name__, url_prefix="/console")
csrf = CSRFProtect()
# Twilio's webhooks carry a signature and the JSON API a token instead of a CSRF token.
# Exempt by name, so a blueprint registered after the console (or nested in one) is covered too.
CSRF_EXEMPT = {"telephony", "sms", "api"}
SESSIONLESS = ("/voice/", "/sms/", "/api/")  # Twilio and API clients send no cookie


class ConsoleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened only where a person may be logged in: a webhook would
    otherwise build a signer and parse cookies on every request for nothing (bench P1)."""

    def open_session(self, app, request):
        if request.path.startswith(SESSIONLESS):
            return None  # Flask's null session: empty, and never written back
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    from . import access, i18n, users_cli

    config = app.config["HOTLINE"]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=not config.development,
        # Checked by protect_forms below, not by CSRFProtect's own hook, so exemptions go by blueprint name.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the login; expiry is the session's job
    )
    app.session_interface = ConsoleSessions()
    csrf.init_app(app)
    app.before_request(protect_forms)
    app.register_error_handler(CSRFError, form_expired)
    i18n.init_app(app)
    access.init_app(app)
    app.cli.add_command(users_cli.users)
    app.register_blueprint(bp)


def protect_forms():
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or request.endpoint is None:
        return  # no view will run (404, 405): let routing answer
    if (request.blueprint or "").split(".")[0] not in CSRF_EXEMPT:
        csrf.protect()


def form_expired(error: CSRFError):
    return render_template("console/error.html", code=400, reason="csrf"), 400


from . import audit_page, call_actions, call_page, calls, cases, dashboard, login, pages, preferences, recording, reports, sms_page  # noqa: E402,F401
from . import centres, queues_page, reassign, simulator_page  # noqa: E402,F401
