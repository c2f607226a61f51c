"""The operator console: server-rendered pages for operators, supervisors, admins and field officers.

`init_app` wires it in: Thai and English, the login guard, then the blueprint (sessions and CSRF are
the app's, `hotline.extensions`). Every view is guarded by `access.requires`.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("console", __name__, url_prefix="/console")


def init_app(app: Flask) -> None:
    from . import access, i18n

    i18n.init_app(app)
    access.init_app(app)
    recording.init_app(app)
    app.register_blueprint(bp)


from . import (  # noqa: E402,F401  # noqa: E402,F401
    audit_page,
    call_actions,
    call_page,
    calls,
    cases,
    centres,
    dashboard,
    login,
    pages,
    preferences,
    queues_page,
    reassign,
    recording,
    reports,
    simulator_page,
    sms_page,
)
