"""The calls list: filters, and keyset pagination on (started_at, id), newest first."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import get_locale
from sqlalchemy import func, select

from casework.desk_record import record_of, records_of
from models import Call, Case, DeskWait, User
from models.places import province_name

from . import bp, export
from .access import EVERYONE, STAFF, current_user, db, requires, scoped_calls, snapshot
from .audit import record
from .export import download, local_time
from .forms import CallFilters
from .i18n import day_bounds
from .keyset import Cursor, page

EXPORTERS = ("supervisor", "admin")  # as for cases.csv
EXPORT_LIMIT = 50_000
CSV_COLUMNS = ("call", "started", "ended", "duration_seconds", "status", "language", "kind", "urgency", "province",
               "case", "answered_by", "answered_at", "wait_seconds", "talk_seconds", "wrap_up_seconds")  # desk: casework.desk_record


def filtered(form: CallFilters, filters: dict):
    """The user's calls narrowed by the valid filters (dates are Bangkok days, both ends included)."""
    statement = scoped_calls(select(Call), current_user())
    if "date_from" in filters:
        statement = statement.where(Call.started_at >= day_bounds(form.date_from.data)[0])
    if "date_to" in filters:
        statement = statement.where(Call.started_at < day_bounds(form.date_to.data)[1])
    for name, column in (("status", Call.status), ("language", Call.language), ("category", Call.category),
                         ("province", Call.province_code)):
        if name in filters:
            statement = statement.where(column == filters[name])
    return statement


@bp.get("/calls")
@requires(*EVERYONE)
def calls():
    user = current_user()
    form = CallFilters(request.args, provinces=user.provinces if user.role == "field_officer" else None)
    form.validate()
    values = form.values()
    size = current_app.config["HOTLINE"].CONSOLE_PAGE_SIZE
    result = page(db(), filtered(form, values), Call.started_at, Call.id, size,
                  older_than=Cursor.parse(request.args.get("older")), newer_than=Cursor.parse(request.args.get("newer")))
    rows = [row[0] for row in result.rows]
    cases = dict(db().execute(select(Case.call_id, Case.reference).where(Case.call_id.in_([c.id for c in rows]))).all())
    return render_template("console/calls.html", form=form, filters=values, calls=rows, cases=cases, page=result,
                           desk_records=records_of(db(), [c.id for c in rows]), exporter=user.role in EXPORTERS,
                           staff=user.role in STAFF,
                           first_page=not (request.args.get("older") or request.args.get("newer")))


@bp.get("/calls.csv")
@requires(*EXPORTERS)
def calls_csv():
    """The filtered list, every page, as CSV: no caller numbers; who answered each call from the desk's record.
    Audited and committed before the rows are streamed from one snapshot (as cases.csv)."""
    user = current_user()
    form = CallFilters(request.args, provinces=None)
    form.validate()
    values = form.values()
    language = str(get_locale())
    listed = filtered(form, values).order_by(Call.started_at.desc(), Call.id.desc()).limit(EXPORT_LIMIT)
    reading = snapshot()
    try:
        count = reading.scalar(select(func.count()).select_from(listed.with_only_columns(Call.id).subquery()))
    except BaseException:
        reading.close()
        raise
    record(db(), "export_csv", user, target="calls",
           reason="; ".join(f"{k}={v}" for k, v in sorted(values.items())) + f" ({count} rows)")
    db().commit()
    rows = listed.add_columns(Case.reference, DeskWait, User.username) \
        .outerjoin(Case, Case.call_id == Call.id).outerjoin(DeskWait, DeskWait.call_id == Call.id) \
        .outerjoin(User, User.id == DeskWait.answered_by)
    return download("calls", CSV_COLUMNS, (
        _csv_row(call, case, record_of(wait, username or ""), language)
        for call, case, wait, username in reading.execute(rows.execution_options(yield_per=export.BATCH))),
        closing=reading.close)


def _csv_row(call: Call, case: str | None, desk, language: str) -> tuple:
    return (call.reference, local_time(call.started_at), local_time(call.ended_at), call.duration_seconds,
            call.status, call.language or "", call.category or "", call.urgency or "",
            province_name(call.province_code, language) or call.province_code or "" if call.province_code else "",
            case or "", desk.answered_by or "" if desk else "", local_time(desk.answered_at) if desk else "",
            _or_blank(desk.wait_seconds if desk else None), _or_blank(desk.talk_seconds if desk else None),
            _or_blank(desk.wrap_up_seconds if desk else None))


def _or_blank(value) -> str | int:
    return "" if value is None else value
