"""One offer, one dial: a ring job that runs while the same offer's ring is still being sent must not dial the
operator a second time (issue 16: "never ... two calls to one operator"; casework.desk_dial: "a second ring of a
ringing offer is not prepared").

A routing pass rings its offers one after another from its own job (workers.desk_twilio.route_in), and each ring
is also an outbox row `desk-ring-<offer>` that nothing claims; the relay's sweep enqueues it again once it is
OUTBOX_SWEEP_AFTER seconds old (60 by default, 2 in the fault suite). A pass with many rings against a slow Twilio
(up to TIMEOUT = 10 s each) outlives that, and the swept job, in the other worker, finds the offer still ringing
with `requested_at` unset (it is set only after Twilio answered) and dialled again. Now a dial once attempted is
never prepared again; one that never reached Twilio is settled by the sweep (the operator freed, not marked).
"""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from helpers.fault_desk import DialingTwilio

from casework import desk
from casework.config import Config
from models import Call, DeskOffer, DeskWait, User, make_engine, make_sessionmaker
from workers import desk_twilio


@pytest.fixture
def slow_twilio():
    fake = DialingTwilio()
    fake.hold = 1.0  # Twilio takes a second to answer each dial
    yield fake
    fake.close()


def test_a_ring_job_swept_while_the_pass_still_rings_does_not_dial_twice(database_url, slow_twilio):
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        user = User(username="op_twice", role="operator", password_hash="x", active=True, language="th")
        call = Call(call_sid="CA" + "d" * 32, status="in-progress", language="th")
        session.add_all([user, call])
        session.flush()
        desk.save_profile(session, user, ["th"], "+66811110001", "test")
        wait = DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language="th", state="offered")
        session.add(wait)
        session.flush()
        offer = DeskOffer(wait_id=wait.id, user_id=user.id, endpoint="+66811110001", state="ringing")
        session.add(offer)
        session.flush()
        offer_id = offer.id
    cfg = Config(ENV="test", DATABASE_URL=database_url, TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="t",
                 TWILIO_FROM_NUMBER="+6621300000", TWILIO_API_BASE_URL=slow_twilio.url, OPERATOR_DIAL_TARGET="desk",
                 SECRET_KEY="test")
    cfg.check()
    context = SimpleNamespace(config=cfg, sessions=sessions, redis=None)
    try:
        the_pass = threading.Thread(target=desk_twilio.ring_in, args=(context, offer_id))  # route_in's inline ring
        the_pass.start()
        while not slow_twilio.legs:
            time.sleep(0.01)
        desk_twilio.ring_in(context, offer_id)  # the swept desk-ring job, in the other worker
        the_pass.join(10)
    finally:
        engine.dispose()
    assert [leg.offer for leg in slow_twilio.legs] == [offer_id]
