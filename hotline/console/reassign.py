"""Reassign a case to another province, hence centre: the old centre's ladder stops, the new one's starts at level 1.

One transaction writes the move (a case transition naming the new centre, and an audit entry) and the
outbox item that restarts the ladder; it is enqueued after commit like every other job, and the relay
sweeps it up if Redis was away. A closed case cannot move.
"""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from casework import ladder
from hotline.db import enqueue_after_commit
from models.places import province_name
from models.reference import route

from . import bp
from .access import current_user, db, requires
from .audit import record
from .cases import REASSIGNERS, render_case, visible_case
from .forms import ReassignForm


@bp.post("/cases/<int:case_id>/province")
@requires(*REASSIGNERS)
def reassign_case(case_id: int):
    user, case = current_user(), visible_case(case_id, lock=True)
    form = ReassignForm()
    if not form.validate():
        return render_case(case, 400, reassign_form=form)
    province = form.province.data
    if not province:
        form.province.errors = [*form.province.errors, _("Choose the province the case belongs to.")]
    elif case.status == "closed":
        form.form_errors.append(_("A closed case cannot be moved to another province."))
    elif province == case.province_code:
        form.province.errors = [*form.province.errors, _("The case is already in this province.")]
    if form.errors or form.form_errors:
        return render_case(case, 400, reassign_form=form)
    database = db()
    old_province, old_centre = case.province_code, case.centre
    try:
        centre = route(database, province)
    except LookupError:
        form.form_errors.append(_("No centres are loaded: run flask centres load."))
        return render_case(case, 400, reassign_form=form)
    moved = f"{old_province or '-'} -> {province}; centre {old_centre.code if old_centre else '-'} -> {centre.code}"
    case.reassign(province, centre, f"user:{user.id}", (form.note.data or "").strip() or None)
    job_ids = ladder.restart(database, case)
    record(database, "reassign_case", user, target=f"case:{case.reference}", reason=moved)
    database.commit()
    enqueue_after_commit(job_ids)
    flash(_("The case now belongs to %(province)s; its team will be alerted.",
            province=province_name(province, str(get_locale())) or province), "success")
    return redirect(url_for("console.case", case_id=case.id, _anchor="escalation"))
