"""The desk call's controls on its page (issue 16): hold and resume, the interpreter, warm transfer and hand-over,
end. Each is a REST request at a fake Twilio (sent by a real RQ job) and an event on the call's timeline; on SQLite
and PostgreSQL."""
from __future__ import annotations

import pytest
from helpers.console_support import FAST_HASH, Browser
from helpers.ladder import run_jobs
from helpers.support import call_params
from sqlalchemy import select

from casework import desk
from models import AuditEntry, Call, CallEvent, DeskOffer, DeskProfile, DeskWait, Interpreter, User

SID = "CA" + "c" * 32
CF = "CF" + "f" * 32
FIRST, SECOND, INTERPRETER = "+66811110001", "+66811110002", "+66822220003"


@pytest.fixture
def fake(desk_twilio):
    return desk_twilio


def person(app, username: str, phone: str, role: str = "operator", languages=("th",), available: bool = True) -> int:
    with app.extensions["sessions"].begin() as session:
        user = User(username=username, role=role, password_hash=FAST_HASH, active=True, language="en")
        session.add(user)
        session.flush()
        if phone:
            desk.save_profile(session, user, languages, phone, "test")
            if available:
                desk.set_state(session, user, "available", "test")
        return user.id


def logged_in(app, username: str) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def ask(twilio, language_key: str = "1") -> None:
    twilio.post("/voice/incoming", call_params(SID))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits=language_key))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="2"))


def conference_started(twilio) -> None:
    twilio.post("/voice/desk/conference", call_params(SID, FriendlyName=f"desk-{SID}", ConferenceSid=CF,
                                                      StatusCallbackEvent="participant-join", SequenceNumber="1"))


def read(app, model, **where):
    with app.extensions["sessions"]() as session:
        row = session.scalars(select(model).filter_by(**where)).first()
        session.expunge_all()
        return row


def call_id(app) -> int:
    return read(app, Call, call_sid=SID).id


def timeline(app) -> list[str]:
    with app.extensions["sessions"]() as session:
        return [e.key for e in session.scalars(select(CallEvent).where(CallEvent.key.like("desk:control:%"))
                                              .order_by(CallEvent.id))]


@pytest.fixture
def on_a_call(desk_env, fake):
    """op1 answered the caller; Twilio has told the conference's SID."""
    app, twilio, redis = desk_env
    first = person(app, "op1", FIRST)
    ask(twilio)
    run_jobs(redis)
    [ring] = fake.participants()
    fake.leg(twilio, ring, "ringing", "in-progress")
    conference_started(twilio)
    return app, twilio, redis, first, ring


def control(browser: Browser, app, what: str, **data):
    return browser.post(f"/console/calls/{call_id(app)}/control/{what}", data)


def test_hold_and_resume_update_the_callers_participant_and_are_on_the_timeline(on_a_call, fake):
    app, twilio, redis, first, _ = on_a_call
    op1 = logged_in(app, "op1")
    page = op1.get(f"/console/calls/{call_id(app)}").get_data(as_text=True)
    assert "Hold the caller" in page and "Call the interpreter into the call" in page and "End the call" in page

    assert control(op1, app, "hold").status_code == 302
    assert "requested" in op1.get(f"/console/calls/{call_id(app)}").get_data(as_text=True)
    run_jobs(redis)
    [hold] = fake.controls()
    assert (hold.kind, hold.target, hold.form["Hold"]) == ("participant_update", f"{CF}/{SID}", "true")
    assert timeline(app) == ["desk:control:hold:1", "desk:control:hold:1:sent"]
    page = op1.get(f"/console/calls/{call_id(app)}").get_data(as_text=True)
    assert "Resume the caller" in page and "sent to Twilio" in page

    refused = control(op1, app, "hold")
    assert refused.status_code == 409 and "on hold already" in refused.get_data(as_text=True)
    control(op1, app, "resume")
    run_jobs(redis)
    assert [r.form["Hold"] for r in fake.controls()] == ["true", "false"]
    with app.extensions["sessions"]() as session:
        reasons = session.scalars(select(AuditEntry.reason).where(AuditEntry.action == "desk_control")).all()
    assert sorted(reasons) == ["hold 1", "resume 1"]


def test_end_completes_the_conference(on_a_call, fake):
    app, twilio, redis, *_ = on_a_call
    control(logged_in(app, "op1"), app, "end")
    run_jobs(redis)
    [end] = fake.controls()
    assert (end.kind, end.target, end.form["Status"]) == ("conference_update", CF, "completed")


def test_add_the_interpreter_dials_the_on_duty_one_for_the_callers_language(desk_env, fake):
    app, twilio, redis = desk_env
    person(app, "op1", FIRST, languages=("th", "my"))
    with app.extensions["sessions"].begin() as session:
        session.add(Interpreter(name="Ko Aung", phone=INTERPRETER, language="my", on_duty=True, active=True))
    ask(twilio, language_key="3")
    run_jobs(redis)
    fake.leg(twilio, fake.participants()[0], "in-progress")
    run_jobs(redis)
    assert fake.participants(INTERPRETER) == []  # the operator reads Burmese: nobody added by the router

    assert control(logged_in(app, "op1"), app, "interpreter").status_code == 302
    run_jobs(redis)
    [interpreter] = fake.participants(INTERPRETER)
    assert interpreter.target == f"desk-{SID}" and interpreter.form["Label"] == "interpreter"
    assert read(app, DeskWait).interpreter_id is not None
    assert timeline(app) == ["desk:control:interpreter:1", "desk:control:interpreter:1:sent"]


def test_controls_are_refused_with_the_reason(desk_env, fake):
    app, twilio, redis = desk_env
    person(app, "op1", FIRST)
    person(app, "op_other", "+66811110009", available=False)
    person(app, "field", "", role="field_officer")
    ask(twilio)
    op1 = logged_in(app, "op1")
    waiting = control(op1, app, "hold")  # rung, not answered yet
    assert waiting.status_code == 409 and "not with an operator" in waiting.get_data(as_text=True)

    run_jobs(redis)
    fake.leg(twilio, fake.participants()[0], "in-progress")
    def refused(answer, status: int, words: str) -> bool:
        return answer.status_code == status and words in answer.get_data(as_text=True)

    assert refused(control(op1, app, "hold"), 409, "has not confirmed the call")  # no conference SID from Twilio yet
    conference_started(twilio)
    assert refused(control(op1, app, "interpreter"), 409, "No interpreter for this language")  # none on duty for Thai
    assert refused(control(op1, app, "handover"), 409, "no one to hand over to")
    assert refused(control(op1, app, "transfer", to="999"), 409, "Choose someone who is available")
    away = str(read(app, User, username="op_other").id)
    assert refused(control(op1, app, "transfer", to=away), 409, "Choose someone who is available")
    assert refused(control(op1, app, "sing"), 400, "There is no such control")
    other = control(logged_in(app, "op_other"), app, "end")
    assert other.status_code == 403 and "Only the operator on this call" in other.get_data(as_text=True)
    assert control(logged_in(app, "field"), app, "end").status_code == 403
    run_jobs(redis)
    assert fake.controls() == [] and timeline(app) == []


def test_a_supervisor_may_control_anyones_call(on_a_call, fake):
    app, twilio, redis, *_ = on_a_call
    person(app, "sup", "", role="supervisor")
    assert control(logged_in(app, "sup"), app, "hold").status_code == 302
    run_jobs(redis)
    assert [r.target for r in fake.controls()] == [f"{CF}/{SID}"]


def test_a_warm_transfer_rings_the_second_who_talks_first_then_takes_over(on_a_call, fake):
    app, twilio, redis, first, first_ring = on_a_call
    second = person(app, "op2", SECOND)
    op1 = logged_in(app, "op1")
    assert f'value="{second}"' in op1.get(f"/console/calls/{call_id(app)}").get_data(as_text=True)

    assert control(op1, app, "transfer", to=str(second)).status_code == 302
    assert read(app, DeskProfile, user_id=second).state == "offered"
    run_jobs(redis)
    [ring] = fake.participants(SECOND)
    assert ring.target == f"desk-{SID}" and ring.form["EndConferenceOnExit"] == "true"
    fake.leg(twilio, ring, "ringing", "in-progress")
    assert read(app, DeskProfile, user_id=second).state == "on_call"
    assert read(app, DeskWait).answered_by == first  # who answered first stays on the record

    assert "Hand over" in op1.get(f"/console/calls/{call_id(app)}").get_data(as_text=True)
    assert control(op1, app, "handover").status_code == 302
    assert read(app, DeskProfile, user_id=first).state == "wrap_up"
    run_jobs(redis)
    keep, hang_up = fake.requests[-2:]
    assert (keep.kind, keep.target, keep.form["EndConferenceOnExit"]) == (
        "participant_update", f"{CF}/{first_ring.call_sid}", "false")
    assert (hang_up.kind, hang_up.target, hang_up.form["Status"]) == ("call_update", first_ring.call_sid, "completed")

    fake.leg(twilio, first_ring, "completed")  # Twilio: the first operator's leg ended
    wait = read(app, DeskWait)
    assert wait.state == "answered" and wait.ended_at is None  # the caller is still with the second
    assert read(app, DeskProfile, user_id=second).state == "on_call"
    with app.extensions["sessions"]() as session:
        offers = session.scalars(select(DeskOffer).order_by(DeskOffer.id)).all()
        assert [(o.user_id, o.state) for o in offers] == [(first, "ended"), (second, "answered")]

    assert control(op1, app, "hold").status_code == 403  # the first has left the call
    assert control(logged_in(app, "op2"), app, "hold").status_code == 302  # the second controls it now
    assert timeline(app)[:4] == ["desk:control:transfer:1", "desk:control:handover:1",
                                 "desk:control:handover:1:sent", "desk:control:hold:1"]


def test_a_transfer_nobody_answers_leaves_the_caller_with_the_first(on_a_call, fake):
    app, twilio, redis, first, _ = on_a_call
    second = person(app, "op2", SECOND)
    control(logged_in(app, "op1"), app, "transfer", to=str(second))
    run_jobs(redis)
    fake.leg(twilio, fake.participants(SECOND)[0], "ringing", "no-answer")
    wait = read(app, DeskWait)
    assert (wait.state, wait.answered_by) == ("answered", first)
    assert read(app, DeskProfile, user_id=second).state == "away"  # marked missed, as for any ring
    assert read(app, DeskProfile, user_id=first).state == "on_call"
