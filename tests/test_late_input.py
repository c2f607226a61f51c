"""A key pressed after the call's case opened still reaches the case, whichever order Twilio delivers the call's
last `<Gather>` and its final status in, after the goodbye step opened the case, and from the spool after an
outage: while nobody has acted on the case, a late postcode moves it and the danger key makes it urgent; once a
person has, the late answer is written on its history."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from helpers.ladder import CENTRAL_OFFICER, DUTY_1, DUTY_2, TRIAGE, reply, run_jobs
from helpers.support import Twilio, call_params
from sqlalchemy import select

from casework import ladder
from casework.config import Config
from casework.reassign import reassign
from hotline import create_app
from models import Case, Centre, Escalation, OutboxItem, utcnow

SID = "CA" + "f" * 32
ROUTED = "postcode keyed after the case opened: routed to 50"


def sent_to(db) -> list[str]:
    db.expire_all()
    return [e.contact.phone for e in db.scalars(select(Escalation).order_by(Escalation.id))]


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def jobs(db) -> list[tuple[str, str]]:
    db.expire_all()
    return [(item.job_id, item.queue) for item in db.scalars(select(OutboxItem).order_by(OutboxItem.id))]


def begin(twilio, keys: list[str]) -> None:
    """The call so far: Thai, then the menu's keys (main, kind)."""
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
    for step, (node, digits) in enumerate(zip(["main", "kind"], keys), start=2):
        twilio.post(f"/voice/ivr/{node}?s={step}&try=1", call_params(SID, Digits=digits))


def postcode(twilio):
    return twilio.post("/voice/ivr/where?s=4&try=1", call_params(SID, Digits="50200"))


def danger(twilio):
    return twilio.post("/voice/ivr/kind?s=3&try=1", call_params(SID, Digits="1"))


def completed(twilio):
    return twilio.post("/voice/status", call_params(SID, CallStatus="completed", CallDuration="80", SequenceNumber="5"))


@pytest.mark.parametrize("order", ["gather, status", "status, gather", "status, ladder begun, gather"])
def test_a_postcode_keyed_last_routes_the_case_to_its_province_whatever_the_order(ladder_env, db, order):
    app, twilio, redis = ladder_env
    begin(twilio, ["1", "3"])
    if order == "gather, status":
        postcode(twilio)
        completed(twilio)
    else:
        completed(twilio)
        if order == "status, ladder begun, gather":
            run_jobs(redis)
            assert sent_to(db) == [TRIAGE]  # central triage was texted: the province was not known yet
        postcode(twilio)
        postcode(twilio)  # Twilio retries it: nothing twice
    run_jobs(redis)
    case = the_case(db)
    chiang_mai = db.scalars(select(Centre).where(Centre.code == "50")).one()
    assert (case.province_code, case.district_code, case.centre_id, case.category) == ("50", "5001", chiang_mai.id,
                                                                                        "forced_labour")
    assert case.status == "escalating" and case.level == 1
    assert sent_to(db)[-2:] == [DUTY_1, DUTY_2] and sent_to(db).count(DUTY_1) == 1
    moves = [(t.actor, t.note, t.to_centre_id) for t in case.transitions if t.to_centre_id is not None]
    if order == "gather, status":
        assert moves == [] and case.ladder_run == 0
        return
    assert moves == [("system", ROUTED, chiang_mai.id)] and case.ladder_run == 1
    assert (f"case-restart-{case.id}-1", "default") in jobs(db)
    if order == "status, ladder begun, gather":
        assert [e.status for e in case.escalations if e.ladder_run == 0] == ["superseded"]


@pytest.mark.parametrize("order", ["gather, status", "status, gather", "status, ladder begun, gather"])
def test_the_danger_key_pressed_last_makes_the_case_urgent_with_the_urgent_window(ladder_env, db, order):
    app, twilio, redis = ladder_env
    begin(twilio, ["1"])
    if order == "gather, status":
        danger(twilio)
        completed(twilio)
    else:
        completed(twilio)
        if order == "status, ladder begun, gather":
            run_jobs(redis)
            assert the_case(db).sla_due_at - utcnow() > timedelta(minutes=50)  # the normal window: one hour
        danger(twilio)
        danger(twilio)  # retried
    run_jobs(redis)
    case = the_case(db)
    assert case.urgency == "urgent" and case.level == 1 and sent_to(db) == [TRIAGE]
    assert case.sla_due_at - utcnow() <= timedelta(seconds=600)
    if order != "gather, status":
        assert "danger key pressed after the case opened: urgent" in [t.note for t in case.transitions]
        assert (f"case-urgent-{case.id}", "urgent") in jobs(db)
        assert case.ladder_run == 0  # the same ladder: nobody is texted twice
    with time_machine.travel(utcnow() + timedelta(seconds=610), tick=True):
        run_jobs(redis)
    assert sent_to(db) == [TRIAGE, CENTRAL_OFFICER]  # central has no level 2: the urgent window climbed to 3
    assert jobs(db) and all(item.status == "done" for item in db.scalars(select(OutboxItem)))


def test_a_postcode_that_arrives_after_the_goodbye_step_opened_the_case_routes_it(ladder_env, db):
    app, twilio, redis = ladder_env
    begin(twilio, ["1", "3"])
    twilio.post("/voice/ivr/consent?s=5&try=1", call_params(SID, Digits="1"))
    twilio.post("/voice/ivr/message?s=6&try=1", call_params(SID))  # nothing recorded: goodbye, the case opens
    assert the_case(db).province_code is None
    postcode(twilio)  # the call is still going on
    completed(twilio)
    run_jobs(redis)
    case = the_case(db)
    assert (case.province_code, case.centre.code, case.transitions[-2].note) == ("50", "50", ROUTED)
    assert sent_to(db) == [DUTY_1, DUTY_2]


def test_a_spooled_postcode_replayed_after_the_status_got_in_routes_the_case(ladder_env, db, config):
    app, twilio, redis = ladder_env
    begin(twilio, ["1", "3"])
    down = Config(**{**app.config["HOTLINE"].__dict__, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"})
    postcode(Twilio(create_app(down).test_client()))  # the database is away: spooled
    completed(twilio)  # it is back
    run_jobs(redis)
    assert the_case(db).centre.code == "central"
    runner = app.test_cli_runner()
    assert "replayed 1 webhooks" in runner.invoke(args=["spool", "replay"]).output
    for retired in config.SPOOL_DIR.glob("*.replayed"):  # replayed again: nothing twice
        retired.rename(retired.with_suffix(".jsonl"))
    assert "replayed 1 webhooks" in runner.invoke(args=["spool", "replay"]).output
    run_jobs(redis)
    case = the_case(db)
    assert (case.province_code, case.centre.code, case.ladder_run) == ("50", "50", 1)
    assert [t.note for t in case.transitions].count(ROUTED) == 1
    assert sent_to(db) == [TRIAGE, DUTY_1, DUTY_2]


def test_once_a_person_acted_the_late_answers_are_written_on_the_case_for_a_person(ladder_env, db):
    app, twilio, redis = ladder_env
    begin(twilio, ["1"])
    completed(twilio)
    run_jobs(redis)
    reply(twilio, TRIAGE, f"ACK {the_case(db).ack_code}", "SM" + "1" * 32)
    danger(twilio)
    postcode(twilio)
    postcode(twilio)
    case = the_case(db)
    assert (case.status, case.urgency, case.province_code, case.centre.code, case.ladder_run) == (
        "acknowledged", "normal", None, "central", 0)
    late = [(t.from_status, t.to_status, t.actor, t.note) for t in case.transitions][-2:]
    assert late == [
        ("acknowledged", "acknowledged", "system",
         "danger key pressed after the case opened: not changed: a person has acted on the case"),
        ("acknowledged", "acknowledged", "system",
         "postcode keyed after the case opened: province 50; not changed: a person has acted on the case")]


def test_a_closed_case_is_not_moved_by_a_late_postcode(ladder_env, db):
    app, twilio, redis = ladder_env
    begin(twilio, ["1", "3"])
    completed(twilio)
    case = the_case(db)
    ladder.move(case, "closed", "system", outcome="false_report")  # closed without anyone's transition
    db.commit()
    postcode(twilio)
    case = the_case(db)
    assert (case.status, case.province_code, case.transitions[-1].note) == (
        "closed", None, "postcode keyed after the case opened: province 50; not changed: the case is closed")


def test_a_case_a_person_moved_stays_where_they_put_it(ladder_env, db):
    app, twilio, redis = ladder_env
    begin(twilio, ["1", "3"])
    completed(twilio)
    run_jobs(redis)
    case = the_case(db)
    reassign(db, case, "10", "user:7", "the caller said Bangkok")  # still waiting, for the Bangkok centre
    db.commit()
    postcode(twilio)
    case = the_case(db)
    assert (case.status, case.province_code, case.ladder_run) == ("escalating", "10", 1)
    assert case.transitions[-1].note == (
        "postcode keyed after the case opened: province 50; not changed: a person has acted on the case")
