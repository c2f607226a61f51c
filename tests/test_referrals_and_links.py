"""The case story's links outward (issue 19): referrals to other agencies and their steps
(`casework.referrals`), and other calls linked to a case (`casework.linking`), which then never open a case
of their own, whichever way their report arrives (the menu, the final status, an operator)."""
from __future__ import annotations

import pytest
from helpers.ladder import seed_centres
from helpers.support import call_params
from sqlalchemy import func, select

from casework.intake import case_for_call, report_arrived
from casework.linking import NotLinkable, link
from casework.referrals import advance, refer
from models import Call, Case, LinkedCall, OutboxItem, make_engine, make_sessionmaker, utcnow
from models.calls import SIMULATED_PREFIX

SID = "CA" + "e" * 32


@pytest.fixture
def session(database_url):
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        seed_centres(session)
        yield session
    engine.dispose()


def new_call(session, call_sid: str = SID, **values) -> Call:
    call = Call(call_sid=call_sid, status="in-progress", topic="trafficking", language="th", ivr_path=[],
                started_at=utcnow(), **values)
    session.add(call)
    session.flush()
    return call


def a_case(session, source: str = "call") -> Case:
    return report_arrived(session, source=source, kind="forced_labour", urgency="normal", province_code="50").case


# --- referrals ---------------------------------------------------------------------------------------------------

def test_a_referral_is_requested_then_accepted_then_done_each_step_with_who_and_why(session):
    case = a_case(session)
    referral = refer(session, case, "police_191", "  Mueang station ", "user:3")
    advance(session, referral, "accepted", "user:4", "officer Somsak took it")
    advance(session, referral, "done", "user:3", "  ")
    session.commit()
    session.expire_all()
    assert (referral.case_id, referral.agency, referral.detail, referral.status) == (case.id, "police_191",
                                                                                     "Mueang station", "done")
    assert [(s.status, s.actor, s.note) for s in referral.steps] == [
        ("requested", "user:3", None), ("accepted", "user:4", "officer Somsak took it"), ("done", "user:3", None)]
    assert all(s.at is not None for s in referral.steps)


@pytest.mark.parametrize("path, wrong", [([], "done"), ([], "requested"), (["declined"], "accepted"),
                                         (["accepted", "done"], "declined"), (["accepted"], "accepted"),
                                         ([], "lost")])
def test_a_move_the_order_does_not_allow_is_refused_and_changes_nothing(session, path, wrong):
    referral = refer(session, a_case(session), "ngo", None, "user:1")
    for status in path:
        advance(session, referral, status, "user:1")
    with pytest.raises(ValueError):
        advance(session, referral, wrong, "user:1")
    assert referral.status == (path[-1] if path else "requested") and len(referral.steps) == 1 + len(path)


def test_an_unknown_agency_or_a_long_detail_is_refused(session):
    case = a_case(session)
    with pytest.raises(ValueError):
        refer(session, case, "fbi", None, "user:1")
    with pytest.raises(ValueError):
        refer(session, case, "embassy", "x" * 201, "user:1")


# --- linking -----------------------------------------------------------------------------------------------------

def test_a_call_is_linked_once_and_written_on_the_case_history_without_a_status_change(session):
    case, call = a_case(session), new_call(session)
    first = link(session, case, call, "user:2")
    again = link(session, case, call, "user:5")
    session.commit()
    assert first.new and not again.new and again.link.id == first.link.id
    assert session.scalar(select(func.count()).select_from(LinkedCall)) == 1
    assert (first.link.case_id, first.link.call_id, first.link.actor) == (case.id, call.id, "user:2")
    assert [(t.from_status, t.to_status, t.actor, t.note) for t in case.transitions[1:]] == [
        ("new", "new", "user:2", f"call {call.reference} linked")]


def test_a_call_that_opened_its_own_case_cannot_be_linked(session):
    case, call = a_case(session), new_call(session)
    own = case_for_call(session, call).case
    with pytest.raises(NotLinkable) as refused:
        link(session, case, call, "user:2")
    assert (refused.value.why, refused.value.reference) == ("own_case", own.reference)
    with pytest.raises(NotLinkable):
        link(session, own, call, "user:2")  # not even to the case it opened: it is that case's own call
    assert session.scalar(select(func.count()).select_from(LinkedCall)) == 0


def test_a_call_linked_to_one_case_is_not_linked_to_another(session):
    first, second, call = a_case(session), a_case(session), new_call(session)
    link(session, first, call, "user:2")
    with pytest.raises(NotLinkable) as refused:
        link(session, second, call, "user:2")
    assert (refused.value.why, refused.value.reference) == ("linked_elsewhere", first.reference)
    assert len(second.transitions) == 1


def test_a_closed_case_or_one_of_the_other_world_takes_no_link(session):
    closed = a_case(session)
    closed.move_to("closed", "user:1", outcome="false_report")
    with pytest.raises(NotLinkable) as refused:
        link(session, closed, new_call(session), "user:2")
    assert refused.value.why == "closed"
    with pytest.raises(NotLinkable) as refused:
        link(session, a_case(session), new_call(session, SIMULATED_PREFIX + "0" * 24), "user:2")
    assert refused.value.why == "training"
    with pytest.raises(NotLinkable) as refused:
        link(session, a_case(session, "training"), new_call(session, "CA" + "d" * 32), "user:2")
    assert refused.value.why == "training"


def test_a_linked_call_reporting_gets_the_case_it_is_linked_to_and_no_new_one(session):
    case, call = a_case(session), new_call(session)
    link(session, case, call, "user:2")
    rows = session.scalar(select(func.count()).select_from(OutboxItem))
    opened = case_for_call(session, call)
    assert opened.case.id == case.id and not opened.new and opened.job_ids == []
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxItem)) == rows


def test_the_final_status_of_a_linked_call_opens_no_case(app, db, twilio):
    """Through the webhooks: the second caller chose "someone is in danger", the operator linked the call while
    they talked, then the call ends."""
    seed_centres(db)
    case = a_case(db)
    db.commit()
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="1"))
    call = db.scalars(select(Call).where(Call.call_sid == SID)).one()
    assert call.topic == "trafficking" and db.scalars(select(Case)).all() == [case]
    link(db, case, call, "user:2")
    db.commit()
    response = twilio.post("/voice/status", call_params(SID, CallStatus="completed", CallDuration="90",
                                                       SequenceNumber="4"))
    assert response.status_code == 200
    db.expire_all()
    assert db.scalars(select(Case)).all() == [case]
    assert db.scalar(select(func.count()).select_from(OutboxItem)) == 1  # the first case's start only
