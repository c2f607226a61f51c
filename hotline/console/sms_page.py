"""Dry-run SMS: what the ladder wrote instead of sending, and a form to answer as a field team would.

The answer goes through the real webhook (/sms/incoming, Twilio-signed), exactly as
`flask sms simulate-reply` sends it, so an ACK here acknowledges the case for real.
"""
from __future__ import annotations

import html
import re

from flask import make_response, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from hotline.simulator import signed_reply
from models import Case, Contact, Message

from . import bp
from .access import db, requires
from .forms import SmsReplyForm
from .masking import mask_number

SMS_ROLES = ("supervisor", "admin")
LATEST = 50
SAID = re.compile(r"<Message[^>]*>(.*?)</Message>", re.S)


def contact_choices() -> list[tuple[str, str]]:
    contacts = db().scalars(select(Contact).where(Contact.active.is_(True)).order_by(Contact.centre_id, Contact.level,
                                                                                     Contact.id)).all()
    return [(str(c.id), f"{c.name} · {c.role} · L{c.level} · {mask_number(c.phone)}") for c in contacts]


def render_sms(form: SmsReplyForm | None = None, answer: dict | None = None, status: int = 200):
    rows = db().execute(select(Message, Case.reference).outerjoin(Case, Case.id == Message.case_id)
                        .order_by(Message.id.desc()).limit(LATEST)).all()
    form = form or SmsReplyForm(contacts=contact_choices())
    return make_response(render_template("console/sms.html", messages=rows, form=form, answer=answer,
                                         mask=mask_number), status)


@bp.get("/sms")
@requires(*SMS_ROLES)
def sms():
    return render_sms()


@bp.post("/sms/reply")
@requires(*SMS_ROLES)
def sms_reply():
    form = SmsReplyForm(contacts=contact_choices())
    valid = form.validate()
    contact = db().get(Contact, int(form.contact.data)) if (form.contact.data or "").isdigit() else None
    if contact is None and not form.contact.errors:
        form.contact.errors = [*form.contact.errors, _("Choose a contact.")]
    if not valid or contact is None:
        return render_sms(form, status=400)
    code, text = signed_reply(contact.phone, form.body.data.strip())
    said = [html.unescape(part).strip() for part in SAID.findall(text)]
    db().rollback()  # the webhook wrote in its own session: read the messages afresh
    return render_sms(SmsReplyForm(contacts=contact_choices()), {"status": code, "said": said, "raw": text,
                                                                "contact": contact.name})
