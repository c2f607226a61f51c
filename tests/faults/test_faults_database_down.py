"""Fault 4: the database becomes unreachable during calls. A second gunicorn points at a closed
PostgreSQL port (the machine's PostgreSQL is never touched) and shares the first one's spool:
calls move to it part-way (the database "goes down" mid-call), some start there. Every caller
still gets TwiML that dials the operator; every webhook is spooled; once the relay (with the
real database, the same SPOOL_DIR) runs, what happened is recovered and the counts hold."""
from __future__ import annotations

import random
import time

import pytest
from helpers.fault_calls import Twilio, audit, make_calls, run_all, settle
from helpers.fault_stack import free_port, wait_until
from sqlalchemy import select

from models import Call, Case

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(450)]  # own bounded waits fail first


def test_calls_during_a_database_outage_reach_an_operator_and_are_recovered_from_the_spool(stack, sessions,
                                                                                            fake_twilio):
    closed = free_port()  # nothing listens here
    up = stack.start_service(relay=False)  # the relay comes with the recovery
    down = stack.start_web("web-down", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{closed}/test")
    twilio = Twilio(up)
    calls = make_calls(50, seed_=4, prefix="B")
    rng = random.Random(4)
    # Where the database goes away for each call: at the main menu, the kind menu or the last key press.
    switch = {c.sid: rng.choice(range(2, len(c.steps) - 1)) for c in calls}
    walk_ins = make_calls(10, seed_=40, prefix="W")  # whole calls during the outage: straight to an operator
    refused: list[str] = []

    def script(call):
        for hook in call.steps[:switch[call.sid]]:
            twilio.post(hook).twiml()
        hook = call.steps[switch[call.sid]]  # the first webhook without a database
        answer = twilio.post(hook, base_url=down)
        if not answer.dials_operator():
            refused.append(f"{call.sid} {hook.path}: no <Dial> to the operator: {answer.body[:300]}")
        end_of_call(call)  # the caller talks to the operator; then Twilio reports the end

    def walk_in(call):
        if not twilio.post(call.steps[0], base_url=down).dials_operator():
            refused.append(f"{call.sid} incoming: no <Dial> to the operator")
        end_of_call(call)

    def end_of_call(call):
        answer = twilio.post(call.steps[-1], base_url=down)
        if len(answer.twiml()):
            refused.append(f"{call.sid} status: not an empty <Response/>: {answer.body[:200]}")

    started = time.monotonic()
    run_all(calls, script)
    run_all(walk_ins, walk_in)
    assert not refused, "\n".join(refused[:10])
    assert not twilio.bad_answers(), twilio.bad_answers()
    health = stack.health(down)
    assert health["status"] == "down" and health["spooled_files"] >= 1, health
    spooled = sorted(stack.spool.glob("*.jsonl"))
    assert spooled and all(oct(p.stat().st_mode)[-3:] == "600" for p in spooled), spooled
    lines = sum(len(p.read_text().splitlines()) for p in spooled)
    with sessions() as session:
        missing = [c.sid for c in walk_ins if session.scalar(select(Call).where(Call.call_sid == c.sid))]
        assert not missing, f"walk-in calls written although the database was 'down': {missing}"

    stack.start_relay()  # the database is back for the relay: it replays the spool, then sweeps
    wait_until(lambda: not list(stack.spool.glob("*.jsonl")), 60,
               lambda: f"spool not replayed: {list(stack.spool.glob('*'))}\n{stack.logs()}")
    took = settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls], [c.sid for c in walk_ins]),
                  stack, 150, fake=fake_twilio)
    with sessions() as session:
        walked = list(session.scalars(select(Call).where(Call.call_sid.in_([c.sid for c in walk_ins]))))
        assert all(c.status == "completed" and c.topic is None for c in walked)
        assert not session.scalar(select(Case).where(Case.call_id.in_([c.id for c in walked])))
        keyed_in = [c for c in calls if c.province and switch[c.sid] == len(c.steps) - 2]  # the postcode went to B
        misrouted = [c.sid for c in keyed_in if session.scalar(
            select(Case.province_code).join(Call, Call.id == Case.call_id).where(Call.call_sid == c.sid)) != c.province]
    assert not misrouted, f"cases opened without the province the caller keyed in: {misrouted}"
    print(f"\n{len(calls)} calls down part-way + {len(walk_ins)} walk-ins, {len(spooled)} spool files, {lines} lines; "
          f"settled {took:.1f}s after the relay started, {time.monotonic() - started:.1f}s in all; "
          f"fake Twilio: {dict(fake_twilio.outcomes())}")
