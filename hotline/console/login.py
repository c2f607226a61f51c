"""Logging in and out. Attempts are counted per username and address (a success forgets them); failures are audited."""
from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import User, utcnow

from . import bp
from .access import EVERYONE, current_user, db, end, local_path, public, requires, start
from .audit import record
from .forms import LoginForm
from .i18n import LANGUAGES
from .throttle import throttle

# Checked against when the username is unknown, so both answers take as long.
UNKNOWN_USER_HASH = "scrypt:32768:8:1$2Z6qNQm0$" + "0" * 128


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.args.get("lang") in LANGUAGES:
        session["language"] = request.args["lang"]
    target = local_path(request.args.get("next"), url_for("console.dashboard"))
    if current_user() is not None:
        return redirect(target)
    form = LoginForm()
    if request.method == "GET" or not form.validate():
        return render_template("console/login.html", form=form), 200 if request.method == "GET" else 400
    username, ip = form.username.data.strip().lower(), request.remote_addr
    database = db()
    user = database.scalar(select(User).where(User.username == username))
    if not throttle().attempt(username, ip):
        record(database, "login_blocked", user, target=f"user:{username}")
        database.commit()
        form.form_errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
        return render_template("console/login.html", form=form), 429
    known = user is not None and user.active
    password_ok = check_password_hash(user.password_hash if known else UNKNOWN_USER_HASH, form.password.data)
    if not (known and password_ok):
        why = "unknown user" if user is None else "inactive user" if not user.active else "wrong password"
        record(database, "login_failed", user, target=f"user:{username}", reason=why)
        database.commit()
        form.form_errors.append(_("Wrong username or password."))
        return render_template("console/login.html", form=form), 401
    throttle().forget(username, ip)
    user.last_login_at = utcnow()
    record(database, "login", user, target=f"user:{username}")
    database.commit()
    start(user)
    return redirect(target)


@bp.post("/logout")
@requires(*EVERYONE)
def logout():
    user = current_user()
    record(db(), "logout", user, target=f"user:{user.username}")
    db().commit()
    end(user.language)
    return redirect(url_for("console.login"))
