"""The operator desk's voice webhooks (casework.desk_calls): the waiting room's hold message, the message offer,
and the conference's and operator legs' status callbacks. Signed and written once like every voice webhook."""
from __future__ import annotations

import logging

from flask import current_app, request
from sqlalchemy.exc import SQLAlchemyError
from twilio.twiml.voice_response import VoiceResponse

from casework import call_log, desk_callback, desk_calls
from hotline.db import enqueue_after_commit, transaction

from . import bp
from .routes import voice
from .security import twilio_webhook
from .twiml import twiml

log = logging.getLogger(__name__)


def write_and_answer(kind: str, write, otherwise=VoiceResponse):
    """Like the menu's webhooks, but nothing is spooled: with the database down the caller keeps waiting
    (`otherwise`), and what a lost callback leaves the desk's sweep tidies (an unanswered ring turns missed)."""
    form = call_log.clean(request.form)
    try:
        with transaction() as session:
            outcome = write(session, form)
    except SQLAlchemyError:
        log.exception("database unavailable during a desk %s webhook", kind)
        return twiml(otherwise())
    enqueue_after_commit(outcome.job_ids)
    return twiml(outcome.twiml)


def _number(name: str) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else 0


@bp.post("/desk/hold")
@twilio_webhook
def hold():
    config = current_app.config["HOTLINE"]
    conference, turn = request.args.get("conf", "")[:80], max(_number("n"), 1)
    return write_and_answer("hold", lambda session, form: desk_calls.hold(session, config, conference, turn, voice()),
                            lambda: desk_calls.hold_quietly(conference, turn))


@bp.post("/desk/leave")
@twilio_webhook
def leave():
    wait_id, asked = _number("w"), request.args.get("k") is not None
    return write_and_answer("leave", lambda session, form: desk_calls.leave_offer(
        session, wait_id, (form.get("Digits") or "").strip()[:4] if asked else None, voice()),
        lambda: call_log.operator_now(voice(), call_log.call_sid(call_log.clean(request.form))))


@bp.post("/desk/conference")
@twilio_webhook
def conference():
    return write_and_answer("conference", lambda session, form: desk_calls.conference_event(session, form))


@bp.post("/desk/participant")
@twilio_webhook
def participant():
    config, offer_id = current_app.config["HOTLINE"], _number("o")
    return write_and_answer("participant",
                            lambda session, form: desk_calls.participant_event(session, config, offer_id, form))


@bp.post("/desk/callback")
@twilio_webhook
def callback():
    """An operator answered a callback's ring (the TwiML that dials the caller), or, with `leg`, the caller's
    leg's status."""
    config, wait_id, user_id = current_app.config["HOTLINE"], _number("w"), _number("u")
    if request.args.get("leg") is not None:
        return write_and_answer("callback leg", lambda session, form: desk_callback.leg_event(session, wait_id, form))
    return write_and_answer("callback", lambda session, form: desk_callback.answer(
        session, config, wait_id, user_id, form, voice()), lambda: desk_callback.unavailable(voice()))
