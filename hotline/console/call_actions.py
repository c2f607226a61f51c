"""What staff do to a call: write a note (edits are new versions), set kind/province/urgency, open a case."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from casework.intake import case_for_call
from hotline.db import enqueue_after_commit
from models import Annotation, Call, Case, utcnow

from . import bp
from .access import EVERYONE, STAFF, current_user, db, requires, visible_call
from .audit import record
from .call_page import note_owner, render_call
from .forms import CallDetailsForm, NoteForm

EDIT_OTHERS = ("supervisor", "admin")  # may correct someone else's note (a new version; the old one stays)


def _back(call_id: int, anchor: str):
    return redirect(url_for("console.call", call_id=call_id, _anchor=anchor))


@bp.post("/calls/<int:call_id>/notes")
@requires(*EVERYONE)
def add_note(call_id: int):
    call = visible_call(call_id, current_user())
    return write_note(call, lambda status, **forms: render_call(call, status, **forms), lambda: _back(call.id, "notes"))


def write_note(owner: Call | Case, render, back):
    """A new note on a call or a case, or a new version of one (calls and cases share this).

    `render(status, note_form=..., note_error_for=...)` shows the owner's page again with the errors;
    `back()` is where a saved note leads.
    """
    user, form = current_user(), NoteForm()
    column = note_owner(owner)
    old = db().get(Annotation, int(form.supersedes.data)) if (form.supersedes.data or "").isdigit() else None
    belongs = old is not None and getattr(old, column.key) == owner.id
    edited = old is not None and db().scalar(select(Annotation.id).where(Annotation.supersedes_id == old.id)) is not None
    may_edit = old is not None and (old.author_id == user.id or user.role in EDIT_OTHERS)
    # Errors show beside the note's own edit form when the page shows one, else above the new-note form.
    error_for = old.id if may_edit and belongs and not edited else None
    if not form.validate():
        return render(400, note_form=form, note_error_for=error_for)
    if form.supersedes.data:
        if not belongs:
            form.form_errors.append(_("That note does not belong to this case.") if isinstance(owner, Case)
                                    else _("That note does not belong to this call."))
        elif not may_edit:
            form.form_errors.append(_("Only its author or a supervisor may edit a note."))
        elif edited:
            form.form_errors.append(_("Someone edited this note meanwhile: edit the newest version."))
        if form.form_errors:
            return render(400, note_form=form, note_error_for=error_for)
    db().add(Annotation(**{column.key: owner.id}, author_id=user.id, body=form.body.data.strip(),
                        supersedes_id=old.id if old else None, created_at=utcnow()))
    db().commit()
    flash(_("Note saved."), "success")
    return back()


@bp.post("/calls/<int:call_id>/details")
@requires(*STAFF)
def set_details(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user(), lock=True)
    form = CallDetailsForm()
    if not form.validate():
        return render_call(call, 400, details_form=form)
    changes = []
    for field, attribute, default in (("category", "category", None), ("province", "province_code", None),
                                      ("urgency", "urgency", "normal")):
        old, new = getattr(call, attribute) or default, getattr(form, field).data or None
        if new != old:
            changes.append(f"{attribute}: {old or '-'} -> {new or '-'}")
            setattr(call, attribute, new)
    if not changes:
        flash(_("Nothing changed."), "info")
        return _back(call.id, "details")
    if any(change.startswith("province_code") for change in changes):
        call.province_source, call.district_code = "operator", None
    record(db(), "edit_call", user, target=f"call:{call.id}", reason="; ".join(changes))
    db().commit()
    flash(_("Call details saved."), "success")
    return _back(call.id, "details")


@bp.post("/calls/<int:call_id>/case")
@requires(*STAFF)
def open_case(call_id: int):
    user, call = current_user(), visible_call(call_id, current_user(), lock=True)
    database = db()
    existing = database.scalar(select(Case).where(Case.call_id == call.id))
    if existing is not None:
        flash(_("This call already has case %(reference)s.", reference=existing.reference), "info")
        return _back(call.id, "case")
    try:
        opened = case_for_call(database, call, actor=f"user:{user.id}")
        case = opened.case
        if not opened.new:  # linked to a case (casework.linking): that is its case
            flash(_("This call is already linked to case %(reference)s.", reference=case.reference), "info")
            return _back(call.id, "case")
        record(database, "open_case", user, target=f"call:{call.id}", reason=case.reference)
        database.commit()
    except IntegrityError:  # someone else opened it at the same moment
        database.rollback()
        flash(_("This call already has a case."), "info")
        return _back(call.id, "case")
    enqueue_after_commit(opened.job_ids)
    if call.simulated:
        flash(_("Training case %(reference)s opened; no field team is alerted.", reference=case.reference), "success")
    else:
        flash(_("Case %(reference)s opened; the province's team will be alerted.", reference=case.reference), "success")
    return _back(call.id, "case")
