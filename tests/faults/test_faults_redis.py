"""Fault 2: Redis dies in the middle of the traffic (SIGKILL, no persistence: every queued job
is gone) and comes back later. Webhooks keep answering; the outbox relay enqueues what was
lost; the workers reconnect. Every report still gets its SMS, once."""
from __future__ import annotations

import threading
import time

import pytest
from helpers.fault_calls import Twilio, audit, make_calls, run_all, settle
from helpers.fault_stack import wait_until

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(450)]  # own bounded waits fail first


def test_redis_lost_mid_traffic_and_restarted_loses_no_report_and_sends_no_sms_twice(stack, sessions, fake_twilio):
    web = stack.start_service()
    twilio = Twilio(web)
    calls = make_calls(50, seed_=2, prefix="R")
    finished: list[str] = []
    third = threading.Event()
    lock = threading.Lock()

    def script(call):
        for hook in call.steps:
            twilio.post(hook).twiml()
            time.sleep(0.05)  # a caller's pace, so the outage lands in the middle of the traffic
        with lock:
            finished.append(call.sid)
            if len(finished) == len(calls) // 3:
                third.set()

    errors: list[BaseException] = []
    traffic = threading.Thread(target=lambda: _capture(errors, run_all, calls, script, 4))
    started = time.monotonic()
    traffic.start()
    assert third.wait(120), f"only {len(finished)} calls finished before the outage was due"
    stack.crash_redis()
    down_at = time.monotonic()
    wait_until(lambda: (stack.health(web) or {}).get("status") == "degraded", 20,
               lambda: f"/healthz did not say degraded with Redis down: {stack.health(web)}")
    during = len(finished)
    time.sleep(max(0.0, 6 - (time.monotonic() - down_at)))
    stack.start_redis()  # the same port, empty
    traffic.join(300)
    assert not traffic.is_alive() and not errors, errors
    assert len(finished) - during >= 10, f"only {len(finished) - during} calls after the outage began"
    assert not twilio.bad_answers(), twilio.bad_answers()

    took = settle(lambda: audit(sessions, fake_twilio, [c.sid for c in calls]), stack, 180, fake=fake_twilio)
    assert all(w.alive() for w in stack.workers()), stack.dead()
    print(f"\nRedis down {len(finished) - during}+ calls, {len(twilio.answers)} webhooks; settled {took:.1f}s after "
          f"the traffic, {time.monotonic() - started:.1f}s in all; fake Twilio: {dict(fake_twilio.outcomes())}")


def _capture(errors, function, *args):
    try:
        function(*args)
    except BaseException as error:  # noqa: BLE001 - reported by the test thread
        errors.append(error)
