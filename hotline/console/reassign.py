"""The console's "move the case to another province": the form, its errors and the audit entry around the
rule (`casework.reassign`): one transaction writes the move, the audit entry and the outbox item that restarts
the ladder; it is enqueued after commit like every other job, and the relay sweeps it up if Redis was away.
A closed case cannot move.
"""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from casework.reassign import reassign
from hotline.db import enqueue_after_commit
from models.places import province_name

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
    try:
        moved = reassign(database, case, province, f"user:{user.id}", (form.note.data or "").strip() or None)
    except LookupError:
        form.form_errors.append(_("No centres are loaded: run flask centres load."))
        return render_case(case, 400, reassign_form=form)
    record(database, "reassign_case", user, target=f"case:{case.reference}", reason=moved.change)
    database.commit()
    enqueue_after_commit(moved.job_ids)
    flash(_("The case now belongs to %(province)s; its team will be alerted.",
            province=province_name(province, str(get_locale())) or province), "success")
    return redirect(url_for("console.case", case_id=case.id, _anchor="escalation"))
