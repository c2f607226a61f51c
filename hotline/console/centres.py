"""Centres and contacts: the 78 centres, each with the people its cases' SMS reach.

Supervisors and admins edit contacts (the duty roster changes at every shift); operators see every centre
and field officers their provinces' centres, read-only, with numbers masked. Every change is audited and
marks the contact as edited in the console: `flask centres load` then leaves it as it is (the console wins).
Changing a contact's number or level keeps the old row, deactivated, for the escalation history. A contact
deactivated or taken off duty can no longer acknowledge what it was texted; each case waiting on it goes on at once
(`casework.ladder.withdraw`).
"""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from casework import ladder
from hotline.db import enqueue_after_commit
from models import CENTRAL, Centre, Contact, utcnow
from models.places import province_name

from . import bp
from .access import EVERYONE, current_user, db, requires
from .audit import record
from .forms import LEVEL_WORDS, ContactForm, DutyForm
from .masking import mask_number

EDITORS = ("supervisor", "admin")


def withdraw(contact: Contact) -> list[str]:
    """In the view's transaction: the contact's unanswered SMS stop counting; enqueue the result after commit."""
    return ladder.withdraw(db(), current_app.config["HOTLINE"], contact)


def _mine(statement):
    user = current_user()
    if user.role == "field_officer":
        return statement.where(Centre.province_code.in_(list(user.provinces or [])))
    return statement


def visible_centre(code: str) -> Centre:
    centre = db().scalar(_mine(select(Centre).where(Centre.code == code)))
    if centre is None:
        abort(404)
    return centre


def centre_name(centre: Centre) -> str:
    return centre.name_th if str(get_locale()) == "th" else centre.name_en


def search_words() -> str:
    """What a search form's `?q=` asks for, trimmed."""
    return request.args.get("q", "").strip()[:100]


def found(centre: Centre, query: str) -> bool:
    """The search matches part of the code, or of the centre's or its province's name in Thai or English."""
    names = (centre.code, centre.name_th, centre.name_en, province_name(centre.province_code, "th"),
             province_name(centre.province_code, "en"))
    return any(query.casefold() in name.casefold() for name in names if name)


@bp.get("/centres")
@requires(*EVERYONE)
def centres():
    reachable = (Contact.active.is_(True) & Contact.on_duty.is_(True) & Contact.unreachable_reason.is_(None))
    counts = {(centre_id, level): n for centre_id, level, n in db().execute(
        select(Contact.centre_id, Contact.level, func.count()).where(reachable).group_by(Contact.centre_id, Contact.level))}
    rows = db().scalars(_mine(select(Centre)).order_by(Centre.code != CENTRAL, Centre.code)).all()
    query = search_words()
    shown = [c for c in rows if found(c, query)] if query else rows
    return render_template("console/centres.html", centres=[
        (c, {level: counts.get((c.id, level), 0) for level in (1, 2, 3)}) for c in shown], name=centre_name,
        query=query, total=len(rows))


def render_centre(centre: Centre, status: int = 200, form: ContactForm | None = None):
    editor = current_user().role in EDITORS
    contacts = [c for c in centre.contacts if c.active]
    on_duty_1 = any(c.level == 1 and c.reachable for c in contacts)
    return make_response(render_template(
        "console/centre.html", centre=centre, name=centre_name(centre), contacts=contacts,
        inactive=[c for c in centre.contacts if not c.active], editor=editor, nobody_at_level_1=not on_duty_1,
        number=(lambda phone: phone) if editor else mask_number, levels=LEVEL_WORDS,
        form=form or ContactForm(central=centre.code == CENTRAL), duty_form=DutyForm()), status)


@bp.get("/centres/<code>")
@requires(*EVERYONE)
def centre(code: str):
    return render_centre(visible_centre(code))


def _clash(centre: Centre, phone: str, level: int, contact: Contact | None) -> Contact | None:
    return db().scalar(select(Contact).where(Contact.centre_id == centre.id, Contact.phone == phone,
                                             Contact.level == level, Contact.id != (contact.id if contact else -1)))


def save_contact(centre: Centre, contact: Contact | None, form: ContactForm, jobs: list[str]) -> Contact | None:
    """Add or change a contact from a valid form; None (with a form error) when another active one has the
    same number at the same level. A new number or level is a new row; the old one stays, deactivated. The old
    row, or a contact now off duty, is withdrawn from its cases: their outbox job ids are added to `jobs`."""
    phone, level, now = form.phone.e164, int(form.level.data), utcnow()
    clash = _clash(centre, phone, level, contact)
    if clash is not None and clash.active:
        form.phone.errors = [*form.phone.errors, _("%(name)s already has this number at this level.", name=clash.name)]
        return None
    same_key = contact is not None and (contact.phone, contact.level) == (phone, level)
    target = contact if same_key else clash or Contact(centre_id=centre.id)
    before = _describe(contact) if contact else None
    if contact is not None and not same_key:
        contact.active, contact.console_edited_at = False, now
    if target is not contact:
        target.unreachable_reason = None  # a number entered anew is tried again
    target.name, target.role = form.name.data.strip(), (form.role.data or "").strip()
    target.phone, target.level, target.on_duty = phone, level, form.on_duty.data == "yes"
    target.active, target.console_edited_at = True, now
    db().add(target)
    db().flush()
    if contact is not None and (target is not contact or not target.on_duty):
        jobs += withdraw(contact)
    after = _describe(target)
    if contact is None:
        record(db(), "add_contact", current_user(), target=f"contact:{target.id}", reason=f"{centre.code}: {after}")
    else:
        record(db(), "edit_contact", current_user(), target=f"contact:{contact.id}",
               reason=f"{centre.code}: {before} -> {after}" + (f" (now contact:{target.id})" if target is not contact else ""))
    return target


def _describe(contact: Contact) -> str:
    duty = "on duty" if contact.on_duty else "off duty"
    return f"{contact.name} / {contact.role or '-'} / {contact.phone} / level {contact.level} / {duty}"


@bp.post("/centres/<code>/contacts")
@requires(*EDITORS)
def add_contact(code: str):
    centre = visible_centre(code)
    form = ContactForm(central=centre.code == CENTRAL)
    if not form.validate() or save_contact(centre, None, form, []) is None:
        db().rollback()
        return render_centre(centre, 400, form)
    db().commit()
    flash(_("Contact added."), "success")
    return redirect(url_for("console.centre", code=centre.code, _anchor="contacts"))


def editable_contact(contact_id: int, lock: bool = False) -> Contact:
    statement = select(Contact).where(Contact.id == contact_id)
    contact = db().scalar(statement.with_for_update() if lock else statement)
    if contact is None or not contact.active:
        abort(404)
    return contact


def render_contact(contact: Contact, form: ContactForm, status: int = 200):
    return make_response(render_template("console/contact.html", contact=contact, centre=contact.centre,
                                         name=centre_name(contact.centre), form=form), status)


@bp.get("/contacts/<int:contact_id>")
@requires(*EDITORS)
def edit_contact(contact_id: int):
    contact = editable_contact(contact_id)
    form = ContactForm(obj=contact, central=contact.centre.code == CENTRAL)
    form.level.data, form.on_duty.data = str(contact.level), "yes" if contact.on_duty else "no"
    return render_contact(contact, form)


@bp.post("/contacts/<int:contact_id>")
@requires(*EDITORS)
def save_contact_changes(contact_id: int):
    contact = editable_contact(contact_id, lock=True)
    form = ContactForm(central=contact.centre.code == CENTRAL)
    jobs: list[str] = []
    if not form.validate() or save_contact(contact.centre, contact, form, jobs) is None:
        db().rollback()
        return render_contact(editable_contact(contact_id), form, 400)
    db().commit()
    enqueue_after_commit(jobs)
    flash(_("Contact saved."), "success")
    return redirect(url_for("console.centre", code=contact.centre.code, _anchor="contacts"))


@bp.post("/contacts/<int:contact_id>/duty")
@requires(*EDITORS)
def set_duty(contact_id: int):
    contact = editable_contact(contact_id, lock=True)
    form = DutyForm()
    if not form.validate():
        db().rollback()
        return render_centre(contact.centre, 400)
    on_duty = form.on_duty.data == "yes"
    if contact.on_duty != on_duty:  # the wanted state, not a flip: a double click changes nothing twice
        contact.on_duty, contact.console_edited_at = on_duty, utcnow()
        record(db(), "contact_duty", current_user(), target=f"contact:{contact.id}",
               reason=f"{contact.centre.code}: {contact.name} {'on duty' if on_duty else 'off duty'}")
        jobs = [] if on_duty else withdraw(contact)
        db().commit()
        enqueue_after_commit(jobs)
    flash(_("%(name)s is on duty.", name=contact.name) if on_duty else _("%(name)s is off duty.", name=contact.name),
          "success")
    return redirect(url_for("console.centre", code=contact.centre.code, _anchor="contacts"))


@bp.post("/contacts/<int:contact_id>/deactivate")
@requires(*EDITORS)
def deactivate_contact(contact_id: int):
    contact = db().scalar(select(Contact).where(Contact.id == contact_id).with_for_update())
    if contact is None:
        abort(404)
    if not contact.active:
        flash(_("%(name)s no longer gets SMS for this centre.", name=contact.name), "info")
        return redirect(url_for("console.centre", code=contact.centre.code, _anchor="contacts"))
    contact.active, contact.console_edited_at = False, utcnow()
    record(db(), "deactivate_contact", current_user(), target=f"contact:{contact.id}",
           reason=f"{contact.centre.code}: {_describe(contact)}")
    jobs = withdraw(contact)
    db().commit()
    enqueue_after_commit(jobs)
    flash(_("%(name)s no longer gets SMS for this centre.", name=contact.name), "success")
    return redirect(url_for("console.centre", code=contact.centre.code, _anchor="contacts"))
