"""RQ jobs: plain functions of ids, safe to run twice, raising on failure.

Each job commits its work together with the outbox items for what comes next,
then enqueues those items; the relay sweeps up anything an interrupted job left.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError
from sqlalchemy import case as sql_case
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from models import Case, Escalation, Message, utcnow
from models.phones import mask

from . import escalation as ladder
from . import outbox, runtime
from .cases import open_case_for_call
from .db import sessions
from .queues import DEFAULT, URGENT, queue
from .sms_text import escalation_sms

log = logging.getLogger(__name__)


def case_job_id(call_id: int) -> str:
    return f"case-open-{call_id}"


def escalation_job_id(case_id: int) -> str:
    return f"case-start-{case_id}"


def open_case(call_id: int) -> None:
    """A trafficking call's case (opened by the webhook, or here) gets its level-1 SMS, once."""
    with sessions().begin() as session:
        case, opened = open_case_for_call(session, call_id)
        job_ids, level, due = _start(session, case)
        outgoing = _take(session, case, job_ids)
        outbox.mark_done(session, case_job_id(call_id))
        case_id, run, reference = case.id, case.ladder_run, case.reference
    log.info("open_case call=%s case=%s opened=%s", call_id, case_id, opened, extra={"case": reference})
    _after_commit(job_ids, case_id, level, due, run, outgoing)


def start_escalation(case_id: int) -> None:
    """A case from the API (or an operator) starts up the ladder, once."""
    with sessions().begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise LookupError(f"case {case_id} does not exist")
        job_ids, level, due = _start(session, case)
        outgoing = _take(session, case, job_ids)
        outbox.mark_done(session, escalation_job_id(case_id))
        run = case.ladder_run
    _after_commit(job_ids, case_id, level, due, run, outgoing)


def restart_escalation(case_id: int, run: int) -> None:
    """A reassigned case starts up its new centre's ladder at level 1, once per reassignment."""
    with sessions().begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None:
            raise LookupError(f"case {case_id} does not exist")
        job_ids, level, due = [], case.level, None
        if case.ladder_run == run and case.level == 0 and case.status in ("new", "escalating"):
            job_ids = ladder.start_level(session, runtime.config(), case, 1)
            level, due = case.level, case.sla_due_at
        outgoing = _take(session, case, job_ids)
        outbox.mark_done(session, ladder.restart_job_id(case_id, run))
    log.info("restart_escalation case=%s run=%s level=%s", case_id, run, level)
    _after_commit(job_ids, case_id, level, due, run, outgoing)


def _start(session, case: Case):
    if case.level != 0 or case.status != "new":
        return [], case.level, None  # already on the ladder
    job_ids = ladder.start_level(session, runtime.config(), case, 1)
    return job_ids, case.level, case.sla_due_at


def check_acknowledged(case_id: int, level: int, run: int = 0) -> None:
    """The SLA window of `level` has passed: climb unless someone acknowledged meanwhile (or the case moved)."""
    config = runtime.config()
    with sessions().begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        job_ids = ladder.climb(session, config, case, level) if case.ladder_run == run else []
        outgoing = _take(session, case, job_ids)
        new_level, due, reference = case.level, case.sla_due_at, case.reference
    if job_ids:
        log.info("case=%s no ACK at level %s: escalated to level %s", case_id, level, new_level, extra={"case": reference})
    _after_commit(job_ids, case_id, new_level, due if job_ids else None, run, outgoing)


def send_escalation(escalation_id: int) -> None:
    """One SMS to one contact; a transient Twilio error raises (RQ retries), a permanent one fails over."""
    _send(escalation_id)


def _send(escalation_id: int, claim: bool = False) -> bool:
    """send_escalation; with `claim`, first take its outbox item, in the same transaction as the attempt's
    'sending' (a job run in this horse rather than by RQ). True when the item is done, False when another
    run has it."""
    config = runtime.config()
    job_id = ladder.sms_job_id(escalation_id)
    with sessions().begin() as session:
        if claim and not outbox.claim(session, job_id):
            return False  # done already, or another run has it
        attempt = session.get(Escalation, escalation_id, options=[joinedload(Escalation.case), joinedload(Escalation.contact)])
        case, contact = attempt.case, attempt.contact
        if attempt.status not in ("pending", "sending"):
            outbox.mark_done(session, job_id)
            return True
        if case.status not in ("new", "escalating"):
            attempt.status = "cancelled"
            outbox.mark_done(session, job_id)
            return True
        interrupted = attempt.status == "sending"  # an earlier run died or timed out mid-send
        attempt.status = "sending"
        out = Outgoing(escalation_id, contact.phone, escalation_sms(case, _district(case), config.PUBLIC_BASE_URL),
                        attempt.created_at, case.id, case.reference)
    return _deliver(config, out, interrupted)


@dataclass(frozen=True)
class Outgoing:
    """An SMS whose attempt is committed as 'sending' and whose outbox item this process has claimed."""
    escalation_id: int
    to: str
    body: str
    since: datetime
    case_id: int
    reference: str | None


def _take(session, case: Case, job_ids: list[str]) -> list[Outgoing]:
    """In the step's own transaction: claim its new SMS items and mark their attempts 'sending', so that
    they go out from this horse right after the commit (as `_send(..., claim=True)` would, one transaction
    each). Claimed and 'sending' before the request, as there: a run that dies meanwhile leaves them to the
    sweep, and its re-run looks at Twilio before sending."""
    from models import Contact, OutboxItem

    ids = {ladder.escalation_of(job_id): job_id for job_id in job_ids}
    ids.pop(None, None)
    if not ids:
        return []
    taken = set(session.scalars(update(OutboxItem).where(OutboxItem.job_id.in_(ids.values()), OutboxItem.status == "pending")
                                .values(status="enqueued", enqueued_at=utcnow(), attempts=OutboxItem.attempts + 1)
                                .returning(OutboxItem.job_id).execution_options(synchronize_session=False)))
    rows = session.execute(select(Escalation.id, Contact.phone, Escalation.created_at)
                           .join(Contact, Contact.id == Escalation.contact_id)
                           .where(Escalation.id.in_([i for i, job_id in ids.items() if job_id in taken]),
                                  Escalation.status == "pending").order_by(Escalation.id)).all()
    if not rows:
        return []
    session.execute(update(Escalation).where(Escalation.id.in_([row.id for row in rows]))
                    .values(status="sending").execution_options(synchronize_session=False))
    body = escalation_sms(case, _district(case), runtime.config().PUBLIC_BASE_URL)
    return [Outgoing(row.id, row.phone, body, row.created_at, case.id, case.reference) for row in rows]


def _deliver(config, out: Outgoing, interrupted: bool = False) -> bool:
    """Send an attempt committed as 'sending' (its item claimed) and record the outcome; True: the item is done."""
    from . import sms

    escalation_id, to, body, since, case_id, reference = (out.escalation_id, out.to, out.body, out.since,
                                                         out.case_id, out.reference)
    job_id = ladder.sms_job_id(escalation_id)
    callback = f"{config.PUBLIC_BASE_URL.rstrip('/')}/sms/status" if config.PUBLIC_BASE_URL else None
    job_ids: list[str] = []
    try:
        sent = (interrupted and sms.find_sent(config, to, body, since)) or sms.send(config, to, body, callback)
    except sms.PermanentSmsError as error:
        with sessions().begin() as session:
            attempt = session.get(Escalation, escalation_id)
            attempt.status, attempt.error_code = "failed", str(error.code or error.status or "")[:16] or None
            if error.number_unreachable:
                attempt.contact.unreachable_reason = f"Twilio {error.code}: {error.message}"[:120]
            job_ids = ladder.fail_over(session, config, attempt)
            outbox.mark_done(session, job_id)
        log.warning("escalation=%s to %s failed for good (%s)", escalation_id, mask(to), error.code,
                    extra={"case": reference})
        _after_commit(job_ids)
        return True
    with sessions().begin() as session:
        # 'sent' only from 'sending': a status callback or an acknowledgement may have moved it on meanwhile.
        session.execute(update(Escalation).where(Escalation.id == escalation_id)
                        .values(message_sid=sent.sid, sent_at=utcnow(),
                                status=sql_case((Escalation.status == "sending", "sent"), else_=Escalation.status))
                        .execution_options(synchronize_session=False))
        session.add(Message(direction="out", sid=sent.sid, to_number=to, from_number=config.TWILIO_FROM_NUMBER,
                            body=body, status=sent.status, dry_run=sent.dry_run, escalation_id=escalation_id,
                            case_id=case_id, created_at=utcnow()))
        outbox.mark_done(session, job_id)
    log.info("escalation=%s sms %s to %s", escalation_id, sent.sid, mask(to), extra={"case": reference})
    return True


def _district(case: Case) -> str | None:
    import geothai

    district = geothai.district(case.district_code) if case.district_code else None
    return district.name_th if district else None


def _after_commit(job_ids: list[str], case_id: int | None = None, level: int | None = None, due=None,
                  run: int = 0, outgoing: list[Outgoing] = ()) -> None:
    """Send this step's SMS now, enqueue what is left and the SLA check; anything lost here the relay sweeps."""
    done: set[str] = set()
    for out in outgoing:
        job_id = ladder.sms_job_id(out.escalation_id)
        try:
            if _deliver(runtime.config(), out):
                done.add(job_id)
        except Exception as error:  # noqa: BLE001 - any failure leaves the item to the queue's retries
            log.warning("escalation=%s not sent at once (%s); queued with retries", out.escalation_id,
                        type(error).__name__)
    taken = {ladder.sms_job_id(out.escalation_id) for out in outgoing}
    done |= {job_id for job_id in job_ids if job_id not in taken and _send_now(job_id)}
    redis = runtime.redis()
    with sessions()() as session:
        outbox.dispatch(session, redis, [job_id for job_id in job_ids if job_id not in done])
    if due is None or redis is None:
        return
    try:
        q = queue(URGENT if level and level > 1 else DEFAULT, redis)
        args = (case_id, level, run) if run else (case_id, level)
        q.enqueue_in(max(due - utcnow(), timedelta(0)), check_acknowledged, *args,
                     job_id=ladder.check_job_id(case_id, level, run), unique=True, retry=outbox.RETRY)
    except DuplicateJobError:
        pass
    except RedisError as error:
        log.warning("SLA check for case=%s level=%s not scheduled (%s); the relay will catch it", case_id, level, error)


def _send_now(job_id: str) -> bool:
    """Run a committed SMS item in this work horse: RQ would fork a new one for it, which takes longer
    than the SMS itself. Whatever fails here stays in the outbox and goes through the queue (with Retry).
    True when the item is done."""
    escalation_id = ladder.escalation_of(job_id)
    if escalation_id is None:
        return False
    try:
        return _send(escalation_id, claim=True)
    except Exception as error:  # noqa: BLE001 - any failure leaves the item to the queue's retries
        log.warning("escalation=%s not sent at once (%s); queued with retries", escalation_id, type(error).__name__)
        return False


def enqueue_overdue_checks(session, redis, grace: int = 30) -> int:
    """The relay's backstop for SLA timers Redis lost: check every case whose window ended a while ago."""
    from sqlalchemy import select

    if redis is None:
        return 0
    overdue = session.execute(select(Case.id, Case.level, Case.ladder_run).where(
        Case.status.in_(["new", "escalating"]), Case.sla_due_at < utcnow() - timedelta(seconds=grace)).limit(500))
    q = queue(URGENT, redis)
    return sum(outbox.enqueue_once(q, check_acknowledged, [case_id, level] + ([run] if run else []),
                                   ladder.check_job_id(case_id, level, run))
               for case_id, level, run in overdue)
