"""SMS webhooks: replies from field teams, and delivery status of what we sent."""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.messaging_response import MessagingResponse

from hotline.db import transaction
from models.phones import mask
from workers import outbox

from . import replies, spool
from .intake import clean
from .security import twilio_webhook
from .twiml import twiml

log = logging.getLogger(__name__)
bp = Blueprint("sms", __name__, url_prefix="/sms")
KEPT = "1300: ได้รับข้อความแล้ว ระบบจะบันทึกการตอบรับโดยเร็ว / Received; your reply will be recorded shortly"


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
        response.message(KEPT)
        return twiml(response)
    if result is not None:
        log.info("SMS %s from %s: %s", form.get("MessageSid"), mask(form.get("From")),
                 "acknowledged" if result.acknowledged else "no match")
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
        if job_ids:
            with transaction() as session:
                outbox.dispatch(session, current_app.extensions["redis"], job_ids)
    except SQLAlchemyError:
        log.exception("database unavailable for SMS status %s; spooled", form.get("MessageSid"))
        spool.keep(config.SPOOL_DIR, "sms-status", {}, form)
    return twiml(None)
