"""The app's extensions, bound by `create_app`: CSRF on every form, and the session cookie only where a person
may be logged in. A blueprint that machines call (Twilio's webhooks, the JSON API, LINE) declares so itself
with `machine_facing`: no CSRF token is asked of it and no session is opened for it."""
from __future__ import annotations

from flask import Blueprint, Flask
from flask.sessions import SecureCookieSessionInterface

_machine_facing: set[str] = set()  # blueprint names


def machine_facing(bp: Blueprint) -> Blueprint:
    """A blueprint whose callers prove themselves by a signature or a token, and send no cookie."""
    _machine_facing.add(bp.name)
    return bp


def is_machine_facing(blueprint: str | None) -> bool:
    return (blueprint or "").split(".")[0] in _machine_facing


class PeopleSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened only for blueprints people use: a webhook would otherwise build a
    signer and parse cookies on every request for nothing (bench P1)."""

    def open_session(self, app, request):
        if is_machine_facing(request.blueprint):
            return None  # Flask's null session: empty, and never written back
        return super().open_session(app, request)


def protect_forms(app: Flask) -> None:
    """Flask-WTF's CSRF check on every POST of every registered blueprint that is not machine-facing."""
    from flask_wtf.csrf import CSRFProtect

    csrf = CSRFProtect(app)
    for name, blueprint in app.blueprints.items():
        if is_machine_facing(name):
            csrf.exempt(blueprint)
