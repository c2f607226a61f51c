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
    # The field team's SMS carries PUBLIC_BASE_URL/c/<id>: short, so the SMS stays within two segments.
    app.add_url_rule("/c/<int:case_id>", "case_link", cases.case_link)


def preload(app: Flask) -> None:
    """What every console page needs, loaded once by the web pool's gunicorn master before it forks (and then
    frozen), so that its workers share it instead of each building its own: the compiled templates, the Thai and
    English catalogues and Babel's locale data for both."""
    from babel.dates import get_month_names
    from flask_babel import force_locale, get_translations

    for name in app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html")):
        app.jinja_env.get_template(name)
    with app.test_request_context():
        for language in i18n.LANGUAGES:
            with force_locale(language):
                get_translations()
                get_month_names("abbreviated", locale=language)
                get_month_names("wide", locale=language)


from . import (  # noqa: E402,F401
    audit_page,
    call_actions,
    call_controls,
    call_page,
    callbacks,
    calls,
    case_place,
    case_print,
    cases,
    centres,
    chats,
    dashboard,
    desk_page,
    export_deidentified,
    field_reports,
    i18n,
    intake_page,
    interpreters_page,
    line_media,
    links,
    login,
    pages,
    preferences,
    queues_page,
    reassign,
    recording,
    reports,
    simulator_line_chat,
    simulator_page,
    sms_page,
    users_page,
    voice_token,
    wallboard,
)
