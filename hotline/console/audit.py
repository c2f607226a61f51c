"""Writing the audit trail: who saw or changed what, when, from where, and why."""
from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from models import AuditEntry, User, utcnow

from .words import AUDIT

ACTIONS = list(AUDIT)  # login, login_failed, login_blocked, logout, reveal_number, play_recording, ...


def record(session: Session, action: str, user: User | None, target: str | None = None,
           reason: str | None = None) -> AuditEntry:
    """Add an entry to the caller's transaction; the view commits it with the work it describes."""
    entry = AuditEntry(at=utcnow(), user_id=user.id if user else None, action=action[:32],
                       target=target[:64] if target else None, reason=reason, ip=(request.remote_addr or "")[:64] or None)
    session.add(entry)
    return entry
