"""The header's switches: the user's language (saved with the user) and the calendar (this browser); and the
user's own password."""
from __future__ import annotations

from flask import current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from casework import accounts

from . import bp
from .access import EVERYONE, current_user, db, local_path, requires, start
from .account_forms import ChangePasswordForm
from .audit import record
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


def _password_page(form: ChangePasswordForm, status: int = 200):
    return make_response(render_template("console/password.html", form=form), status)


@bp.get("/password")
@requires(*EVERYONE)
def password():
    return _password_page(ChangePasswordForm(formdata=None))


@bp.post("/password")
@requires(*EVERYONE)
def change_password():
    """A new password ends every login of the user, wherever its cookie is; this browser gets a new one."""
    user = current_user()
    form = ChangePasswordForm(username=user.username)
    if form.validate() and not check_password_hash(user.password_hash, form.current.data):
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
    if form.errors:
        return _password_page(form, 400)
    accounts.set_password(db(), user, generate_password_hash(form.password.data))
    record(db(), "change_password", user, target=f"user:{user.username}")
    db().commit()
    start(user)
    flash(_("Your password has changed. Your other logins have ended."), "success")
    return redirect(url_for("console.dashboard"))
