"""Fault 3: a worker is SIGKILLed - parent, work horse and scheduler - in the middle of sending
an SMS (Twilio already has the message, the database says 'sending'), another at a random
moment; new workers start. RQ leaves a killed job 'started' until a maintenance pass
minutes later, or, killed between the pop and the horse's start (under load, often), 'queued'
on no queue for good: the relay's outbox sweep must get the work done anyway, and the re-run
must find the message Twilio already has instead of sending it again."""
from __future__ import annotations

import random
import time

import pytest
from helpers.fault_calls import Twilio, audit, make_calls, run_all, settle
from helpers.fault_stack import wait_until
from sqlalchemy import select

from models import Case, Contact, Escalation

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(450)]  # own bounded waits fail first


def test_workers_killed_mid_send_and_mid_job_lose_nothing_and_send_nothing_twice(stack, sessions, fake_twilio):
    web = stack.start_service()
    workers = stack.workers()
    twilio = Twilio(web)
    calls = make_calls(50, seed_=3, prefix="K")
    fake_twilio.delay = 2.0  # a slow Twilio: the message exists before the sender hears back
    started = time.monotonic()
    run_all(calls, lambda call: [twilio.post(hook).twiml() for hook in call.steps])
    assert not twilio.bad_answers(), twilio.bad_answers()

    def sms_being_held():
        """(worker, escalation id) of a worker whose current SMS Twilio holds open right now: an `sms-<id>`
        job, or a case job sending its level's SMS itself."""
        holding = set(fake_twilio.holding)
        for pid, job_id in stack.current_jobs().items():
            worker = next((w for w in workers if w.pid == pid and w.alive()), None)
            case = _case_of(job_id or "")
            if worker is None or case is None:
                continue
            with sessions() as session:
                sending = session.execute(
                    select(Escalation.id, Case.reference, Contact.phone).join(Case, Escalation.case_id == Case.id)
                    .join(Contact, Contact.id == Escalation.contact_id)
                    .where(case, Escalation.status == "sending")).all()
            for escalation_id, reference, phone in sending:
                if (reference, phone) in holding:
                    return worker, escalation_id
        return None

    victim, escalation_id = wait_until(sms_being_held, 90, lambda: f"no SMS in flight to kill: holding "
                                       f"{fake_twilio.holding}, jobs {stack.current_jobs()}", interval=0.05)
    killed = victim.kill()
    with sessions() as session:
        assert session.get(Escalation, escalation_id).status == "sending"  # the kill landed mid-send
    workers.append(stack.start_worker("worker-3"))
    fake_twilio.delay = 0.3

    time.sleep(random.Random(3).uniform(1.0, 4.0))  # the other one, whatever it is doing
    other = next(w for w in workers if w.alive() and w is not victim and w.name != "worker-3")
    other_job = stack.current_jobs().get(other.pid)
    killed += other.kill()
    workers.append(stack.start_worker("worker-4"))
    fake_twilio.delay = 0.0

    took = settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls]), stack, 150, fake=fake_twilio)
    with sessions() as session:
        resent = session.get(Escalation, escalation_id)
        assert resent.status == "sent" and resent.message_sid in {m["sid"] for m in fake_twilio.messages}
    print(f"\nkilled pids {killed} (mid-send sms-{escalation_id}; then {other_job}); settled {took:.1f}s after, "
          f"{time.monotonic() - started:.1f}s in all; fake Twilio: {dict(fake_twilio.outcomes())}, "
          f"{fake_twilio.lists} list lookups")


def _case_of(job_id: str):
    """A condition on Case for the case a job works on (None for jobs that send no SMS)."""
    number = job_id.rsplit("-", 1)[-1]
    if not number.isdigit():
        return None
    if job_id.startswith("sms-"):
        return Case.id == select(Escalation.case_id).where(Escalation.id == int(number)).scalar_subquery()
    if job_id.startswith("case-start-"):
        return Case.id == int(number)
    return None
