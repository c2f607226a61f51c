"""Cases: the list (filters, keyset pages on (created_at, id)), one case with its workflow,
escalation timeline and notes, and the list as CSV for supervisors and admins."""
from __future__ import annotations

import geothai
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from casework import ladder
from models import Call, Case, Centre, Contact, Message, User, utcnow
from models.places import province_name
from models.vocabulary import NEXT, OPEN_STATUSES

from . import bp, export, story
from .access import EVERYONE, current_user, db, requires, scoped_cases, snapshot
from .audit import record
from .call_actions import write_note
from .call_page import notes
from .export import download, local_time
from .forms import CaseFilters, NoteForm, ReassignForm, TransitionForm
from .keyset import Cursor, page
from .masking import mask_number
from .words import say

MOVERS = ("operator", "supervisor", "admin", "field_officer")  # field officers: their provinces' cases only
REASSIGNERS = ("operator", "supervisor", "admin")  # a field officer would move a case out of their own sight
EXPORTERS = ("supervisor", "admin")
EXPORT_LIMIT = 50_000
# What a person may move a case to; "escalating" is the SMS ladder's own step, never a button.
MANUAL = ("acknowledged", "in_progress", "closed")


def visible_case(case_id: int, lock: bool = False) -> Case:
    """The case if this user may see it; 404 otherwise (another province's case does not exist for them)."""
    statement = scoped_cases(select(Case).where(Case.id == case_id), current_user())
    case = db().scalar(statement.with_for_update() if lock else statement)
    if case is None:
        abort(404)
    return case


def filtered(filters: dict):
    statement = scoped_cases(select(Case), current_user())
    status = filters.get("status")
    if status == "open":
        statement = statement.where(Case.status.in_(OPEN_STATUSES))
    elif status:
        statement = statement.where(Case.status == status)
    for name, column in (("province", Case.province_code), ("category", Case.category), ("urgency", Case.urgency)):
        if name in filters:
            statement = statement.where(column == filters[name])
    if filters.get("unacknowledged"):
        statement = statement.where(Case.missed(utcnow()))
    return statement


def _filters() -> tuple[CaseFilters, dict]:
    user = current_user()
    form = CaseFilters(request.args, provinces=user.provinces if user.role == "field_officer" else None)
    form.validate()
    return form, form.values()


@bp.get("/cases")
@requires(*EVERYONE)
def cases():
    form, values = _filters()
    size = current_app.config["HOTLINE"].CONSOLE_PAGE_SIZE
    result = page(db(), filtered(values), Case.created_at, Case.id, size,
                  older_than=Cursor.parse(request.args.get("older")), newer_than=Cursor.parse(request.args.get("newer")))
    now = utcnow()
    rows = [(row[0], row[0].late(now)) for row in result.rows]
    return render_template("console/cases.html", form=form, filters=values, cases=rows, page=result, now=now,
                           exporter=current_user().role in EXPORTERS,
                           first_page=not (request.args.get("older") or request.args.get("newer")))


def escalation_rows(case: Case) -> tuple[list[dict], list[Message]]:
    """Each SMS attempt with its contact (number masked) and the messages written for it; then the case's other messages."""
    messages = db().scalars(select(Message).where(Message.case_id == case.id).order_by(Message.id)).all()
    timeline = [{"escalation": escalation, "number": mask_number(escalation.contact.phone) if escalation.contact else None,
                 "messages": [m for m in messages if m.escalation_id == escalation.id], "at": escalation.created_at}
                for escalation in case.escalations]
    # A reassignment sits in the timeline where it happened: the old centre's SMS above it, the new one's below.
    timeline += [{"moved": t, "centre": db().get(Centre, t.to_centre_id), "at": t.at}
                 for t in case.transitions if t.to_centre_id is not None]
    now = utcnow()
    timeline.sort(key=lambda row: row["at"] or now)
    return timeline, [m for m in messages if m.escalation_id is None]


def actor_names(case: Case) -> dict[str, str]:
    """`user:3` and `contact:7` in the history as the username and the contact's name; `system` in words."""
    users = {int(t.actor[5:]) for t in case.transitions if t.actor.startswith("user:") and t.actor[5:].isdigit()}
    contacts = {int(t.actor[8:]) for t in case.transitions if t.actor.startswith("contact:") and t.actor[8:].isdigit()}
    names = {"system": say("actor", "system")}
    if users:
        names.update({f"user:{i}": n for i, n in db().execute(select(User.id, User.username).where(User.id.in_(users)))})
    if contacts:
        names.update({f"contact:{i}": n for i, n in db().execute(select(Contact.id, Contact.name).where(Contact.id.in_(contacts)))})
    return names


def case_link(case_id: int):
    """The escalation SMS's link: on to the case page, whose guard asks for a login first and checks the province."""
    return redirect(url_for("console.case", case_id=case_id))


def render_case(case: Case, status: int = 200, **forms):
    user, now = current_user(), utcnow()
    timeline, loose = escalation_rows(case)
    context = dict(
        case=case, call=db().get(Call, case.call_id) if case.call_id else None, timeline=timeline, loose_messages=loose,
        late=case.late(now), now=now, notes=notes(case),
        may_move=user.role in MOVERS, transition_form=forms.get("transition_form") or TransitionForm(),
        note_form=forms.get("note_form") or NoteForm(), note_error_for=forms.get("note_error_for"),
        may_reassign=user.role in REASSIGNERS, reassign_form=forms.get("reassign_form") or ReassignForm(),
        district=district_name(case.district_code), mask=mask_number, actors=actor_names(case),
    )
    # The workflow's buttons, in the order a case usually goes; "escalating" is the ladder's own step.
    context["next_statuses"] = [s for s in MANUAL if s in NEXT[case.status]]
    context.update(story.case_context(case, user))
    return make_response(render_template("console/case.html", **context), status)


def district_name(code: str | None) -> str | None:
    if not code:
        return None
    district = geothai.district(code)
    if district is None:
        return code
    return district.name_th if str(get_locale()) == "th" else district.name_en


@bp.get("/cases/<int:case_id>")
@requires(*EVERYONE)
def case(case_id: int):
    return render_case(visible_case(case_id))


@bp.post("/cases/<int:case_id>/status")
@requires(*MOVERS)
def move_case(case_id: int):
    user, case = current_user(), visible_case(case_id, lock=True)
    form = TransitionForm()
    if not form.validate():
        return render_case(case, 400, transition_form=form)
    target, outcome = form.status.data, form.outcome.data or None
    if target not in NEXT[case.status] or target not in MANUAL:
        form.form_errors.append(_("A case that is %(now)s cannot become %(next)s.",
                                  now=say("case_status", case.status), next=say("case_status", target)))
        return render_case(case, 400, transition_form=form)
    if target == "closed" and not outcome:
        form.outcome.errors = [*form.outcome.errors, _("Choose an outcome to close the case.")]
        return render_case(case, 400, transition_form=form)
    ladder.move(case, target, f"user:{user.id}", (form.note.data or "").strip() or None, outcome)
    db().commit()
    flash(_("The case is now %(status)s.", status=say("case_status", case.status)), "success")
    return redirect(url_for("console.case", case_id=case.id, _anchor="workflow"))


@bp.post("/cases/<int:case_id>/notes")
@requires(*EVERYONE)
def add_case_note(case_id: int):
    case = visible_case(case_id)
    return write_note(case, lambda status, **forms: render_case(case, status, **forms),
                      lambda: redirect(url_for("console.case", case_id=case.id, _anchor="notes")))


CSV_COLUMNS = ("reference", "status", "kind", "urgency", "province", "centre", "created", "acknowledged", "closed",
               "outcome", "level", "missed_level", "missed_at")  # missed: the first window that passed with nobody acknowledging


@bp.get("/cases.csv")
@requires(*EXPORTERS)
def cases_csv():
    """The filtered list, every page, as CSV: no caller numbers, no notes; times in Bangkok; BOM for Excel.

    Streamed (export.py): the count (capped at EXPORT_LIMIT) is audited and committed first, then the rows
    are read and sent a batch at a time from the same snapshot, as plain columns (no ORM objects, no lazy
    loads: the centres' names come from one small dict)."""
    _form, values = _filters()
    user = current_user()
    language = str(get_locale())
    listed = filtered(values).order_by(Case.created_at.desc(), Case.id.desc()).limit(EXPORT_LIMIT)
    reading = snapshot()
    try:
        count = reading.scalar(select(func.count()).select_from(listed.with_only_columns(Case.id).subquery()))
        centres = {i: th if language == "th" else en for i, th, en in
                   reading.execute(select(Centre.id, Centre.name_th, Centre.name_en))}
    except BaseException:
        reading.close()
        raise
    record(db(), "export_csv", user, target="cases",
           reason="; ".join(f"{k}={v}" for k, v in sorted(values.items())) + f" ({count} rows)")
    db().commit()
    columns = listed.with_only_columns(Case.reference, Case.status, Case.category, Case.urgency, Case.province_code,
                                       Case.centre_id, Case.created_at, Case.acknowledged_at, Case.closed_at,
                                       Case.outcome, Case.level, Case.sla_missed_level, Case.sla_missed_at)
    rows = ((reference, status, category or "", urgency, province_name(province, language) or province or "",
             centres.get(centre_id, "") if centre_id is not None else "", local_time(created),
             local_time(acknowledged), local_time(closed), outcome or "", level,
             "" if missed_level is None else missed_level, local_time(missed_at))
            for reference, status, category, urgency, province, centre_id, created, acknowledged, closed, outcome, level,
            missed_level, missed_at in reading.execute(columns.execution_options(yield_per=export.BATCH)))
    return download("cases", CSV_COLUMNS, rows, closing=reading.close)
