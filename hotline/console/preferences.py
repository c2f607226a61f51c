"""The header's switches: the user's language (saved with the user) and the calendar (this browser)."""
from __future__ import annotations

from flask import current_app, redirect, request, session, url_for

from . import bp
from .access import EVERYONE, current_user, db, local_path, requires
from .i18n import CALENDAR_COOKIE, LANGUAGES

YEAR = 365 * 24 * 3600


@bp.post("/preferences")
@requires(*EVERYONE)
def preferences():
    user = current_user()
    response = redirect(local_path(request.form.get("next"), url_for("console.dashboard")))
    language = request.form.get("language")
    if language in LANGUAGES and language != user.language:
        user.language = language
        db().commit()
        session["language"] = language
    calendar = request.form.get("calendar")
    if calendar in ("be", "ce"):
        response.set_cookie(CALENDAR_COOKIE, calendar, max_age=YEAR, httponly=True, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
