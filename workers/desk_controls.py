"""The job of a control asked on a desk call's page (casework.desk_controls): send its REST requests in order,
then write the outcome on the call's timeline. Twilio busy or away raises for RQ's retries (a retry asks again
only what the outcome does not say was sent); a request Twilio refuses (the leg or the conference ended) is
written as refused, and the requests after it are not sent; one with nothing left to ask, as skipped.
"""
from __future__ import annotations

import logging

from casework import desk_controls, work

from . import runtime
from .desk_twilio import send_or_refusal

log = logging.getLogger(__name__)


def send_control(wait_id: int, what: str, number: int) -> None:
    context = runtime.current()
    with context.sessions.begin() as session:
        requests = desk_controls.requests(session, context.config, wait_id, what, number)
    outcome, detail = ("sent" if requests else "skipped"), ""
    for request in requests:
        error = send_or_refusal(context, request)[1]
        if error is not None:
            log.warning("desk control %s %s of wait %s: Twilio refused (HTTP %s, code %s)", what, number, wait_id,
                        error.status, error.code)
            outcome, detail = "refused", f"HTTP {error.status} code {error.code}"
            break
    with context.sessions.begin() as session:
        desk_controls.sent(session, wait_id, what, number, outcome, detail)
        work.mark_done(session, work.desk_control(wait_id, what, number).job_id)
