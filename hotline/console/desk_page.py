"""The operator desk in the console (issue 16): the header's state control, my desk page (state, languages,
endpoint) and the supervisors' view of the team. The rules are casework.desk's; each change is audited there."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from casework import desk, desk_line, desk_screen
from hotline.db import enqueue_after_commit

from . import bp
from .access import current_user, db, local_path, requires
from .desk_forms import DeclineForm, DeskProfileForm, DeskStateForm
from .masking import mask_number
from .words import say

SUPERVISORS = ("supervisor", "admin")
SCREEN_POLL_SECONDS = 2  # the screen pop: an answered offer opens the call's page within this
PROBLEMS = {
    "no_profile": _l("You have no desk profile yet: choose your languages and where to ring you first."),
    "not_chosen": _l("Only the desk puts someone on offer or on a call: you can be available or away."),
    "not_from": _l("You are on a call: your state changes when it ends."),
    "unknown_state": _l("Choose one of the options."),
    "no_language": _l("Choose at least one language."),
    "unknown_language": _l("Choose one of the options."),
    "bad_phone": _l("This is not a valid phone number. Write it like 081 234 5678 or +66 81 234 5678."),
    "bad_sip": _l("This is not a SIP address. Write it like sip:op1@pbx.example.org."),
    "no_desk_role": _l("Only operators and supervisors take calls at the desk."),
    "offer_gone": _l("This call is no longer offered to you."),
}


def masked(endpoint: str) -> str:
    return desk.masked_endpoint(endpoint, mask_number)


@bp.context_processor
def desk_control():
    """The header's desk control, for those with a profile."""
    user = current_user()
    profile = desk.profile_of(db(), user) if user is not None and user.role in desk.DESK_ROLES else None
    return {"desk": profile}


def render_desk(status: int = 200, form: DeskProfileForm | None = None, problem: str | None = None):
    user = current_user()
    profile = desk.profile_of(db(), user)
    if form is None:
        form = DeskProfileForm(formdata=None)
        form.languages.data = list(profile.languages) if profile else []
        form.kind.data = desk.endpoint_kind(profile.endpoint) if profile else desk.BROWSER
    return make_response(render_template(
        "console/desk.html", profile=profile, form=form, problem=PROBLEMS.get(problem),
        endpoint=masked(profile.endpoint) if profile else None,
        endpoint_kind=desk.endpoint_kind(profile.endpoint) if profile else None,
        now=screen(user, profile), poll_seconds=SCREEN_POLL_SECONDS), status)


def screen(user, profile) -> dict:
    """What the desk page's live part shows: my state, the call rung to me, the call I am on."""
    offered = desk_screen.offer_for(db(), user) if profile and profile.state == "offered" else None
    call_id = desk_screen.my_call(db(), user) if profile and profile.state == "on_call" else None
    return {"profile": profile, "offered": offered,
            "call_url": url_for("console.call", call_id=call_id) if call_id else None}


@bp.get("/desk")
@requires(*desk.DESK_ROLES)
def desk_page():
    return render_desk()


@bp.get("/desk/now.json")
@requires(*desk.DESK_ROLES, json=True)
def desk_now():
    """The desk page asks every few seconds: my state, the offer, and once I answered, the call's page to open.
    Never a phone number: the offer's words are the page's own section."""
    user = current_user()
    profile = desk.profile_of(db(), user)
    now = screen(user, profile)
    context = {"now": now}
    current_app.update_template_context(context)
    section = current_app.jinja_env.get_template("console/_desk_now.html").make_module(context).now_section(now)
    offered = now["offered"]
    response = jsonify(
        state=profile.state if profile else None, call_url=now["call_url"], sections={"now": str(section)},
        offer=None if offered is None else {**asdict(offered), "asked_at": offered.asked_at.isoformat()})
    response.add_etag()
    return response.make_conditional(request)


@bp.post("/desk/decline")
@requires(*desk.DESK_ROLES)
def decline_offer():
    user, form = current_user(), DeclineForm()
    jobs = desk_screen.decline(db(), user, form.offer.data) if form.validate() else None
    if jobs is None:
        db().rollback()
        return render_desk(409, problem="offer_gone")
    db().commit()
    enqueue_after_commit(jobs)
    flash(_("You declined the call: it goes to the next operator."), "success")
    return redirect(url_for("console.desk_page"))


@bp.post("/desk/state")
@requires(*desk.DESK_ROLES)
def set_desk_state():
    user, form = current_user(), DeskStateForm()
    if not form.validate():
        db().rollback()
        return render_desk(400, problem="unknown_state")
    try:
        desk.set_state(db(), user, form.state.data, f"user:{user.id}")
    except desk.Refused as refused:
        db().rollback()
        return render_desk(409 if refused.problem == "not_from" else 400, problem=refused.problem)
    jobs = desk_line.came_free(db(), user) if form.state.data == "available" else []
    db().commit()
    enqueue_after_commit(jobs)
    flash(_("You are %(state)s.", state=say("desk_state", form.state.data)), "success")
    return redirect(local_path(form.next.data, url_for("console.desk_page")))


def _wanted_endpoint(form: DeskProfileForm, current: str | None) -> str:
    """What the form asks for; an empty address keeps the current one of the same kind (the page never shows it)."""
    kind, address = form.kind.data, (form.address.data or "").strip()
    if kind == desk.BROWSER:
        return desk.BROWSER
    if not address and current and desk.endpoint_kind(current) == kind:
        return current
    if kind == "sip":
        return "sip:" + address.removeprefix("sip:") if address else "sip:"
    return address


@bp.post("/desk/profile")
@requires(*desk.DESK_ROLES)
def save_desk_profile():
    user, form = current_user(), DeskProfileForm()
    if not form.validate():
        db().rollback()
        return render_desk(400, form)
    profile = desk.profile_of(db(), user)
    try:
        desk.save_profile(db(), user, form.languages.data or [], _wanted_endpoint(form, profile and profile.endpoint),
                          f"user:{user.id}")
    except desk.Refused as refused:
        db().rollback()
        field = form.languages if "language" in refused.problem else form.address
        field.errors = [*field.errors, PROBLEMS[refused.problem]]
        return render_desk(400, form)
    db().commit()
    flash(_("Your desk profile is saved."), "success")
    return redirect(url_for("console.desk_page"))


@bp.get("/desk/team")
@requires(*SUPERVISORS)
def desk_team():
    return render_template("console/desk_team.html", team=desk.team(db()), masked=masked)
