"""Console accounts: who may log in, with which role and provinces, and the logins they hold.

`flask users` and the admin's users page both change accounts through here. A change of someone's
rights (deactivation, a new password, role or provinces) ends their open logins at once: the
console keeps each login as a `ConsoleSession` row, so a copied cookie dies with it.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import ROLES, ConsoleSession, User, utcnow

from . import desk

USERNAME = r"^[a-z0-9][a-z0-9._-]{1,63}$"  # kept lower case: logins compare it lowered


class Refused(ValueError):
    """A change the rules do not allow; `problem` is its code (the caller says it in its own words)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def scope_problem(role: str, provinces: list[str]) -> str | None:
    """A field officer sees their provinces only, so needs at least one; other roles see every province."""
    if role not in ROLES:
        return "unknown_role"
    if role == "field_officer" and not provinces:
        return "needs_province"
    if role != "field_officer" and provinces:
        return "no_province"
    return None


def end_sessions(session: Session, user: User, why: str) -> int:
    """End every open login of the user (and so their time at the desk); how many there were."""
    done = session.execute(update(ConsoleSession)
                           .where(ConsoleSession.user_id == user.id, ConsoleSession.ended_at.is_(None))
                           .values(ended_at=utcnow(), ended_why=why[:32]))
    desk.leave(session, user, "system", why)
    return done.rowcount


def open_sessions(session: Session) -> dict[int, int]:
    """Open logins per user id (those not ended; an expired one counts until it is next used or swept)."""
    rows = session.execute(select(ConsoleSession.user_id, func.count())
                           .where(ConsoleSession.ended_at.is_(None)).group_by(ConsoleSession.user_id))
    return dict(rows.all())


def set_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_sessions(session, user, "deactivated")


def set_password(session: Session, user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    end_sessions(session, user, "password")


def set_role(session: Session, user: User, role: str, provinces: list[str]) -> None:
    problem = scope_problem(role, provinces)
    if problem:
        raise Refused(problem)
    if (role, sorted(provinces)) != (user.role, sorted(user.provinces or [])):
        user.role, user.provinces = role, sorted(provinces)
        end_sessions(session, user, "role")
