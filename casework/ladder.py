"""The escalation ladder: level 1 duty team -> level 2 provincial head -> level 3 central division.

The rules change rows in the caller's transaction and return the outbox job ids to enqueue after commit;
each is safe to run twice (unique escalation rows, and a level moves on only from the level it expects).
The steps at the end are what the jobs run, each in one transaction: a `Step` says what is left to do
once it is committed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import CENTRAL, Case, Centre, Contact, Escalation, utcnow
from models.upsert import insert_ignore
from models.vocabulary import TRAINING

from . import escalation_sms, work
from .escalation_sms import Outgoing, SmsRefused

log = logging.getLogger(__name__)
TOP = 3
LIVE = {"pending", "sending", "sent", "delivered", "acknowledged"}
UNANSWERED = ("pending", "sending", "sent", "delivered")


def window(config, case: Case) -> int:
    return config.ESCALATION_ACK_WINDOW_URGENT if case.urgency == "urgent" else config.ESCALATION_ACK_WINDOW_NORMAL


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
    if case.source == TRAINING:  # the IVR simulator's cases must never page a real field team
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
    job_ids = text(session, case, level, contacts)
    if case.status == "new":  # first: its lazy load of the transitions flushes, and the case's changes go in one UPDATE
        case.move_to("escalating", "system", f"level {level}")
    case.level = max(case.level, level)
    case.sla_due_at = utcnow() + timedelta(seconds=window(config, case))
    return job_ids


def text(session: Session, case: Case, level: int, contacts: list[Contact]) -> list[str]:
    """An escalation and its SMS job for each contact not yet texted at `level` in this ladder run."""
    job_ids = []
    for contact in contacts:
        escalation_id = insert_ignore(session, Escalation, ["case_id", "ladder_run", "level", "contact_id"],
                                      case_id=case.id, ladder_run=case.ladder_run, level=level, contact_id=contact.id,
                                      status="pending", created_at=utcnow())
        if escalation_id:
            send = work.send_escalation(escalation_id)
            work.add(session, send)
            job_ids.append(send.job_id)
    return job_ids


def withdraw(session: Session, config, contact: Contact) -> list[str]:
    """A contact was deactivated or taken off duty (a lost phone, a former officer, the end of a shift): what was
    texted to it and not answered no longer counts, so a reply from that phone acknowledges nothing, and each case
    left with nobody to answer at its level goes on at once: to that level's other reachable contacts not texted yet
    (the officer's new number, a colleague now on duty) within the level's window, else one level up at once.
    Returns outbox job ids."""
    unanswered = session.scalars(select(Escalation).where(Escalation.contact_id == contact.id,
                                                          Escalation.status.in_(UNANSWERED)))
    job_ids = []
    for escalation in list(unanswered):
        _retire(escalation)
        case = _locked(session, escalation.case_id)
        if escalation.ladder_run == case.ladder_run:
            job_ids += _level_goes_on(session, config, case, escalation.level)
    return job_ids


def _retire(escalation: Escalation) -> None:
    """An SMS that no longer counts: cancelled if not sent yet, superseded if sent (a reply to it acknowledges
    nothing); an answered or failed one stays as it is."""
    if escalation.status in ("pending", "sending"):
        escalation.status = "cancelled"
    elif escalation.status in ("sent", "delivered"):
        escalation.status = "superseded"


def withdraw_absent(session: Session, config) -> list[str]:
    """`withdraw` every contact no longer active or on duty that still has unanswered SMS (after a roster load)."""
    absent = session.scalars(select(Contact).join(Escalation, Escalation.contact_id == Contact.id).where(
        ~(Contact.active & Contact.on_duty), Escalation.status.in_(UNANSWERED)).distinct().order_by(Contact.id))
    return [job_id for contact in list(absent) for job_id in withdraw(session, config, contact)]


def _level_goes_on(session: Session, config, case: Case, level: int) -> list[str]:
    """Nobody texted at `level` can answer any more: text the level's reachable contacts not texted yet in this run
    (within the level's window), else climb at once. Nothing while the case is taken or past that level."""
    if not case.waiting or case.level != level:
        return []
    session.flush()
    if _anyone_left(session, case, level):
        return []
    texted = set(session.scalars(select(Escalation.contact_id).where(
        Escalation.case_id == case.id, Escalation.ladder_run == case.ladder_run, Escalation.level == level)))
    others = [c for c in contacts_for(session, case, level) if c.id not in texted]
    if others:
        log.info("case %s: level %s goes on to %d other contact(s), in the same window", case.reference, level,
                 len(others), extra={"case": case.reference})
        return text(session, case, level, others)
    return climb(session, config, case, level)


def climb(session: Session, config, case: Case, from_level: int) -> list[str]:
    """No acknowledgement at `from_level`: go one up, or flag the case when the ladder ends."""
    if not case.waiting or case.level != from_level:
        return []  # acknowledged meanwhile, or another run already climbed
    if from_level >= TOP:
        flag_unacknowledged(case, "no acknowledgement at any level")
        return []
    return start_level(session, config, case, from_level + 1)


def fail_over(session: Session, config, escalation: Escalation) -> list[str]:
    """An SMS failed for good: if nobody at its level can still answer, the level goes on at once."""
    case = escalation.case
    if escalation.ladder_run != case.ladder_run:
        return []  # an SMS of the case's ladder before it moved: that ladder is over
    return _level_goes_on(session, config, case, escalation.level)


def _anyone_left(session: Session, case: Case, level: int) -> bool:
    """Someone texted at `level` in the case's ladder run can still answer (or did)."""
    return session.scalars(select(Escalation.id).where(
        Escalation.case_id == case.id, Escalation.ladder_run == case.ladder_run, Escalation.level == level,
        Escalation.status.in_(LIVE))).first() is not None


def restart(session: Session, case: Case) -> list[str]:
    """After `Case.reassign`: the old centre's unsent SMS are cancelled, the sent ones superseded (a reply to
    them no longer acknowledges), and a job starts level 1 for the new centre. Returns the outbox job id."""
    for escalation in case.escalations:
        _retire(escalation)
    restart_work = work.restart_escalation(case.id, case.ladder_run, case.urgency)
    work.add(session, restart_work)
    return [restart_work.job_id]


def flag_unacknowledged(case: Case, why: str) -> None:
    if not case.unacknowledged:
        missed(case, case.level or 1, utcnow())  # the ladder ran out: late from now on, if no window was missed yet
        case.unacknowledged = True
        case.sla_due_at = None
        log.error("case %s is unacknowledged: %s", case.reference, why, extra={"case": case.reference})


def acknowledge(session: Session, case: Case, contact: Contact, simulated_by: str | None = None) -> bool:
    """The case is taken: record who and when, cancel what has not been sent. False if it already was.
    `simulated_by`: a person typed the ACK in the contact's place (a dry run); the history says so, in their name."""
    if not case.waiting:
        return False
    now = utcnow()
    _missed_before_its_check(case, now)
    if simulated_by:
        case.move_to("acknowledged", simulated_by, f"simulated ACK (dry run) for level {contact.level}")
    else:
        case.move_to("acknowledged", f"contact:{contact.id}", f"ACK by SMS from level {contact.level}")
    case.acknowledged_at, case.acknowledged_by, case.sla_due_at, case.unacknowledged = now, contact.id, None, False
    for escalation in case.escalations:
        if escalation.contact_id == contact.id and escalation.acknowledged_at is None and escalation.status != "superseded":
            escalation.status, escalation.acknowledged_at = "acknowledged", now
    stop(case)
    return True


def move(case: Case, status: str, actor: str, note: str | None = None, outcome: str | None = None) -> None:
    """A person moves the case along (the console). Out of waiting, other than by the ladder's own step, the
    case is taken: its ladder stops and unsent SMS are cancelled."""
    was_waiting = case.waiting
    case.move_to(status, actor, note, outcome=outcome if status == "closed" else None)
    if was_waiting and status != "escalating":
        _missed_before_its_check(case, utcnow())
        if status == "acknowledged":
            case.acknowledged_at = case.acknowledged_at or utcnow()
        case.sla_due_at, case.unacknowledged = None, False
        stop(case)


def stop(case: Case) -> None:
    """The case was taken (an ACK, or a move in the console): what has not been sent never will be. The ladder
    itself stops by the case's status: it climbs only waiting cases."""
    for escalation in case.escalations:
        if escalation.status in ("pending", "sending"):
            escalation.status = "cancelled"


# --- the steps the jobs run ------------------------------------------------------------------------

@dataclass
class Step:
    """What a committed step leaves to do: send `outgoing` now, enqueue `job_ids`, and schedule the SLA
    check `check` for `due`."""
    job_ids: list[str] = field(default_factory=list)
    outgoing: list[Outgoing] = field(default_factory=list)
    check: work.Work | None = None
    due: datetime | None = None


def _step(session: Session, config, case: Case, job_ids: list[str], started: bool) -> Step:
    """Claim the step's SMS to send them from this process, and the SLA check when a level started."""
    outgoing = escalation_sms.take(session, config, case, job_ids)
    if not started or case.sla_due_at is None:
        return Step(job_ids, outgoing)
    return Step(job_ids, outgoing, work.check_acknowledged(case.id, case.level, case.ladder_run), case.sla_due_at)


def _locked(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise LookupError(f"case {case_id} does not exist")
    return case


def begin(session: Session, config, case_id: int) -> Step:
    """A new case's level 1, once (the job of `work.start_escalation`)."""
    case = _locked(session, case_id)
    started = case.level == 0 and case.status == "new"
    step = _step(session, config, case, start_level(session, config, case, 1) if started else [], started)
    work.mark_done(session, work.start_escalation(case).job_id)
    return step


def begin_again(session: Session, config, case_id: int, run: int) -> Step:
    """A moved case's new centre, from level 1, once per move (the job of `work.restart_escalation`)."""
    case = _locked(session, case_id)
    started = case.ladder_run == run and case.level == 0 and case.waiting
    step = _step(session, config, case, start_level(session, config, case, 1) if started else [], started)
    work.mark_done(session, work.restart_escalation(case_id, run, case.urgency).job_id)
    log.info("restart_escalation case=%s run=%s level=%s", case_id, run, case.level)
    return step


def hurry(session: Session, config, case_id: int, run: int, level: int) -> Step:
    """A case made urgent at `level` of ladder run `run` (the job of `work.hurry_escalation`): not begun yet, it
    begins now, from the urgent queue; else that level, begun with the normal window, gets the urgent one counted
    from when it began (at once if that has passed). A later level or run has the urgent window of its own."""
    case = _locked(session, case_id)
    step = Step()
    if case.ladder_run == run and case.level == level and case.waiting and case.urgency == "urgent":
        if level == 0:
            step = _step(session, config, case, start_level(session, config, case, 1), True)
        elif case.sla_due_at is not None:
            began = case.sla_due_at - timedelta(seconds=config.ESCALATION_ACK_WINDOW_NORMAL)
            due = max(began + timedelta(seconds=window(config, case)), utcnow())
            if due < case.sla_due_at:
                case.sla_due_at = due
                step = Step(check=work.hurried_check(case.id, level, run), due=due)
    work.mark_done(session, work.hurry_escalation(case_id, run, level).job_id)
    return step


def missed(case: Case, level: int, deadline: datetime) -> None:
    """The first window that passed with nobody acknowledging, kept for good: not cleared by a late ACK or a move,
    not moved by a later window or a re-run check."""
    if case.sla_missed_at is None:
        case.sla_missed_level, case.sla_missed_at = level, deadline


def _missed_before_its_check(case: Case, now: datetime) -> None:
    """Taken after the window closed but before its check job ran (workers busy): that window was missed too."""
    if case.sla_due_at is not None and case.sla_due_at < now:
        missed(case, case.level, case.sla_due_at)


def check(session: Session, config, case_id: int, level: int, run: int = 0) -> Step:
    """The SLA window of `level` has passed: climb unless someone acknowledged meanwhile (or the case moved)."""
    case = _locked(session, case_id)
    if case.ladder_run == run and case.waiting and case.level == level:
        missed(case, level, case.sla_due_at or utcnow())
    job_ids = climb(session, config, case, level) if case.ladder_run == run else []
    if job_ids:
        log.info("case=%s no ACK at level %s: escalated to level %s", case_id, level, case.level,
                 extra={"case": case.reference})
    return _step(session, config, case, job_ids, bool(job_ids))


def refused(session: Session, config, out: Outgoing, error: SmsRefused) -> Step:
    """An SMS the provider refused for good: if nobody at its level can still answer, climb at once."""
    attempt = escalation_sms.record_refused(session, out, error)
    return Step(fail_over(session, config, attempt))
