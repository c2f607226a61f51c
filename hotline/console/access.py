"""Who is asking: the login kept on the server, its expiry, one guard for every view, and scoping.

The cookie carries only a random token; its sha256 names a `ConsoleSession` row, and the row is the
login. It ends after CONSOLE_SESSION_MAX_AGE seconds however busy, after CONSOLE_SESSION_IDLE seconds
without a page or form (the dashboard's polling does not count as activity), at logout, and when the
user's password, role or provinces change or they are deactivated (`casework.accounts`): at once,
wherever the cookie was copied.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from casework import desk
from models import ROLES, Call, Case, ConsoleSession, LinkedCall, User, utcnow

from . import bp

STAFF = ("operator", "supervisor", "admin")  # the 1300 centre: may see and change every call
EVERYONE = (*STAFF, "field_officer")
SEEN_EVERY = timedelta(minutes=1)  # how stale seen_at may get: not a database write per page


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_db)


def db() -> Session:
    """The request's database session, closed when the request ends."""
    if "console_db" not in g:
        g.console_db = current_app.extensions["sessions"]()
    return g.console_db


def snapshot() -> Session:
    """A session of its own whose reads all see one snapshot of the database (REPEATABLE READ on PostgreSQL):
    for a count and then the rows it counted, or the summary's periods and then their rows. Close it after."""
    session = current_app.extensions["sessions"]()
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session


def _close_db(_error=None) -> None:
    database = g.pop("console_db", None)
    if database is not None:
        database.close()


def _row_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> None:
    """A fresh login (and a new CSRF token) for a user who just proved who they are."""
    session.clear()
    token, now = secrets.token_urlsafe(32), utcnow()
    row = ConsoleSession(id=_row_id(token), user_id=user.id, created_at=now, seen_at=now)
    db().add(row)
    db().commit()
    session.update(sid=token, language=user.language)
    g.user, g.console_session = user, row


def end(language: str | None = None, why: str = "logout") -> None:
    """End this browser's login: its row (if still open) and the cookie; its owner is then away from the desk."""
    row = g.pop("console_session", None)
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_why = utcnow(), why
        owner = db().get(User, row.user_id)
        if owner is not None:
            desk.leave(db(), owner, f"user:{owner.id}" if why == "logout" else "system", why)
        db().commit()
    session.clear()
    if language:
        session["language"] = language  # the login page keeps speaking the user's language
    g.user = None


def current_user() -> User | None:
    if "user" not in g:
        g.user = _load()
    return g.user


def _load() -> User | None:
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    row = db().get(ConsoleSession, _row_id(token))
    user = db().get(User, row.user_id) if row is not None else None
    language = user.language if user is not None else None
    if row is None or row.ended_at is not None:
        end(language)  # logged out, ended elsewhere, or a token we never gave
        return None
    g.console_session = row
    if user is None or not user.active:
        end(language, why="deactivated")
        return None
    config, now = current_app.config["HOTLINE"], utcnow()
    if now - row.created_at > timedelta(seconds=config.CONSOLE_SESSION_MAX_AGE) or \
            now - row.seen_at > timedelta(seconds=config.CONSOLE_SESSION_IDLE):
        g.session_expired = True
        end(language, why="expired")
        return None
    return user


def _seen() -> None:
    """A page or a form: the login is in use (written at most once a minute)."""
    row, now = g.get("console_session"), utcnow()
    if row is not None and now - row.seen_at >= SEEN_EVERY:
        row.seen_at = now
        db().commit()


def requires(*roles: str, json: bool = False):
    """Guard a console view: log in first (302 to the login page, or 401 for JSON), then the role (403)."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"requires() needs roles from {ROLES}, not {sorted(unknown) or 'none'}")

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user()
            if user is None:
                if json:
                    return jsonify(error="login required"), 401
                if g.get("session_expired"):
                    flash(_("Your session has ended. Please log in again."), "info")
                target = request.full_path if request.method == "GET" else None
                return redirect(url_for("console.login", next=target))
            if user.role not in roles:
                if json:
                    return jsonify(error="forbidden"), 403
                abort(403)
            if not json:
                _seen()
            return view(*args, **kwargs)

        guarded.roles = frozenset(roles)
        return guarded

    return decorate


def public(view):
    """Mark a view that needs no login (the login page itself)."""
    view.public = True
    return view


@bp.before_request
def every_view_is_guarded():
    """Fail closed: a console view without `requires` or `public` answers 403 to everyone."""
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and not (getattr(view, "roles", None) or getattr(view, "public", False)):
        abort(403)


def local_path(target: str | None, default: str) -> str:
    """Only a path inside the console may be a redirect target (no open redirects)."""
    if target:
        parts = urlsplit(target)
        if (not parts.scheme and not parts.netloc and parts.path.startswith("/console") and "\\" not in target
                and target.isprintable()):  # no CR/LF (a header smuggled into Location), tab or other control
            return target
    return default


def scoped_calls(statement, user: User):
    """A field officer sees the calls of their provinces only (a call with no province is nobody's yet)."""
    if user.role == "field_officer":
        return statement.where(Call.province_code.in_(list(user.provinces or [])))
    return statement


def scoped_cases(statement, user: User):
    if user.role == "field_officer":
        return statement.where(Case.province_code.in_(list(user.provinces or [])))
    return statement


def visible_call(call_id: int, user: User, lock: bool = False) -> Call:
    """The call if this user may see it; 404 otherwise, so another province's calls do not even exist.

    `lock` holds the row until commit, as the webhooks do, so an operator's change and a webhook's
    change to one call wait for each other instead of overwriting each other.
    """
    call = db().scalar(select(Call).where(Call.id == call_id).with_for_update()) if lock else db().get(Call, call_id)
    if call is None or user.role == "field_officer" and call.province_code not in (user.provinces or []):
        abort(404)
    return call


def audible_call(call_id: int, user: User) -> Call:
    """A call whose voice message this user may play: one they may see, or, for a field officer, a call of a case
    in their provinces (its own call or a linked one, whatever the call's province): the case page plays them all."""
    call = db().get(Call, call_id)
    if call is None:
        abort(404)
    if user.role != "field_officer" or call.province_code in (user.provinces or []):
        return call
    linked = select(LinkedCall.case_id).where(LinkedCall.call_id == call.id)
    cases = scoped_cases(select(Case.id).where(or_(Case.call_id == call.id, Case.id.in_(linked))), user)
    if db().scalar(cases.limit(1)) is None:
        abort(404)
    return call
