"""The case story's links (issue 19): referrals of a case to other agencies, and other calls linked to a case.

On the case page: its referrals with every step and the buttons for the next ones (staff, and the field officers
of the case's province, who often make the police referral), and every call of the case (its own and the linked
ones) with its notes and voice message. On the call page (staff): link the call to a case, with suggestions.
The rules are casework's (`casework.referrals`, `casework.linking`)."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from casework.linking import NotLinkable, link
from casework.referrals import DETAIL_MAX, advance, refer
from models import Call, Case, LinkedCall, Referral, Report, User, utcnow
from models.vocabulary import OPEN_STATUSES, REFERRAL_NEXT, TRAINING

from . import bp, story
from .access import EVERYONE, STAFF, current_user, db, requires, visible_call
from .audit import record
from .call_page import notes, render_call
from .cases import render_case, visible_case
from .forms import REQUIRED, Select
from .recording import why_not_here
from .words import choices, say

SUGGEST_DAYS = 30  # a case is suggested for a call when a call from the same number reached it this recently
SUGGEST_LIMIT = 10
SHORT_REFERENCE = re.compile(r"\d{2}-\d{6}")  # what the caller heard: the reference without "1300-"


class ReferForm(FlaskForm):
    agency = Select(_l("Agency"))
    detail = StringField(_l("Which station, embassy or organisation (optional)"), id="referral-detail", validators=[
        Optional(), Length(max=DETAIL_MAX, message=_l("Write at most 200 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agency.choices = [("", _l("choose an agency"))] + choices("agency")


class ReferralStepForm(FlaskForm):
    status = Select(_l("New status"))
    note = TextAreaField(_l("Note (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("Write at most 1,000 characters."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices("referral_status")


class LinkForm(FlaskForm):
    reference = StringField(_l("Case reference"), id="link-reference", validators=[
        DataRequired(REQUIRED), Length(max=20, message=_l("A case reference looks like 1300-69-004821."))])


def _failed(**forms) -> None:
    """The story's sections get only (case or call, user): a form sent back with its errors reaches them here."""
    g.links_forms = forms


def _sent_back(name: str):
    return g.get("links_forms", {}).get(name)


def _names(actors: set[str]) -> dict[str, str]:
    """`user:3` as the username (referral steps and links are written by console users)."""
    ids = {int(actor[5:]) for actor in actors if actor.startswith("user:") and actor[5:].isdigit()}
    names = {actor: actor for actor in actors}
    if ids:
        names.update({f"user:{i}": n for i, n in db().execute(select(User.id, User.username).where(User.id.in_(ids)))})
    return names


# --- the case page ---------------------------------------------------------------------------------------------

@story.case_section
def case_links(case: Case, _user: User) -> dict:
    referrals = db().scalars(select(Referral).options(selectinload(Referral.steps))
                             .where(Referral.case_id == case.id).order_by(Referral.id)).all()
    linked = db().scalars(select(LinkedCall).options(selectinload(LinkedCall.call)).where(LinkedCall.case_id == case.id)
                          .order_by(LinkedCall.at, LinkedCall.id)).all()
    own = db().get(Call, case.call_id) if case.call_id else None
    calls = ([{"call": own, "link": None}] if own else []) + [{"call": row.call, "link": row} for row in linked]
    for row in calls:
        row["notes"] = [note for note, _history in notes(row["call"])]
    actors = {step.actor for referral in referrals for step in referral.steps} | {row.actor for row in linked}
    return dict(
        referrals=referrals, referral_next={r.id: sorted(REFERRAL_NEXT[r.status]) for r in referrals},
        refer_form=_sent_back("refer") or ReferForm(formdata=None), referral_step_form=_sent_back("step"),
        referral_error_for=g.get("referral_error_for"), links_actors=_names(actors), case_calls=calls,
        case_report=db().scalar(select(Report).where(Report.case_id == case.id)),
        case_calls_unplayable=why_not_here(),
    )


@bp.post("/cases/<int:case_id>/referrals")
@requires(*EVERYONE)
def refer_case(case_id: int):
    user, case = current_user(), visible_case(case_id)
    form = ReferForm()
    if form.validate():
        try:
            referral = refer(db(), case, form.agency.data, form.detail.data, f"user:{user.id}")
        except ValueError:
            form.form_errors.append(_("This referral could not be saved: check the agency and the detail."))
    if form.errors or form.form_errors:
        _failed(refer=form)
        return render_case(case, 400)
    record(db(), "refer_case", user, target=f"case:{case.id}", reason=f"referral:{referral.id} {referral.agency}")
    db().commit()
    flash(_("Referral to %(agency)s saved.", agency=say("agency", referral.agency)), "success")
    return redirect(url_for("console.case", case_id=case.id, _anchor="referrals"))


@bp.post("/cases/<int:case_id>/referrals/<int:referral_id>/status")
@requires(*EVERYONE)
def advance_referral(case_id: int, referral_id: int):
    user, case = current_user(), visible_case(case_id)
    referral = db().scalar(select(Referral).where(Referral.id == referral_id, Referral.case_id == case.id)
                           .with_for_update())
    if referral is None:
        abort(404)
    form, was = ReferralStepForm(), referral.status
    if form.validate():
        try:
            advance(db(), referral, form.status.data, f"user:{user.id}", form.note.data)
        except ValueError:
            form.form_errors.append(_("A referral that is %(now)s cannot become %(next)s.",
                                      now=say("referral_status", was), next=say("referral_status", form.status.data)))
    if form.errors or form.form_errors:
        _failed(step=form)
        g.referral_error_for = referral.id
        return render_case(case, 400)
    record(db(), "advance_referral", user, target=f"case:{case.id}",
           reason=f"referral:{referral.id} {was} -> {referral.status}")
    db().commit()
    flash(_("The referral is now %(status)s.", status=say("referral_status", referral.status)), "success")
    return redirect(url_for("console.case", case_id=case.id, _anchor=f"referral-{referral.id}"))


# --- the call page ---------------------------------------------------------------------------------------------

def suggestions(call: Call) -> list[Case]:
    """Open cases that a call from the same number reached (opened, or was linked to) in the last SUGGEST_DAYS."""
    if not call.from_e164:
        return []
    recent = select(Call.id).where(Call.from_e164 == call.from_e164, Call.id != call.id,
                                   Call.started_at >= utcnow() - timedelta(days=SUGGEST_DAYS))
    linked = select(LinkedCall.case_id).where(LinkedCall.call_id.in_(recent))
    training = Case.source == TRAINING if call.simulated else Case.source != TRAINING
    return db().scalars(select(Case).where(Case.status.in_(OPEN_STATUSES), training,
                                           or_(Case.call_id.in_(recent), Case.id.in_(linked)))
                        .order_by(Case.created_at.desc(), Case.id.desc()).limit(SUGGEST_LIMIT)).all()


@story.call_section
def call_link(call: Call, user: User) -> dict:
    if user.role not in STAFF:
        return {"link_panel": False}
    row = db().scalar(select(LinkedCall).where(LinkedCall.call_id == call.id))
    own = db().scalar(select(Case.id).where(Case.call_id == call.id)) is not None
    return dict(link_panel=True, link_row=row, link_case=db().get(Case, row.case_id) if row else None,
                link_own_case=own, link_by=_names({row.actor}).get(row.actor) if row else None,
                link_form=_sent_back("link") or LinkForm(formdata=None),
                link_suggestions=[] if row or own else suggestions(call))


def reference_of(typed: str) -> str:
    typed = typed.strip().upper()
    return f"1300-{typed}" if SHORT_REFERENCE.fullmatch(typed) else typed


REFUSED = {
    "own_case": lambda ref: _("This call opened case %(reference)s itself, so it cannot be linked to another case.",
                              reference=ref),
    "linked_elsewhere": lambda ref: _("This call is already linked to case %(reference)s.", reference=ref),
    "closed": lambda ref: _("Case %(reference)s is closed: open a new case from this call instead.", reference=ref),
    "training": lambda ref: _("A training call and a real case cannot be linked (case %(reference)s).",
                              reference=ref),
}


@bp.post("/calls/<int:call_id>/link")
@requires(*STAFF)
def link_call(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user(), lock=True)
    form, case = LinkForm(), None
    if form.validate():
        case = db().scalar(select(Case).where(Case.reference == reference_of(form.reference.data)))
        if case is None:
            form.reference.errors = [*form.reference.errors, _("No case has this reference.")]
    if case is not None:
        try:
            linked = link(db(), case, call, f"user:{user.id}")
        except NotLinkable as refused:
            form.form_errors.append(REFUSED[refused.why](refused.reference))
    if case is None or form.form_errors:
        _failed(link=form)
        return render_call(call, 400)
    if not linked.new:
        flash(_("This call is already linked to case %(reference)s.", reference=case.reference), "info")
        return redirect(url_for("console.call", call_id=call.id, _anchor="link"))
    record(db(), "link_call", user, target=f"case:{case.id}", reason=f"call:{call.id}")
    try:
        db().commit()
    except IntegrityError:  # linked somewhere at the same moment (the call's lock makes this rare)
        db().rollback()
        flash(_("This call was linked meanwhile; see the case below."), "info")
        return redirect(url_for("console.call", call_id=call.id, _anchor="link"))
    flash(_("The call is now part of case %(reference)s.", reference=case.reference), "success")
    return redirect(url_for("console.call", call_id=call.id, _anchor="link"))
