"""Fault 5: Twilio's Messages API answers 429, 500 and times out for a while (some timeouts
after it accepted the message), then recovers; and it refuses one Chiang Mai duty officer
for good (21610, unsubscribed) and Bangkok's only duty officer (21211, invalid number).
RQ's Retry brings every escalation SMS in exactly once; the refused contacts are marked
unreachable, their colleagues still get theirs, and a level with nobody left climbs."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from helpers.fault_calls import BKK_DUTY, BKK_HEAD, CM_DUTY_1, CM_DUTY_2, Twilio, audit, make_calls, run_all, settle
from sqlalchemy import select

from models import Call, Case, Contact

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(450)]  # own bounded waits fail first


def test_twilio_errors_then_recovery_deliver_every_sms_once_and_refused_contacts_fail_over(stack, sessions,
                                                                                           fake_twilio):
    web = stack.start_service()
    twilio = Twilio(web)
    calls = make_calls(50, seed_=5, prefix="T")
    # Twilio's first answers: 429 and 500, and two timeouts (in one it took the message, but the
    # sender never hears); then it recovers. RQ retries after 5 s, then 15 s (then 60 s: not needed).
    fake_twilio.plan = ["429", "500", "timeout-accepted", "429", "500", "429", "timeout", "500", "429", "500"]
    fake_twilio.permanent = {CM_DUTY_2: 21610, BKK_DUTY: 21211}
    started = time.monotonic()
    run_all(calls, lambda call: [twilio.post(hook).twiml() for hook in call.steps])
    assert not twilio.bad_answers(), twilio.bad_answers()

    took = settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls]), stack, 180, fake=fake_twilio)
    outcomes = fake_twilio.outcomes()
    assert not fake_twilio.plan and outcomes["429"] == outcomes["500"] == 4, outcomes
    assert outcomes["timeout-accepted"] == outcomes["timeout"] == 1, outcomes
    accepted = fake_twilio.accepted()
    with sessions() as session:
        contacts = {c.phone: c for c in session.scalars(select(Contact))}
        assert contacts[CM_DUTY_2].unreachable_reason.startswith("Twilio 21610"), contacts[CM_DUTY_2].unreachable_reason
        assert contacts[BKK_DUTY].unreachable_reason.startswith("Twilio 21211"), contacts[BKK_DUTY].unreachable_reason
        assert contacts[CM_DUTY_1].unreachable_reason is None
        cases = {sid: case for sid, case in session.execute(
            select(Call.call_sid, Case).join(Case, Case.call_id == Call.id))}
        for call in calls:
            case = cases[call.sid]
            if case.province_code == "10":  # nobody left at level 1: the provincial head, at once
                assert case.level == 2 and accepted[(case.reference, BKK_HEAD)] == 1, (call.sid, case.level)
            if case.province_code == "50":
                assert case.level == 1 and accepted[(case.reference, CM_DUTY_1)] == 1, (call.sid, case.level)
    tries = Counter(p.reference for p in fake_twilio.attempts_to(CM_DUTY_2) + fake_twilio.attempts_to(BKK_DUTY))
    assert all(n == 1 for n in tries.values()), f"a refused contact was tried twice for a case: {tries}"
    print(f"\n{len(calls)} calls; settled {took:.1f}s after the traffic, {time.monotonic() - started:.1f}s in all; "
          f"fake Twilio POST outcomes {dict(outcomes)}, {fake_twilio.lists} list lookups")
