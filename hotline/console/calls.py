"""The calls list: filters, and keyset pagination on (started_at, id), newest first."""
from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from models import Call, Case

from . import bp
from .access import EVERYONE, current_user, db, requires, scoped_calls
from .forms import CallFilters
from .i18n import day_bounds
from .keyset import Cursor, page


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
                           first_page=not (request.args.get("older") or request.args.get("newer")))
