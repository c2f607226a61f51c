"""The audit trail for admins: newest first, keyset-paginated on (at, id), filterable by action."""
from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from models import AuditEntry, User

from . import bp
from .access import db, requires
from .audit import ACTIONS
from .keyset import Cursor, page


@bp.get("/audit")
@requires("admin")
def audit():
    action = request.args.get("action") if request.args.get("action") in ACTIONS else None
    statement = select(AuditEntry, User.username).outerjoin(User, User.id == AuditEntry.user_id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    result = page(db(), statement, AuditEntry.at, AuditEntry.id, current_app.config["HOTLINE"].CONSOLE_PAGE_SIZE,
                  older_than=Cursor.parse(request.args.get("older")), newer_than=Cursor.parse(request.args.get("newer")))
    return render_template("console/audit.html", entries=result.rows, page=result, action=action, actions=ACTIONS,
                           filters={"action": action} if action else {})
