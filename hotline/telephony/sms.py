"""SMS webhooks: replies from field teams, and delivery status of what we sent."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from casework import replies, spool
from casework.call_log import clean
from casework.wording import KEPT_SMS
from hotline.db import enqueue_after_commit, transaction
from hotline.extensions import machine_facing
from models.phones import mask

from .security import twilio_webhook
from .twiml import twiml

log = logging.getLogger(__name__)
bp = machine_facing(Blueprint("sms", __name__, url_prefix="/sms"))


@bp.post("/incoming")
@twilio_webhook
def incoming():
    form = clean(request.form)
    response = MessagingResponse()
    try:
        with transaction() as session:
            result = replies.receive(session, form)
    except SQLAlchemyError:
        log.exception("database unavailable for SMS %s; spooled", form.get("MessageSid"))
        spool.keep(current_app.config["HOTLINE"].SPOOL_DIR, "sms-incoming", {}, form)
        response.message(KEPT_SMS)
        return twiml(response)
    if result is not None:
        log.info("SMS %s from %s: %s", form.get("MessageSid"), mask(form.get("From")),
                 result.reported or ("acknowledged" if result.acknowledged else "no match"))
        response.message(result.text)
    return twiml(response)


@bp.post("/status")
@twilio_webhook
def status():
    form = clean(request.form)
    config = current_app.config["HOTLINE"]
    try:
        with transaction() as session:
            job_ids = replies.delivery(session, config, form)
    except SQLAlchemyError:
        log.exception("database unavailable for SMS status %s; spooled", form.get("MessageSid"))
        spool.keep(config.SPOOL_DIR, "sms-status", {}, form)
        return twiml(None)
    enqueue_after_commit(job_ids)
    return twiml(None)
