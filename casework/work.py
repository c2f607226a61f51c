"""Work that follows from what was written: an outbox row in the same transaction as its data, enqueued
after commit (`workers.dispatch`) under a job id made of the ids it concerns, so a retried step, a
replayed webhook or a sweep never runs it twice.

Each job is named here by what it does; the workers give each name its function (`workers.jobs.JOBS`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import OutboxItem, utcnow
from models.upsert import insert_ignore

URGENT, DEFAULT, SMS = "urgent", "default", "sms"
QUEUES = [URGENT, DEFAULT, SMS]  # a worker serves them in this order


@dataclass(frozen=True)
class Work:
    job: str  # what it does, e.g. start_escalation
    args: tuple
    job_id: str
    queue: str


def priority(urgency: str | None) -> str:
    return URGENT if urgency == "urgent" else DEFAULT


def start_escalation(case) -> Work:
    """A new case, from any channel: level 1 of its centre's ladder."""
    return Work("start_escalation", (case.id,), f"case-start-{case.id}", priority(case.urgency))


def restart_escalation(case_id: int, run: int, urgency: str | None) -> Work:
    """A case moved to another centre: that centre's level 1, once per move (the case's ladder run)."""
    return Work("restart_escalation", (case_id, run), f"case-restart-{case_id}-{run}", priority(urgency))


def hurry_escalation(case_id: int, run: int, level: int) -> Work:
    """A case made urgent after it opened (the danger key reached the service late), while at `level` of its
    ladder run `run`: that level gets the urgent window, once per case."""
    return Work("hurry_escalation", (case_id, run, level), f"case-urgent-{case_id}", URGENT)


def send_escalation(escalation_id: int) -> Work:
    return Work("send_escalation", (escalation_id,), f"sms-{escalation_id}", SMS)


def check_acknowledged(case_id: int, level: int, run: int = 0) -> Work:
    """The SLA check at the end of a level's window (scheduled in RQ, not an outbox row; the relay re-arms it).
    A moved case's ladder is a new run with checks of its own: the old run's checks find it gone."""
    return Work("check_acknowledged", (case_id, level, run) if run else (case_id, level),
                f"esc-{case_id}-{level}" + (f"-r{run}" if run else ""), URGENT if level > 1 else DEFAULT)


def hurried_check(case_id: int, level: int, run: int = 0) -> Work:
    """The SLA check at the end of a level's window shortened to the urgent one; the normal window's check stays
    scheduled (RQ cannot move it) and then finds the level passed."""
    check = check_acknowledged(case_id, level, run)
    return Work(check.job, check.args, f"{check.job_id}-urgent", URGENT)


def run_retention(day: str) -> Work:
    return Work("run_retention", (day,), f"retention-{day}", DEFAULT)


def recount_reports(first: str | None, last: str, tag: str) -> Work:
    """The reports page's summary counted again for the weeks and months touching first..last (Bangkok days;
    first None: from the first call). `reports-recent-<UTC time of the slot>` every few minutes, `reports-all-<day>` nightly."""
    return Work("recount_reports", (first, last), f"reports-{tag}", DEFAULT)


def line_event(event_id: int) -> Work:
    """A LINE webhook event kept: the chat's next turn (casework.line_chat)."""
    return Work("line_event", (event_id,), f"line-event-{event_id}", DEFAULT)


def send_line_message(message_id: int) -> Work:
    """One message to a LINE user from its own outbox (casework.line_outbox): reply token, else push."""
    return Work("send_line_message", (message_id,), f"line-msg-{message_id}", DEFAULT)


def line_content(event_id: int) -> Work:
    """An image, voice note, video or file a LINE user sent, copied from LINE's data API (casework.line_media)."""
    return Work("line_content", (event_id,), f"line-content-{event_id}", DEFAULT)


def escalation_of(job_id: str) -> int | None:
    """The escalation id of a `send_escalation` job id, else None."""
    number = job_id.removeprefix("sms-")
    return int(number) if number != job_id and number.isdigit() else None


# --- the outbox ------------------------------------------------------------------------------------

def add(session: Session, work: Work) -> bool:
    """Write the item in the caller's transaction; a second add with the same job id is a no-op."""
    return insert_ignore(session, OutboxItem, ["job_id"], job_id=work.job_id, function=work.job, args=list(work.args),
                         queue=work.queue, status="pending", attempts=0, created_at=utcnow()) is not None


def claim(session: Session, job_id: str) -> bool:
    """Take a pending item to run it in this process; the sweep leaves it alone for `OUTBOX_SWEEP_AFTER`
    seconds (then re-runs it, as for a process that died). False if it is done or already taken."""
    taken = session.execute(update(OutboxItem).where(OutboxItem.job_id == job_id, OutboxItem.status == "pending")
                            .values(status="enqueued", enqueued_at=utcnow(), attempts=OutboxItem.attempts + 1))
    return taken.rowcount == 1


def claim_all(session: Session, job_ids: list[str]) -> set[str]:
    """`claim` for several items in one statement; the job ids taken."""
    if not job_ids:
        return set()
    return set(session.scalars(update(OutboxItem).where(OutboxItem.job_id.in_(job_ids), OutboxItem.status == "pending")
                               .values(status="enqueued", enqueued_at=utcnow(), attempts=OutboxItem.attempts + 1)
                               .returning(OutboxItem.job_id).execution_options(synchronize_session=False)))


def mark_done(session: Session, job_id: str) -> None:
    """Called by a job in the same transaction as its work."""
    session.execute(update(OutboxItem).where(OutboxItem.job_id == job_id)
                    .values(status="done", done_at=utcnow(), last_error=None))


def unfinished(session: Session, job_ids: list[str]) -> list[OutboxItem]:
    return list(session.scalars(select(OutboxItem).where(OutboxItem.job_id.in_(job_ids), OutboxItem.status != "done")))


def left_over(session: Session, older_than: int, limit: int = 500) -> list[OutboxItem]:
    """What is not done after `older_than` seconds (Redis was down, a process died), oldest first."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    return list(session.scalars(
        select(OutboxItem)
        .where(OutboxItem.status != "done", OutboxItem.created_at < cutoff)
        .where((OutboxItem.enqueued_at.is_(None)) | (OutboxItem.enqueued_at < cutoff))
        .order_by(OutboxItem.id).limit(limit)))


def record_attempt(session: Session, item: OutboxItem, **values) -> None:
    """Count an enqueue attempt; a fast job may have marked its item done since it was read: never take that back."""
    session.execute(update(OutboxItem).where(OutboxItem.id == item.id, OutboxItem.status != "done")
                    .values(attempts=OutboxItem.attempts + 1, **values).execution_options(synchronize_session=False))


def desk_route(trigger: str) -> Work:
    """Offer waiting callers to free operators (casework.desk_line.route). One job per trigger (a caller asked, an
    operator came free, a ring ended): a pass already running may have missed what triggered this one."""
    return Work("desk_route", (trigger,), f"desk-route-{trigger}", URGENT)


def desk_ring(offer_id: int) -> Work:
    """Dial the offer's operator into the caller's conference (workers.desk_twilio)."""
    return Work("desk_ring", (offer_id,), f"desk-ring-{offer_id}", URGENT)


def desk_hang_up(offer_id: int) -> Work:
    """Stop an offer's ring that nobody will answer (the caller left, the ring ran over)."""
    return Work("desk_hang_up", (offer_id,), f"desk-hangup-{offer_id}", URGENT)


def desk_add_interpreter(wait_id: int) -> Work:
    """Dial the interpreter chosen for the caller's language into their conference."""
    return Work("desk_add_interpreter", (wait_id,), f"desk-interpreter-{wait_id}", URGENT)


def desk_offer_message(wait_id: int, turn: str = "") -> Work:
    """The caller waited DESK_MAX_WAIT: take them out of the conference to the keys that offer a message; `turn`
    (when it was offered) makes each offer its own job (a caller who chose to keep waiting is offered again)."""
    return Work("desk_offer_message", (wait_id, turn), f"desk-message-{wait_id}-{turn}", URGENT)


def desk_control(wait_id: int, what: str, number: int) -> Work:
    """Send a control asked on a desk call's page (casework.desk_controls): hold, resume, the interpreter, hand
    over, end; the `number`th of its kind on the call, so a second click is its own job and a retry is not."""
    return Work("desk_control", (wait_id, what, number), f"desk-control-{wait_id}-{what}-{number}", URGENT)


def desk_call_back(wait_id: int, attempt: str) -> Work:
    """Ring an operator's endpoint to call a caller back (casework.desk_callback); one job per attempt."""
    return Work("desk_call_back", (wait_id, attempt), f"desk-callback-{wait_id}-{attempt}", URGENT)
