"""The admin's users page: who may log in, with which role and provinces, and their open logins.

Every change goes through `casework.accounts` (so a change of rights ends the user's logins at
once) and is audited as the admin. An admin cannot deactivate or demote themselves: the hotline
would risk having no admin left, and nobody could undo it from the console.
"""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from casework import accounts
from models import User, utcnow

from . import bp
from .access import current_user, db, requires
from .account_forms import NewUserForm, ResetPasswordForm, RoleForm
from .audit import record


def _target(user: User) -> str:
    return f"user:{user.username}"


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def render_users(form: NewUserForm, status: int = 200):
    people = db().scalars(select(User).order_by(User.username)).all()
    return make_response(render_template("console/users.html", people=people, logins=accounts.open_sessions(db()),
                                         form=form), status)


@bp.get("/users")
@requires("admin")
def users():
    return render_users(NewUserForm(formdata=None))


@bp.post("/users")
@requires("admin")
def create_user():
    form = NewUserForm()
    if form.validate() and db().scalar(select(User.id).where(User.username == form.username.data)) is not None:
        form.username.errors = [*form.username.errors, _("This username is taken.")]
    if form.errors:
        return render_users(form, 400)
    user = User(username=form.username.data, password_hash=generate_password_hash(form.password.data),
                role=form.role.data, provinces=sorted(form.provinces.data or []), language=form.language.data,
                active=True, created_at=utcnow())
    db().add(user)
    db().flush()
    record(db(), "create_user", current_user(), target=_target(user), reason=f"{user.role} {','.join(user.provinces)}".strip())
    db().commit()
    flash(_("User %(name)s created.", name=user.username), "success")
    return redirect(url_for("console.user", user_id=user.id))


def render_user(user: User, status: int = 200, role_form: RoleForm | None = None,
                password_form: ResetPasswordForm | None = None, problem: str | None = None):
    logins = accounts.open_sessions(db()).get(user.id, 0)
    role_form = role_form or RoleForm(formdata=None, data={"role": user.role, "provinces": user.provinces or []})
    return make_response(render_template(
        "console/user.html", person=user, logins=logins, role_form=role_form, problem=problem,
        password_form=password_form or ResetPasswordForm(formdata=None, username=user.username),
        myself=user.id == current_user().id), status)


@bp.get("/users/<int:user_id>")
@requires("admin")
def user(user_id: int):
    return render_user(_user(user_id))


@bp.post("/users/<int:user_id>/role")
@requires("admin")
def set_user_role(user_id: int):
    user, form = _user(user_id), RoleForm()
    if form.validate() and user.id == current_user().id and form.role.data != "admin":
        form.role.errors = [*form.role.errors, _("You cannot take away your own administrator role.")]
    if form.errors:
        return render_user(user, 400, role_form=form)
    before = f"{user.role} {','.join(user.provinces or [])}".strip()
    accounts.set_role(db(), user, form.role.data, form.provinces.data or [])
    record(db(), "set_role", current_user(), target=_target(user),
           reason=f"{before} -> {user.role} {','.join(user.provinces)}".strip())
    db().commit()
    flash(_("Role and provinces saved; the user's logins have ended."), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/password")
@requires("admin")
def reset_user_password(user_id: int):
    user = _user(user_id)
    form = ResetPasswordForm(username=user.username)
    if not form.validate():
        return render_user(user, 400, password_form=form)
    accounts.set_password(db(), user, generate_password_hash(form.password.data))
    record(db(), "reset_password", current_user(), target=_target(user))
    db().commit()
    flash(_("New password saved; the user's logins have ended."), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@requires("admin")
def set_user_active(user_id: int):
    user, active = _user(user_id), request.form.get("active")
    if active not in ("yes", "no"):
        return render_user(user, 400, problem=_("Choose one of the options."))
    if user.id == current_user().id and active == "no":
        return render_user(user, 400, problem=_("You cannot deactivate yourself."))
    accounts.set_active(db(), user, active == "yes")
    record(db(), "activate_user" if active == "yes" else "deactivate_user", current_user(), target=_target(user))
    db().commit()
    flash(_("User activated.") if active == "yes" else _("User deactivated; their logins have ended."), "success")
    return redirect(url_for("console.user", user_id=user.id))


@bp.post("/users/<int:user_id>/logins")
@requires("admin")
def end_user_sessions(user_id: int):
    user = _user(user_id)
    ended = accounts.end_sessions(db(), user, "ended by admin")
    record(db(), "end_sessions", current_user(), target=_target(user), reason=f"{ended} ended")
    db().commit()
    flash(_("%(n)s logins ended.", n=ended), "success")
    return redirect(url_for("console.user", user_id=user.id))
