"""POST /line/webhook: verify the raw body, write each event once with its job, answer 200 at once."""
from __future__ import annotations

import logging

from flask import current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import NotFound, RequestEntityTooLarge

from casework import line_intake
from hotline.db import enqueue_after_commit, transaction

from . import bp, signature

log = logging.getLogger(__name__)


def refuse(status: int, reason: str):
    return jsonify({"error": reason}), status


@bp.post("/webhook")
def webhook():
    config = current_app.config["HOTLINE"]
    if not config.LINE_CHANNEL_SECRET:
        raise NotFound()  # the chat is off
    limit = config.MAX_CONTENT_LENGTH
    if (request.content_length or 0) > limit:
        return refuse(400, f"body too large: at most {limit} bytes")
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:  # no Content-Length (chunked) and more than the limit
        return refuse(400, f"body too large: at most {limit} bytes")
    if not signature.is_signed(config.LINE_CHANNEL_SECRET, body, request.headers.get(signature.HEADER)):
        log.warning("rejected an unsigned or wrongly signed request to %s", request.path)
        return refuse(401, f"missing or wrong {signature.HEADER}")
    try:
        events = line_intake.events_of(body)
    except line_intake.BadBody as error:
        return refuse(400, str(error))
    try:
        with transaction() as session:
            job_ids = line_intake.receive(session, events)
    except SQLAlchemyError:
        log.exception("database unavailable for a LINE webhook of %d events; LINE redelivers them", len(events))
        return refuse(503, "database unavailable; redeliver later")
    log.info("LINE webhook: %d events, %d new", len(events), len(job_ids))
    enqueue_after_commit(job_ids)
    return jsonify({})
