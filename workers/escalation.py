"""The escalation ladder: level 1 duty team -> level 2 provincial head -> level 3 central division.

Functions here change rows in the caller's transaction and return the outbox job
ids to enqueue after commit; each is safe to run twice (unique escalation rows,
and a level moves on only from the level it expects).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CENTRAL, Case, Centre, Contact, Escalation, utcnow
from models.upsert import insert_ignore

from . import outbox
from .queues import DEFAULT, SMS, URGENT

log = logging.getLogger(__name__)
TOP = 3
LIVE = {"pending", "sending", "sent", "delivered", "acknowledged"}


def window(config, case: Case) -> int:
    return config.ESCALATION_ACK_WINDOW_URGENT if case.urgency == "urgent" else config.ESCALATION_ACK_WINDOW_NORMAL


def sms_job_id(escalation_id: int) -> str:
    return f"sms-{escalation_id}"


def escalation_of(job_id: str) -> int | None:
    """The escalation id of an `sms-<id>` job id, else None."""
    number = job_id.removeprefix("sms-")
    return int(number) if number != job_id and number.isdigit() else None


def check_job_id(case_id: int, level: int, run: int = 0) -> str:
    """A reassigned case's ladder is a new run with its own SLA checks; the old run's checks find it gone."""
    return f"esc-{case_id}-{level}" + (f"-r{run}" if run else "")


def restart_job_id(case_id: int, run: int) -> str:
    return f"case-restart-{case_id}-{run}"


def contacts_for(session: Session, case: Case, level: int) -> list[Contact]:
    """On-duty, reachable contacts of the case's centre at levels 1-2; the central division's at level 3."""
    code = CENTRAL if level == TOP else None
    centre_id = case.centre_id if code is None else session.scalar(select(Centre.id).where(Centre.code == code))
    contacts = session.scalars(
        select(Contact).where(Contact.centre_id == centre_id, Contact.level == level, Contact.active.is_(True),
                              Contact.on_duty.is_(True), Contact.unreachable_reason.is_(None)).order_by(Contact.id)
    )
    return list(contacts)


def start_level(session: Session, config, case: Case, level: int) -> list[str]:
    """SMS every contact of the first level from `level` up that has anyone to reach."""
    if case.source == "training":  # the IVR simulator's cases must never page a real field team
        log.info("case %s is a training case: not escalated", case.reference)
        return []
    while level <= TOP:
        contacts = contacts_for(session, case, level)
        if contacts:
            break
        log.warning("case %s: nobody reachable at level %s, climbing", case.reference, level,
                    extra={"case": case.reference})
        level += 1
    if level > TOP:
        flag_unacknowledged(case, "nobody reachable on the ladder")
        return []
    job_ids = []
    for contact in contacts:
        escalation_id = insert_ignore(session, Escalation, ["case_id", "ladder_run", "level", "contact_id"],
                                      case_id=case.id, ladder_run=case.ladder_run, level=level, contact_id=contact.id,
                                      status="pending", created_at=utcnow())
        if escalation_id:
            outbox.add(session, "workers.jobs.send_escalation", [escalation_id], sms_job_id(escalation_id), SMS)
            job_ids.append(sms_job_id(escalation_id))
    if case.status == "new":  # first: its lazy load of the transitions flushes, and the case's changes go in one UPDATE
        case.move_to("escalating", "system", f"level {level}")
    case.level = max(case.level, level)
    case.sla_due_at = utcnow() + timedelta(seconds=window(config, case))
    return job_ids


def climb(session: Session, config, case: Case, from_level: int) -> list[str]:
    """No acknowledgement at `from_level`: go one up, or flag the case when the ladder ends."""
    if case.status not in ("new", "escalating") or case.level != from_level:
        return []  # acknowledged meanwhile, or another run already climbed
    if from_level >= TOP:
        flag_unacknowledged(case, "no acknowledgement at any level")
        return []
    return start_level(session, config, case, from_level + 1)


def fail_over(session: Session, config, escalation: Escalation) -> list[str]:
    """An SMS failed for good: if nobody at its level can still answer, climb at once."""
    case = escalation.case
    if escalation.ladder_run != case.ladder_run:
        return []  # an SMS of the case's ladder before it moved: that ladder is over
    alive = session.scalars(select(Escalation.id).where(
        Escalation.case_id == case.id, Escalation.ladder_run == case.ladder_run, Escalation.level == escalation.level,
        Escalation.status.in_(LIVE))).first()
    if alive is not None:
        return []
    return climb(session, config, case, escalation.level)


def restart(session: Session, case: Case) -> list[str]:
    """After `Case.reassign`: the old centre's unsent SMS are cancelled, the sent ones superseded (a reply to
    them no longer acknowledges), and a job starts level 1 for the new centre. Returns the outbox job id."""
    for escalation in case.escalations:
        if escalation.status in ("pending", "sending"):
            escalation.status = "cancelled"
        elif escalation.status in ("sent", "delivered"):
            escalation.status = "superseded"
    job_id = restart_job_id(case.id, case.ladder_run)
    outbox.add(session, "workers.jobs.restart_escalation", [case.id, case.ladder_run], job_id,
               URGENT if case.urgency == "urgent" else DEFAULT)
    return [job_id]


def flag_unacknowledged(case: Case, why: str) -> None:
    if not case.unacknowledged:
        case.unacknowledged = True
        case.sla_due_at = None
        log.error("case %s is unacknowledged: %s", case.reference, why, extra={"case": case.reference})


def acknowledge(session: Session, case: Case, contact: Contact) -> bool:
    """The case is taken: record who and when, cancel what has not been sent. False if it already was."""
    if case.status not in ("new", "escalating"):
        return False
    now = utcnow()
    case.move_to("acknowledged", f"contact:{contact.id}", f"ACK by SMS from level {contact.level}")
    case.acknowledged_at, case.acknowledged_by, case.sla_due_at, case.unacknowledged = now, contact.id, None, False
    for escalation in case.escalations:
        if escalation.contact_id == contact.id and escalation.acknowledged_at is None and escalation.status != "superseded":
            escalation.status, escalation.acknowledged_at = "acknowledged", now
        elif escalation.status in ("pending", "sending"):
            escalation.status = "cancelled"
    return True
