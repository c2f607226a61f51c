"""Fault 1: every webhook arrives twice - one after the other, or two at the same moment -
some out of order (the final status before the last key press or the last two, or racing
the last one), and whole calls are replayed once they are over. Nothing may happen twice,
and every case ends with what its caller keyed, whatever the order."""
from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from helpers.fault_calls import Twilio, audit, make_calls, run_all, settle
from sqlalchemy import select

from models import CENTRAL, Call, Case

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(450)]  # own bounded waits fail first


def test_duplicated_reordered_and_replayed_webhooks_open_one_case_and_send_one_sms(stack, sessions, fake_twilio):
    web = stack.start_service()
    twilio = Twilio(web)
    calls = make_calls(50, seed_=1, prefix="D")
    rng = random.Random(1)
    urgent, normal = [c for c in calls if c.urgent], [c for c in calls if not c.urgent]
    picked_urgent, picked_normal = rng.sample(urgent, 5), rng.sample(normal, 10)
    # Every order Twilio can deliver a call's end in: its 'completed' overtakes the last key press (the postcode,
    # or the danger key), or the last two (the kind, then the postcode), or races the last one.
    order = {**{c.sid: "status first" for c in picked_urgent[:3] + picked_normal[:4]},
             **{c.sid: "status before two" for c in picked_normal[4:7]},
             **{c.sid: "together" for c in picked_urgent[3:] + picked_normal[7:]}}
    at_once = {c.sid for c in rng.sample(calls, 20)}
    different: list[str] = []

    def script(call):
        steps: list = list(call.steps)
        status = steps.pop()
        how = order.get(call.sid)
        if how == "together":
            steps[-1] = (steps[-1], status)
        else:
            steps.insert(len(steps) - {"status first": 1, "status before two": 2}.get(how, 0), status)
        for hook in steps:
            if isinstance(hook, tuple):
                twilio.at_once(*hook)
                for each in hook:  # and each retried
                    twilio.post(each)
                continue
            if call.sid in at_once:
                first, second = twilio.twice_at_once(hook)
            else:
                first, second = twilio.post(hook), twilio.post(hook)
            if first.body != second.body:
                different.append(f"{call.sid} {hook.path}:\n    {first.body[:200]}\n    {second.body[:200]}")

    started = time.monotonic()
    run_all(calls, script)
    assert not twilio.bad_answers(), twilio.bad_answers()
    sent = len(twilio.answers)
    settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls]), stack, 120, fake=fake_twilio)

    # Replays after the fact: whole calls again, in a shuffled order, long after they ended.
    replayed = rng.sample(calls, 15)
    hooks = [hook for call in replayed for hook in call.steps]
    rng.shuffle(hooks)
    run_all(hooks, twilio.post)
    settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls]), stack, 60, fake=fake_twilio)
    assert not twilio.bad_answers(), twilio.bad_answers()
    assert not different, "a duplicated webhook answered differently:\n" + "\n".join(different[:10])
    assert not keyed_late_lost(sessions, [c.sid for c in calls], [sid for sid, how in order.items() if how != "together"])
    print(f"\n{len(calls)} calls, {sent} + {len(hooks)} webhooks, settled in {time.monotonic() - started:.1f}s, "
          f"fake Twilio: {dict(fake_twilio.outcomes())}; {len(order)} calls ended out of order")


def keyed_late_lost(sessions, sids: list[str], late: list[str]) -> list[str]:
    """Every case has what its caller keyed, in whatever order it came: the province and district (and its
    centre), the kind, the urgency and, urgent, the urgent window; a case that moved for a key pressed after
    it opened says so on its history, as the system's."""
    lost = []
    with sessions() as session:
        for call, case in session.execute(select(Call, Case).join(Case, Case.call_id == Call.id)
                                          .where(Call.call_sid.in_(sids))):
            keyed = (call.province_code, call.district_code, call.province_code or CENTRAL, call.category,
                     call.urgency or "normal")
            got = (case.province_code, case.district_code, case.centre.code, case.category, case.urgency)
            if got != keyed:
                lost.append(f"{call.call_sid}: case {case.reference} has {got}, the caller keyed {keyed}")
            begun = min((e.created_at for e in case.escalations if e.level == 1), default=None)
            if case.urgency == "urgent" and case.waiting and not (
                    case.sla_due_at and begun and case.sla_due_at - begun <= timedelta(seconds=600 + 5)):
                lost.append(f"{call.call_sid}: urgent case {case.reference} is due at {case.sla_due_at}, its "
                            f"ladder began at {begun}: not the urgent window")
            moved = [t for t in case.transitions if t.to_centre_id is not None]
            if call.call_sid in late and call.province_code and [(t.actor, t.note) for t in moved] != [
                    ("system", f"postcode keyed after the case opened: routed to {call.province_code}")]:
                lost.append(f"{call.call_sid}: case {case.reference} moved {[(t.actor, t.note) for t in moved]}")
    return lost
