"""SMS: the latest messages, and, in a dry run only, a form to answer in a field team's place.

A simulated reply is read by the same rules as a real one (`casework.replies`), so an ACK acknowledges the case;
it is logged as simulated, recorded in the supervisor's name and audited. With real Twilio credentials the form
does not exist: nobody can acknowledge an urgent case in a field team's name.
"""
from __future__ import annotations

from flask import abort, current_app, make_response, render_template
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from casework import replies
from models import CENTRAL, Case, Centre, Contact, Message

from . import bp
from .access import current_user, db, requires
from .audit import record
from .centres import centre_name, found, search_words
from .forms import SmsReplyForm
from .masking import mask_number

SMS_ROLES = ("supervisor", "admin")
LATEST = 50


def dry_run() -> bool:
    return current_app.config["HOTLINE"].sms_dry_run


def contact_choices(query: str = "") -> list[SelectChoice]:
    """Every active contact, grouped by centre (central first, as on the centres page); a search keeps the
    centres, or the contacts by name, that match it."""
    rows = db().execute(select(Contact, Centre).join(Centre, Centre.id == Contact.centre_id)
                        .where(Contact.active.is_(True))
                        .order_by(Centre.code != CENTRAL, Centre.code, Contact.level, Contact.id)).all()
    return [SelectChoice(str(c.id), f"{c.name} · {c.role} · L{c.level} · {mask_number(c.phone)}",
                         optgroup=centre_name(centre))
            for c, centre in rows if not query or found(centre, query) or query.casefold() in c.name.casefold()]


def render_sms(form: SmsReplyForm | None = None, answer: dict | None = None, status: int = 200):
    rows = db().execute(select(Message, Case.reference).outerjoin(Case, Case.id == Message.case_id)
                        .order_by(Message.id.desc()).limit(LATEST)).all()
    query = search_words()
    if dry_run():
        form = form or SmsReplyForm()
        form.offer(contact_choices(query))
    return make_response(render_template("console/sms.html", messages=rows, form=form if dry_run() else None,
                                         answer=answer, query=query, mask=mask_number), status)


@bp.get("/sms")
@requires(*SMS_ROLES)
def sms():
    return render_sms()


@bp.post("/sms/reply")
@requires(*SMS_ROLES)
def sms_reply():
    if not dry_run():
        abort(404)  # real SMS go out: only the field team's own phone answers for it
    form = SmsReplyForm(contacts=contact_choices())
    valid = form.validate()
    contact = db().get(Contact, int(form.contact.data)) if (form.contact.data or "").isdigit() else None
    if contact is None and not form.contact.errors:
        form.contact.errors = [*form.contact.errors, _("Choose a contact.")]
    if not valid or contact is None:
        return render_sms(form, status=400)
    user = current_user()
    result = replies.simulate(db(), contact, form.body.data.strip(), by=f"user:{user.id}")
    record(db(), "simulate_reply", user, target=result.case.reference if result.case else f"contact:{contact.id}",
           reason=f"as {contact.name}, level {contact.level}: {result.reported or ('acknowledged' if result.acknowledged else 'no ACK')}")
    db().commit()
    return render_sms(None, {"said": [result.text], "contact": contact.name})
