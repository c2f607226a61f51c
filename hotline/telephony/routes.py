"""Voice webhooks: verify, normalise, write, commit, enqueue ids, answer TwiML."""
from __future__ import annotations

import logging

from flask import current_app, request, send_from_directory
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, NotFound

from casework import call_log, spool, training
from casework.ivr.engine import Voice
from casework.ivr.prompts import LANGUAGES
from hotline import metrics
from hotline.db import enqueue_after_commit, single_write, transaction

from . import bp
from .security import twilio_webhook
from .twiml import twiml

log = logging.getLogger(__name__)


def voice() -> Voice:
    config = current_app.config["HOTLINE"]
    return Voice(th=config.VOICE_TH, en=config.VOICE_EN, prompts_dir=config.PROMPTS_DIR,
                 base_url=config.PUBLIC_BASE_URL or request.url_root, operator_target=config.OPERATOR_DIAL_TARGET,
                 operator_timeout=config.OPERATOR_DIAL_TIMEOUT, desk_training=training.desk_rehearsal(config))


def write_and_answer(kind: str, write, args: dict | None = None, begin=transaction):
    """Run one webhook's write in one transaction; if the database fails, spool it and still answer."""
    form = call_log.clean(request.form)
    try:
        with begin() as db:
            outcome = write(db, form)
    except call_log.MissingCallSid:
        log.warning("%s webhook without a usable CallSid", kind)
        return twiml(call_log.operator_now(voice()) if kind != "status" else None)  # no CallSid: a message
    except SQLAlchemyError:
        log.exception("database unavailable during a %s webhook for %s; spooled", kind, call_log.call_sid(form))
        spool.keep(current_app.config["HOTLINE"].SPOOL_DIR, kind, args or {}, form)
        return twiml(call_log.operator_now(voice(), call_log.call_sid(form)) if kind not in ("status", "recording")
                     else None)
    if outcome.ended is not None:
        metrics.call_ended(outcome.ended)
    enqueue_after_commit(outcome.job_ids)
    return twiml(outcome.twiml)


@bp.post("/incoming")
@twilio_webhook
def incoming():
    return write_and_answer("incoming", lambda connection, form: call_log.incoming(connection, form, voice()),
                            begin=single_write)


@bp.post("/ivr/<node>")
@twilio_webhook
def ivr(node: str):
    args = {"node": node[:32], "s": request.args.get("s", "1")[:8], "try": request.args.get("try", "1")[:4]}
    return write_and_answer("ivr", lambda session, form: call_log.ivr_step(session, args["node"], args, form, voice()),
                            args)


@bp.post("/status")
@twilio_webhook
def status():
    return write_and_answer("status", call_log.status)


@bp.post("/recording")
@twilio_webhook
def recording():
    return write_and_answer("recording", call_log.recording)


@bp.post("/fallback")
@twilio_webhook
def fallback():
    return write_and_answer("fallback", lambda session, form: call_log.fallback(session, form, voice()))


@bp.get("/prompts/<language>/<path:filename>")
def prompt(language: str, filename: str):
    """Recorded prompts are public: Twilio fetches them without a signature."""
    if language not in LANGUAGES:
        raise NotFound()
    return send_from_directory(current_app.config["HOTLINE"].PROMPTS_DIR / language, filename, max_age=3600)


@bp.errorhandler(Exception)
def never_fail_a_caller(error):
    """A bug must not make Twilio say "an application error has occurred"."""
    if isinstance(error, HTTPException):
        return error
    log.exception("unexpected error in %s", request.path)
    if request.path.endswith(("/status", "/recording")):
        return twiml(None)
    return twiml(call_log.operator_now(voice(), call_log.call_sid(call_log.clean(request.form))))
