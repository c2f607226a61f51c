"""RQ jobs: plain functions of ids, safe to run twice, raising on failure. Each runs one step of
`casework` in a transaction, then carries out what the step left: its SMS, sent from this work horse
(RQ would fork a new horse for each, which takes longer than the SMS itself), the outbox items it wrote,
and the SLA check. Anything an interrupted job leaves, the relay sweeps up.

A job's name is its `casework.work` name; the context (settings, database, Redis, sender) is the
process's (`runtime`). The `*_in` functions take it explicitly: the warm-up passes its own.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError

from casework import escalation_sms, ladder, line_chat, retention, summary, work
from casework.escalation_sms import Outgoing, SmsRefused
from models import utcnow
from models.phones import mask

from . import desk_controls, desk_twilio, dispatch, line_api, runtime
from .queues import queue
from .runtime import Context

log = logging.getLogger(__name__)


def start_escalation(case_id: int) -> None:
    """A new case, from any channel, starts up the ladder, once."""
    step_in(runtime.current(), ladder.begin, case_id)


def restart_escalation(case_id: int, run: int) -> None:
    """A reassigned case starts up its new centre's ladder at level 1, once per reassignment."""
    step_in(runtime.current(), ladder.begin_again, case_id, run)


def hurry_escalation(case_id: int, run: int, level: int) -> None:
    """A case made urgent after it opened: its ladder begins now, or its level gets the urgent window."""
    step_in(runtime.current(), ladder.hurry, case_id, run, level)


def check_acknowledged(case_id: int, level: int, run: int = 0) -> None:
    """The SLA window of `level` has passed: climb unless someone acknowledged meanwhile (or the case moved)."""
    step_in(runtime.current(), ladder.check, case_id, level, run)


def send_escalation(escalation_id: int) -> None:
    """One SMS to one contact; the provider busy raises (RQ retries), a refusal fails over."""
    send_in(runtime.current(), escalation_id)


def run_retention(day: str) -> None:
    """The day's retention run, unless one already ran that day (a re-run is a no-op)."""
    from .twilio_sms import rest_client

    context = runtime.current()
    with context.sessions() as session:
        if retention.ran_on(session, day):
            log.info("retention for %s already ran", day)
            return
    retention.run(context.sessions, context.config, client=rest_client(context.config), day=day)


def recount_reports(first: str | None, last: str | None) -> None:
    """The reports' summary counted again for the weeks and months touching first..last (ISO days; first None:
    from the first call); a re-run writes nothing new."""
    counted, changed = summary.recount(runtime.current().sessions, _day(first), _day(last))
    log.info("reports summary: %d periods counted, %d changed", counted, changed)


def line_event(event_id: int) -> None:
    """A LINE webhook event kept: the chat's turn, once; its answer goes out through its own job."""
    context = runtime.current()
    with context.sessions.begin() as session:
        job_ids = line_chat.handle(session, context.config, event_id)
    dispatch.after_commit(context.sessions, context.redis, job_ids)


def send_line_message(message_id: int) -> None:
    """One LINE message: by its reply token, else pushed; LINE busy raises (RQ retries with backoff)."""
    line_api.send_in(runtime.current(), message_id)


def line_content(event_id: int) -> None:
    """An image, voice note, video or file a LINE user sent, copied from LINE; LINE busy raises (RQ retries)."""
    line_api.fetch_content_in(runtime.current(), event_id)


def desk_route(trigger: str) -> None:
    """Offer waiting callers to free operators, and ring them (workers.desk_twilio)."""
    desk_twilio.route(trigger)


def desk_ring(offer_id: int) -> None:
    desk_twilio.ring(offer_id)


def desk_hang_up(offer_id: int) -> None:
    desk_twilio.hang_up(offer_id)


def desk_add_interpreter(wait_id: int) -> None:
    desk_twilio.add_interpreter(wait_id)


def desk_offer_message(wait_id: int, turn: str = "") -> None:
    desk_twilio.offer_message(wait_id, turn)


def desk_control(wait_id: int, what: str, number: int) -> None:
    """A control asked on a desk call's page: its REST requests (workers.desk_controls)."""
    desk_controls.send_control(wait_id, what, number)


def desk_call_back(wait_id: int, attempt: str) -> None:
    desk_twilio.call_back(wait_id, attempt)


def _day(text: str | None):
    return date.fromisoformat(text) if text else None


JOBS = {"start_escalation": start_escalation, "restart_escalation": restart_escalation,
        "hurry_escalation": hurry_escalation, "check_acknowledged": check_acknowledged,
        "send_escalation": send_escalation, "run_retention": run_retention, "recount_reports": recount_reports,
        "line_event": line_event, "send_line_message": send_line_message, "desk_route": desk_route,
        "desk_ring": desk_ring, "desk_hang_up": desk_hang_up, "desk_add_interpreter": desk_add_interpreter,
        "desk_offer_message": desk_offer_message, "desk_control": desk_control, "desk_call_back": desk_call_back,
        "line_content": line_content}


def step_in(context: Context, step_function, *args) -> None:
    with context.sessions.begin() as session:
        step = step_function(session, context.config, *args)
    carry_out(context, step)


def send_in(context: Context, escalation_id: int, claim: bool = False) -> bool:
    """Send one escalation SMS; with `claim`, first take its outbox item (an SMS sent from this horse rather than
    by RQ). True when the item is done, False when another run has it."""
    with context.sessions.begin() as session:
        if claim and not work.claim(session, work.send_escalation(escalation_id).job_id):
            return False  # done already, or another run has it
        out = escalation_sms.prepare(session, context.config, escalation_id)
    return out is None or deliver(context, out)


def deliver(context: Context, out: Outgoing) -> bool:
    """Send an attempt committed as 'sending' (its item claimed) and record the outcome; True: the item is done."""
    try:
        sent = (out.interrupted and context.sender.find_sent(out.to, out.body, out.since)) or \
            context.sender.send(out.to, out.body, escalation_sms.status_callback(context.config))
    except SmsRefused as error:
        with context.sessions.begin() as session:
            step = ladder.refused(session, context.config, out, error)
        log.warning("escalation=%s to %s failed for good (%s)", out.escalation_id, mask(out.to), error.code,
                    extra={"case": out.reference})
        carry_out(context, step)
        return True
    with context.sessions.begin() as session:
        escalation_sms.record_sent(session, context.config, out, sent)
    log.info("escalation=%s sms %s to %s", out.escalation_id, sent.sid, mask(out.to), extra={"case": out.reference})
    return True


def carry_out(context: Context, step: ladder.Step) -> None:
    """Send the step's SMS now, enqueue what is left and schedule the SLA check; anything lost here the relay sweeps."""
    done: set[str] = set()
    for out in step.outgoing:
        if _attempt(out.escalation_id, lambda out=out: deliver(context, out)):
            done.add(out.job_id)
    taken = {out.job_id for out in step.outgoing}
    for job_id in step.job_ids:
        escalation_id = work.escalation_of(job_id)
        if job_id not in taken and escalation_id is not None and _attempt(
                escalation_id, lambda escalation_id=escalation_id: send_in(context, escalation_id, claim=True)):
            done.add(job_id)
    dispatch.after_commit(context.sessions, context.redis, [job_id for job_id in step.job_ids if job_id not in done])
    if step.check is not None:
        schedule(context, step.check, step.due)


def _attempt(escalation_id: int, send) -> bool:
    """Whatever fails here stays in the outbox and goes through the queue (with Retry)."""
    try:
        return send()
    except Exception as error:  # noqa: BLE001 - any failure leaves the item to the queue's retries
        log.warning("escalation=%s not sent at once (%s); queued with retries", escalation_id, type(error).__name__)
        return False


def schedule(context: Context, check: work.Work, due) -> None:
    """The SLA check at `due`; if Redis loses it, the relay re-arms it (`enqueue_overdue_checks`)."""
    if context.redis is None:
        return
    try:
        queue(check.queue, context.redis).enqueue_in(max(due - utcnow(), timedelta(0)), check_acknowledged, *check.args,
                                                     job_id=check.job_id, unique=True, retry=dispatch.RETRY)
    except DuplicateJobError:
        pass
    except RedisError as error:
        log.warning("SLA check %s not scheduled (%s); the relay will catch it", check.job_id, error)


def enqueue_overdue_checks(session, redis, grace: int = 30) -> int:
    """The relay's backstop for SLA timers Redis lost: check every case whose window ended a while ago."""
    from sqlalchemy import select

    from models import Case

    if redis is None:
        return 0
    overdue = session.execute(select(Case.id, Case.level, Case.ladder_run).where(
        Case.waiting, Case.sla_due_at < utcnow() - timedelta(seconds=grace)).limit(500))
    q = queue(work.URGENT, redis)
    checks = [work.check_acknowledged(case_id, level, run) for case_id, level, run in overdue]
    return sum(dispatch.enqueue_once(q, check_acknowledged, list(check.args), check.job_id) for check in checks)
