"""The dashboard: calls in progress, today's calls and cases, red alerts, an SLA clock per open case.

The page renders once; then `live.json` sends the same sections as HTML every few seconds,
with an ETag, so an unchanged dashboard costs a 304 on a slow line.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, jsonify, render_template, request
from sqlalchemy import case, func, select

from models import Call, Case, utcnow
from models.calls import FINAL_STATUSES
from models.vocabulary import OPEN_STATUSES

from . import bp
from .access import EVERYONE, current_user, db, requires, scoped_calls, scoped_cases
from .i18n import day_bounds, today

LIVE_WINDOW = timedelta(hours=4)  # a call "in progress" longer than this lost its final status callback
LIST_SIZE = 50
SECTIONS = ("summary", "alerts", "in-progress", "open-cases", "recent-calls")


def snapshot(now: datetime) -> dict:
    user, database = current_user(), db()
    start, end = day_bounds(today(now))
    # Trainers' simulated calls and their cases are not the hotline's work: not on the dashboard.
    calls = scoped_calls(select(Call).where(Call.not_training()), user)
    cases = scoped_cases(select(Case).where(Case.not_training()), user)
    open_cases = cases.where(Case.status.in_(OPEN_STATUSES))
    alerts = open_cases.where(Case.late(now))
    taken_late = open_cases.where(Case.missed(now), ~Case.waiting)  # acknowledged (or taken) after a missed window
    count = lambda statement: database.scalar(select(func.count()).select_from(statement.subquery()))  # noqa: E731
    return {
        "in_progress": database.scalars(calls.where(Call.status.not_in(FINAL_STATUSES), Call.started_at >= now - LIVE_WINDOW)
                                        .order_by(Call.started_at.desc(), Call.id.desc()).limit(LIST_SIZE)).all(),
        "calls_today": count(calls.where(Call.started_at >= start, Call.started_at < end)),
        "cases_today": count(cases.where(Case.created_at >= start, Case.created_at < end)),
        "recent_calls": database.scalars(calls.where(Call.started_at >= start, Call.started_at < end)
                                         .order_by(Call.started_at.desc(), Call.id.desc()).limit(10)).all(),
        "alerts": database.scalars(alerts.order_by(Case.created_at.asc()).limit(LIST_SIZE)).all(),
        "taken_late": database.scalars(taken_late.order_by(Case.sla_missed_at.desc(), Case.id.desc())
                                       .limit(LIST_SIZE)).all(),
        "late_count": count(open_cases.where(Case.missed(now))),
        "open_cases": database.scalars(open_cases.order_by(*most_pressing(now)).limit(LIST_SIZE)).all(),
        "open_count": count(open_cases),
        "now": now,
    }


def most_pressing(now: datetime) -> tuple:
    """Overdue cases first, the longest overdue first (since the first window missed; a ladder that ran out has no
    deadline left), then the others by their deadline, those without one last."""
    overdue = Case.late(now)
    since = case((overdue, func.coalesce(Case.sla_missed_at, Case.sla_due_at, Case.created_at)), else_=None)
    return case((overdue, 0), else_=1), since.asc(), Case.sla_due_at.is_(None), Case.sla_due_at.asc(), \
        Case.created_at.desc(), Case.id.desc()


@bp.get("/")
@requires(*EVERYONE)
def dashboard():
    return render_template("console/dashboard.html", live=snapshot(utcnow()),
                           poll_seconds=current_app.config["HOTLINE"].CONSOLE_POLL_SECONDS)


@bp.get("/live.json")
@requires(*EVERYONE, json=True)
def live():
    data = snapshot(utcnow())
    template = current_app.jinja_env.get_template("console/_live.html")
    context = {"live": data}
    current_app.update_template_context(context)  # the context processors: user, say, csrf_token ...
    module = template.make_module(context)
    sections = {name: str(getattr(module, name.replace("-", "_"))(data)) for name in SECTIONS}
    response = jsonify(sections=sections, alerts=len(data["alerts"]), in_progress=len(data["in_progress"]))
    response.add_etag()
    return response.make_conditional(request)
