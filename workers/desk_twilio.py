"""The operator desk's jobs (issue 16): route waiting callers, and send the REST requests `casework.desk_dial`
prepares (ring an operator into a caller's conference, add an interpreter, take a caller to the message keys,
stop a ring). Without Twilio credentials (development) a request is a dry run: logged, recorded, not sent.

A route pass rings its offers from this process at once (another job, another fork, would add a hop to every
caller's wait); each ring is also an outbox row, so one lost here is sent by the sweep. Twilio busy or away
raises for RQ's retries; a request Twilio refuses is recorded as such.
"""
from __future__ import annotations

import logging
import secrets

from requests.exceptions import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException

from casework import desk_dial, desk_line, work
from casework.desk_dial import Request

from . import dispatch, runtime
from .runtime import Context
from .twilio_sms import rest_client, transient

log = logging.getLogger(__name__)


class TwilioBusy(RuntimeError):
    """Try again (RQ's Retry)."""


def route(trigger: str) -> None:
    route_in(runtime.current(), trigger)


def route_in(context: Context, trigger: str) -> int:
    """One routing pass; its rings sent from here. The number of offers made."""
    with context.sessions.begin() as session:
        work.mark_done(session, work.desk_route(trigger).job_id)
        rings = desk_line.route(session, context.config)
    left = []
    for ring_work in rings:
        try:
            ring_in(context, ring_work.args[0])
        except TwilioBusy:
            left.append(ring_work.job_id)
    dispatch.after_commit(context.sessions, context.redis, left)
    return len(rings)


def ring(offer_id: int) -> None:
    ring_in(runtime.current(), offer_id)


def ring_in(context: Context, offer_id: int) -> None:
    job_id = work.desk_ring(offer_id).job_id
    with context.sessions.begin() as session:
        request = desk_dial.ring(session, context.config, offer_id)
        if request is None:
            work.mark_done(session, job_id)
            return
    sid, error = send_or_refusal(context, request)
    if error is not None:
        log.warning("desk offer %s: Twilio refused the endpoint (HTTP %s, code %s)", offer_id, error.status, error.code)
        with context.sessions.begin() as session:
            work.mark_done(session, job_id)
            jobs = desk_dial.ring_refused(session, offer_id)
        dispatch.after_commit(context.sessions, context.redis, [job.job_id for job in jobs])
        return
    with context.sessions.begin() as session:
        desk_dial.rung(session, offer_id, sid)
        work.mark_done(session, job_id)
    log.info("desk offer %s rung (%s)", offer_id, sid)


def hang_up(offer_id: int) -> None:
    context = runtime.current()
    with context.sessions.begin() as session:
        work.mark_done(session, work.desk_hang_up(offer_id).job_id)
        request = desk_dial.hang_up(session, offer_id)
    if request is not None:
        send_or_refusal(context, request)  # refused: the leg ended already, nothing to stop


def add_interpreter(wait_id: int) -> None:
    context = runtime.current()
    with context.sessions.begin() as session:
        request = desk_dial.add_interpreter(session, context.config, wait_id)
    if request is not None and (error := send_or_refusal(context, request)[1]) is not None:
        log.warning("desk: Twilio refused the interpreter's number for wait %s (code %s)", wait_id, error.code)
    with context.sessions.begin() as session:
        work.mark_done(session, work.desk_add_interpreter(wait_id).job_id)


def offer_message(wait_id: int, turn: str = "") -> None:
    context = runtime.current()
    with context.sessions.begin() as session:
        request = desk_dial.offer_message(session, context.config, wait_id)
    jobs = []
    if request is not None and send_or_refusal(context, request)[1] is not None:
        with context.sessions.begin() as session:
            jobs = desk_dial.message_not_offered(session, wait_id)
    with context.sessions.begin() as session:
        work.mark_done(session, work.desk_offer_message(wait_id, turn).job_id)
    dispatch.after_commit(context.sessions, context.redis, [job.job_id for job in jobs])


def send_or_refusal(context: Context, request: Request) -> tuple[str | None, TwilioRestException | None]:
    """Send; Twilio's refusal for good (a 4xx) comes back as the error, anything worth retrying raises TwilioBusy."""
    try:
        return send(context, request), None
    except TwilioRestException as error:
        if not _refused(error):
            raise TwilioBusy(f"Twilio HTTP {error.status}") from error
        return None, error


def send(context: Context, request: Request) -> str:
    """Send one request; the CallSid it concerns (a dry run makes one up)."""
    client = rest_client(context.config)
    if client is None:
        sid = "DR" + secrets.token_hex(16)
        log.info("desk %s: dry run, not sent (%s)", request.kind, sid)
        return sid
    try:
        if request.kind == "participant":
            return client.conferences(request.target).participants.create(**request.params).call_sid
        if request.kind in ("redirect", "hang_up"):
            return client.calls(request.target).update(**request.params).sid
        if request.kind == "participant_update":  # target: CF…/CallSid (casework.desk_controls.participant)
            conference, call_sid = request.target.split("/", 1)
            return client.conferences(conference).participants(call_sid).update(**request.params).call_sid
        if request.kind == "conference_update":
            return client.conferences(request.target).update(**request.params).sid
        if request.kind == "call":
            return client.calls.create(**request.params).sid
    except TwilioRestException:
        raise
    except (TwilioException, RequestException) as error:
        raise TwilioBusy(f"Twilio unreachable: {type(error).__name__}") from error
    raise ValueError(f"unknown desk request {request.kind!r}")


def _refused(error: TwilioRestException) -> bool:
    """Refused for good: a 4xx that is not a timeout or a rate limit (the SMS sender's rule)."""
    return not transient(error) and 400 <= error.status < 500


def call_back(wait_id: int, attempt: str) -> None:
    """Ring the operator who is calling a caller back; Twilio refusing their endpoint puts the caller back on the
    callback list."""
    context = runtime.current()
    job_id = work.desk_call_back(wait_id, attempt).job_id
    with context.sessions.begin() as session:
        request = desk_dial.call_back(session, context.config, wait_id, attempt)
        if request is None:
            work.mark_done(session, job_id)
            return
    sid, error = send_or_refusal(context, request)
    if error is not None:
        log.warning("desk callback %s: Twilio refused the operator's endpoint (code %s)", wait_id, error.code)
        with context.sessions.begin() as session:
            desk_dial.call_back_refused(session, wait_id, attempt, error.code)
            work.mark_done(session, job_id)
        return
    with context.sessions.begin() as session:
        desk_dial.called_back(session, wait_id, attempt, sid)
        work.mark_done(session, job_id)
    log.info("desk callback %s: operator rung (%s)", wait_id, sid)
