"""The callback list (issue 16): callers who left the line and said it is safe to call back, oldest first, and
"Call back", which rings my own desk endpoint and then the caller. The rules are casework.desk_callback's; the
number stays masked here (the operator's phone dials it, nobody reads it)."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework import desk, desk_callback
from hotline.db import enqueue_after_commit

from . import bp
from .access import STAFF, current_user, db, requires
from .audit import record

PROBLEMS = {
    "not_due": _l("This caller is no longer on the callback list: someone is calling them back already."),
    "withheld": _l("This caller's number is withheld: there is no number to call back."),
    "no_consent": _l("The caller did not say it is safe to call back: they are not called."),
    "no_profile": _l("You have no desk profile: set where to ring you on your desk page first."),
}


def render_list(status: int = 200, problem: str | None = None):
    waits = desk_callback.due(db())
    profile = desk.profile_of(db(), current_user())
    return make_response(render_template("console/callbacks.html", waits=waits,
                                          problem=PROBLEMS.get(problem), can_call=profile is not None), status)


@bp.get("/callbacks")
@requires(*STAFF)
def callbacks():
    return render_list()


@bp.post("/callbacks/<int:wait_id>/call")
@requires(*STAFF)
def call_back(wait_id: int):
    user = current_user()
    try:
        jobs = desk_callback.call_back(db(), wait_id, user)
    except desk_callback.Refused as refused:
        db().rollback()
        if refused.problem == "not_found":
            abort(404)
        return render_list(409, refused.problem)
    record(db(), "call_back", user, target=f"desk_wait:{wait_id}")
    db().commit()
    enqueue_after_commit([job.job_id for job in jobs])
    flash(_("Your phone rings now: answer it and you are connected to the caller."), "success")
    return redirect(url_for("console.callbacks"))
