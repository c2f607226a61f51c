"""The desk call's controls on its page (issue 16): hold and resume, add the interpreter, warm transfer and hand
over, end. The rules are casework.desk_controls'; a control is written, audited and queued here, and sent by a
job, so the page comes back at once saying "requested" and the timeline says when Twilio took it."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, url_for
from flask import request as http
from flask_babel import lazy_gettext as _l

from casework import desk, desk_controls
from hotline.db import enqueue_after_commit
from models import Call

from . import bp
from .access import current_user, db, requires, visible_call
from .audit import record
from .call_page import render_call

PROBLEMS = {  # a refusal's status and words
    "unknown": (400, _l("There is no such control.")),
    "not_answered": (409, _l("This call is not with an operator now: there is nothing to control.")),
    "not_yours": (403, _l("Only the operator on this call or a supervisor may control it.")),
    "no_conference": (409, _l("Twilio has not confirmed the call's conference yet: try again in a moment.")),
    "no_interpreter": (409, _l("No interpreter for this language is on duty.")),
    "not_available": (409, _l("Choose someone who is available (and no other transfer ringing).")),
    "no_second": (409, _l("Nobody has answered the transfer yet: there is no one to hand over to.")),
    "on_hold": (409, _l("The caller is on hold already.")),
    "not_on_hold": (409, _l("The caller is not on hold.")),
}
DONE = {
    "hold": _l("Hold requested."), "resume": _l("Resume requested."),
    "interpreter": _l("The interpreter is being called into the call."),
    "transfer": _l("Transfer requested: they are being rung into the call. Talk first, then hand over."),
    "handover": _l("Hand-over requested: you leave the call, the caller stays."), "end": _l("End of the call requested."),
}
WORDS = {
    "hold": _l("hold"), "resume": _l("resume"), "interpreter": _l("add the interpreter"), "transfer": _l("transfer"),
    "handover": _l("hand over"), "end": _l("end the call"),
    "requested": _l("requested"), "sent": _l("sent to Twilio"), "refused": _l("refused by Twilio"),
    "skipped": _l("not sent: the call had ended"),
}


@bp.context_processor
def call_controls_helpers():
    """`call_controls(call)`, called by the call page's controls partial only, so other pages ask nothing."""
    return {"call_controls": controls_of}


def controls_of(call: Call) -> dict | None:
    """What the partial shows: None for those who do not take calls, or a call that never reached the desk."""
    user = current_user()
    if user is None or user.role not in desk.DESK_ROLES:
        return None
    session = db()
    wait = desk_controls.live_wait(session, call.id)
    history = [(event, WORDS[what], number, WORDS.get(outcome, outcome))
               for event, what, number, outcome in desk_controls.history(session, call.id) if what in WORDS]
    if wait is None and not history and not g.get("control_problem"):
        return None
    live = wait is not None and desk_controls.may_control(session, wait, user)
    return dict(
        live=live, problem=g.get("control_problem"), history=history,
        on_hold=live and desk_controls.on_hold(session, wait),
        ringing=live and desk_controls.ringing_transfer(session, wait) is not None,
        second=live and len(desk_controls.talking(session, wait)) > 1,
        targets=desk_controls.transfer_targets(session, user) if live else [],
    )


@bp.post("/calls/<int:call_id>/control/<what>")
@requires(*desk.DESK_ROLES)
def control_call(call_id: int, what: str):
    user, call = current_user(), visible_call(call_id, current_user())
    to = http.form.get("to", "")
    try:
        done = desk_controls.request(db(), current_app.config["HOTLINE"], call.id, what, user,
                                     to=int(to) if to.isdigit() else None)
    except desk_controls.Refused as refused:
        db().rollback()
        status, words = PROBLEMS[refused.problem]
        g.control_problem = str(words)
        return render_call(call, status)
    except desk.Refused:  # the transfer's operator changed state meanwhile
        db().rollback()
        g.control_problem = str(PROBLEMS["not_available"][1])
        return render_call(call, 409)
    record(db(), "desk_control", user, target=f"call:{call.id}", reason=f"{what} {done.number}"
           + (f" to user:{to}" if what == "transfer" else ""))
    db().commit()
    enqueue_after_commit(done.job_ids)
    flash(str(DONE[what]), "success")
    return redirect(url_for("console.call", call_id=call.id, _anchor="controls"))
