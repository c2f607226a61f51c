"""The operator desk end to end (issue 16): callers who ask for a person wait in their call's conference, the
router offers them to operators by dialling them in through Twilio's REST API (a fake that records requests and
plays back signed participant callbacks), on SQLite and PostgreSQL with real Redis and RQ jobs."""
from __future__ import annotations

from datetime import timedelta

import pytest
from helpers.ladder import run_jobs
from helpers.support import call_params, parse_twiml
from sqlalchemy import select

from casework import desk
from models import AuditEntry, Call, DeskOffer, DeskProfile, DeskWait, Interpreter, User, utcnow

THAI, BURMESE = "+66811110001", "+66811110002"
INTERPRETER = "+66822220003"


@pytest.fixture
def fake(desk_twilio):
    return desk_twilio


def operator(app, username: str, languages: list[str], phone: str, available: bool = True) -> int:
    with app.extensions["sessions"].begin() as session:
        user = User(username=username, role="operator", password_hash="x", active=True, language="th")
        session.add(user)
        session.flush()
        desk.save_profile(session, user, languages, phone, "test")
        if available:
            desk.set_state(session, user, "available", "test")
        return user.id


def become_available(app, redis, user_id: int) -> None:
    from casework import desk_line

    with app.extensions["sessions"].begin() as session:
        user = session.get(User, user_id)
        desk.set_state(session, user, "available", "test")
        job_ids = desk_line.came_free(session, user)
    from workers.dispatch import after_commit

    after_commit(app.extensions["sessions"], redis, job_ids)


def ask_for_a_person(twilio, sid: str, language_key: str = "1", danger: bool = False):
    """A caller through the menu to a person: other help (main 2), or the danger key (main 1, kind 1)."""
    twilio.post("/voice/incoming", call_params(sid))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(sid, Digits=language_key))
    if danger:
        twilio.post("/voice/ivr/main?s=2&try=1", call_params(sid, Digits="1"))
        return twilio.post("/voice/ivr/kind?s=3&try=1", call_params(sid, Digits="1"))
    return twilio.post("/voice/ivr/main?s=2&try=1", call_params(sid, Digits="2"))


def wait_of(app, sid: str) -> DeskWait:
    with app.extensions["sessions"]() as session:
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        wait = session.scalar(select(DeskWait).where(DeskWait.call_id == call.id))
        session.expunge_all()
        return wait


def state_of(app, user_id: int) -> DeskProfile:
    with app.extensions["sessions"]() as session:
        profile = session.get(DeskProfile, user_id)
        session.expunge_all()
        return profile


def age(app, sid: str, seconds: int) -> None:
    """The caller asked `seconds` earlier than they did."""
    with app.extensions["sessions"].begin() as session:
        call = session.scalar(select(Call).where(Call.call_sid == sid))
        wait = session.scalar(select(DeskWait).where(DeskWait.call_id == call.id))
        wait.asked_at -= timedelta(seconds=seconds)


def sweep(app, redis) -> None:
    from casework import desk_line
    from workers.dispatch import after_commit

    with app.extensions["sessions"].begin() as session:
        job_ids = desk_line.sweep(session, app.config["HOTLINE"])
    after_commit(app.extensions["sessions"], redis, job_ids)
    run_jobs(redis)


SID_A, SID_B = "CA" + "a" * 32, "CA" + "b" * 32


def test_a_thai_caller_waits_in_their_conference_and_reaches_the_idle_thai_operator(desk_env, fake):
    app, twilio, redis = desk_env
    busy = operator(app, "op_busy", ["th"], "+66811110009", available=False)
    idle = operator(app, "op_th", ["th"], THAI)
    answer = parse_twiml(ask_for_a_person(twilio, SID_A))
    conference = answer.find("Dial/Conference")
    assert conference.text == f"desk-{SID_A}" and conference.get("startConferenceOnEnter") == "false"
    assert conference.get("waitUrl").startswith("/voice/desk/hold?conf=desk-")

    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.target == f"desk-{SID_A}" and ring.form["To"] == THAI and ring.form["From"] == "+6621300000"
    assert ring.form["Timeout"] == "20" and ring.form["StartConferenceOnEnter"] == "true"
    assert state_of(app, idle).state == "offered" and state_of(app, busy).state == "away"

    fake.leg(twilio, ring, "initiated", "ringing", "in-progress")
    wait = wait_of(app, SID_A)
    assert (wait.state, wait.answered_by) == ("answered", idle) and wait.answered_at is not None
    assert state_of(app, idle).state == "on_call"

    fake.leg(twilio, ring, "in-progress", "completed")  # a retried callback, then the operator hangs up
    profile = state_of(app, idle)
    assert profile.state == "wrap_up" and profile.wrap_up_until is not None
    assert wait_of(app, SID_A).ended_at is not None and wait_of(app, SID_A).wrapped_up_at is None
    become_available(app, redis, idle)  # notes written: the call's record has its wrap-up
    from casework.desk_record import record_of

    wait = wait_of(app, SID_A)
    assert wait.wrapped_up_at is not None and record_of(wait, "op_th").wrap_up_seconds is not None


def test_a_burmese_caller_with_only_a_thai_operator_free_gets_that_operator_and_the_burmese_interpreter(
        desk_env, fake):
    app, twilio, redis = desk_env
    thai = operator(app, "op_th", ["th"], THAI)
    with app.extensions["sessions"].begin() as session:
        session.add_all([Interpreter(name="Ko Aung", phone=INTERPRETER, language="my", on_duty=True, active=True),
                         Interpreter(name="Off duty", phone="+66822220009", language="my", on_duty=False, active=True)])
    ask_for_a_person(twilio, SID_A, language_key="3")
    run_jobs(redis)
    assert fake.participants() == []  # someone who reads Burmese may come free within DESK_LANGUAGE_WAIT
    assert wait_of(app, SID_A).language == "my"

    age(app, SID_A, 61)
    sweep(app, redis)
    [ring] = fake.participants()
    assert ring.form["To"] == THAI
    fake.leg(twilio, ring, "ringing", "in-progress")
    run_jobs(redis)
    [interpreter] = fake.participants(INTERPRETER)
    assert interpreter.target == f"desk-{SID_A}" and interpreter.form["Label"] == "interpreter"
    assert interpreter.form["EndConferenceOnExit"] == "false"
    assert wait_of(app, SID_A).answered_by == thai


def test_a_burmese_speaking_operator_is_preferred_to_one_who_came_free_earlier(desk_env, fake):
    app, twilio, redis = desk_env
    operator(app, "op_th", ["th", "en"], THAI)
    operator(app, "op_my", ["th", "my"], BURMESE)
    ask_for_a_person(twilio, SID_A, language_key="3")
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.form["To"] == BURMESE


def test_an_urgent_caller_overtakes_one_who_waited_longer(desk_env, fake):
    app, twilio, redis = desk_env
    late = operator(app, "op_th", ["th"], THAI, available=False)
    ask_for_a_person(twilio, SID_A)  # other help, first
    ask_for_a_person(twilio, SID_B, danger=True)  # someone in danger, second
    run_jobs(redis)
    assert fake.participants() == []
    with app.extensions["sessions"]() as session:
        from casework import desk_line

        places = {w.call.call_sid: desk_line.place_in_line(session, w) for w in session.scalars(select(DeskWait))}
    assert places == {SID_B: 1, SID_A: 2}

    become_available(app, redis, late)
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.target == f"desk-{SID_B}"
    assert wait_of(app, SID_B).urgent and wait_of(app, SID_A).state == "waiting"


def test_an_operator_who_does_not_answer_is_skipped_and_marked(desk_env, fake):
    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    second = operator(app, "op_second", ["th"], "+66811110005")
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.form["To"] == THAI  # the longest idle first

    fake.leg(twilio, ring, "ringing", "no-answer")
    missed = state_of(app, first)
    assert missed.state == "away" and missed.missed_at is not None
    run_jobs(redis)
    assert [r.form["To"] for r in fake.participants()] == [THAI, "+66811110005"]
    fake.leg(twilio, fake.participants()[1], "in-progress")
    assert wait_of(app, SID_A).answered_by == second
    with app.extensions["sessions"]() as session:
        offers = session.scalars(select(DeskOffer).order_by(DeskOffer.id)).all()
        assert [o.state for o in offers] == ["missed", "answered"]
        assert session.scalar(select(AuditEntry).where(AuditEntry.target == f"user:{first}",
                                                       AuditEntry.reason.contains("missed")))


def test_a_ring_twilio_never_ends_is_called_missed_by_the_sweep(desk_env, fake):
    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    with app.extensions["sessions"].begin() as session:
        offer = session.scalars(select(DeskOffer)).one()
        offer.offered_at -= timedelta(seconds=60)
    sweep(app, redis)
    assert state_of(app, first).state == "away" and wait_of(app, SID_A).state == "waiting"
    assert [u.form.get("Status") for u in fake.updates()] == ["canceled"]  # its leg is stopped


def test_a_caller_who_hangs_up_while_rung_for_frees_the_operator(desk_env, fake):
    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    twilio.post("/voice/status", call_params(SID_A, CallStatus="completed", CallDuration="30", SequenceNumber="9"))
    run_jobs(redis)
    assert wait_of(app, SID_A).state == "abandoned"
    assert state_of(app, first).state == "available" and state_of(app, first).missed_at is None
    assert [u.target for u in fake.updates()] == [fake.participants()[0].call_sid]


def test_a_caller_who_waits_past_the_maximum_can_leave_a_message_and_is_called_back(desk_env, fake):
    app, twilio, redis = desk_env
    ask_for_a_person(twilio, SID_A)
    wait = wait_of(app, SID_A)
    hold = parse_twiml(twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=2", call_params(SID_A)))
    assert hold.find("Say") is not None and hold.find("Redirect").text.endswith("n=3")

    age(app, SID_A, 181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=3", call_params(SID_A))
    assert wait_of(app, SID_A).state == "deciding"
    run_jobs(redis)
    [redirect] = fake.updates()
    assert redirect.target == SID_A and redirect.form["Url"].endswith(f"/voice/desk/leave?w={wait.id}")

    offer = parse_twiml(twilio.post(f"/voice/desk/leave?w={wait.id}", call_params(SID_A)))
    assert offer.find("Gather").get("action") == f"/voice/desk/leave?w={wait.id}&k=1"
    consent = parse_twiml(twilio.post(f"/voice/desk/leave?w={wait.id}&k=1", call_params(SID_A, Digits="1")))
    assert "consent" in consent.find("Gather").get("action")
    assert wait_of(app, SID_A).state == "message"
    recording = parse_twiml(twilio.post("/voice/ivr/consent?s=4&try=1", call_params(SID_A, Digits="1")))
    assert recording.find("Record") is not None
    twilio.post("/voice/status", call_params(SID_A, CallStatus="completed", CallDuration="240", SequenceNumber="9"))
    wait = wait_of(app, SID_A)
    assert wait.state == "message" and wait.callback_due


def test_a_caller_who_chooses_to_keep_waiting_keeps_their_place(desk_env, fake):
    app, twilio, redis = desk_env
    ask_for_a_person(twilio, SID_A)
    wait = wait_of(app, SID_A)
    age(app, SID_A, 181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=3", call_params(SID_A))
    back = parse_twiml(twilio.post(f"/voice/desk/leave?w={wait.id}&k=1", call_params(SID_A, Digits="2")))
    assert back.find("Dial/Conference").text == f"desk-{SID_A}"
    again = wait_of(app, SID_A)
    assert again.state == "waiting" and again.asked_at == wait.asked_at - timedelta(seconds=181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=4", call_params(SID_A))
    assert wait_of(app, SID_A).state == "waiting"  # offered once: the hold does not take them out again


def test_a_caller_who_hangs_up_in_line_without_consent_is_not_on_the_callback_list(desk_env, fake):
    app, twilio, redis = desk_env
    ask_for_a_person(twilio, SID_A)
    twilio.post("/voice/status", call_params(SID_A, CallStatus="completed", CallDuration="30", SequenceNumber="9"))
    wait = wait_of(app, SID_A)
    assert wait.state == "abandoned" and not wait.callback_due


def test_an_endpoint_twilio_refuses_sets_the_operator_away_and_tries_the_next(desk_env, fake):
    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    operator(app, "op_second", ["th"], "+66811110005")
    fake.fail_next.append((400, {"code": 21217, "message": "Phone number is not a valid phone number", "status": 400}))
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    assert state_of(app, first).state == "away"
    assert [r.form["To"] for r in fake.participants()] == ["+66811110005"]


def test_the_hold_message_puts_a_caller_in_line_whose_ask_was_never_written(desk_env, fake):
    """The database was down when they asked: Twilio still put them in the waiting room."""
    app, twilio, redis = desk_env
    operator(app, "op_th", ["th"], THAI)
    twilio.post("/voice/incoming", call_params(SID_A))
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=1", call_params(SID_A))
    assert wait_of(app, SID_A).state == "waiting"
    run_jobs(redis)
    assert [r.target for r in fake.participants()] == [f"desk-{SID_A}"]


def test_desk_callbacks_need_twilios_signature(desk_env):
    app, twilio, _ = desk_env
    for path in ("/voice/desk/hold?conf=desk-x&n=1", "/voice/desk/leave?w=1", "/voice/desk/conference",
                 "/voice/desk/participant?o=1"):
        assert twilio.post(path, call_params(), signature="forged").status_code == 403


def test_unknown_offers_and_conferences_are_answered_quietly(desk_env):
    app, twilio, _ = desk_env
    for path in ("/voice/desk/participant?o=999", "/voice/desk/participant?o=x", "/voice/desk/conference"):
        assert parse_twiml(twilio.post(path, call_params(CallStatus="completed", FriendlyName="desk-nobody"))) is not None
    assert parse_twiml(twilio.post("/voice/desk/leave?w=999&k=1", call_params(Digits="1"))).find("Record") is not None


def test_the_one_line_setting_still_dials_one_number(ladder_env):
    """A site without the desk (OPERATOR_DIAL_TARGET a number) keeps its `<Dial>`."""
    app, twilio, _ = ladder_env
    answer = parse_twiml(ask_for_a_person(twilio, SID_A))
    assert answer.find("Dial/Number") is not None and answer.find("Dial/Conference") is None
    with app.extensions["sessions"]() as session:
        assert session.scalars(select(DeskWait)).all() == []


def test_a_trainees_simulated_call_never_rings_a_real_operator(desk_env, fake):
    from models.calls import SIMULATED_PREFIX

    app, twilio, redis = desk_env
    operator(app, "op_th", ["th"], THAI)
    sid = SIMULATED_PREFIX + "0" * 24
    answer = parse_twiml(ask_for_a_person(twilio, sid))
    assert answer.find("Dial/Conference") is not None  # the trainee still hears the waiting room
    twilio.post(f"/voice/desk/hold?conf=desk-{sid}&n=1", call_params(sid))
    run_jobs(redis)
    assert fake.participants() == []
    with app.extensions["sessions"]() as session:
        assert session.scalars(select(DeskWait)).all() == []


def test_wrap_up_ends_by_itself_and_the_next_caller_is_offered(desk_env, fake):
    app, twilio, redis = desk_env
    only = operator(app, "op_th", ["th"], THAI)
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    fake.leg(twilio, fake.participants()[0], "in-progress", "completed")
    ask_for_a_person(twilio, SID_B)
    sweep(app, redis)
    assert state_of(app, only).state == "wrap_up" and len(fake.participants()) == 1  # notes first
    with app.extensions["sessions"].begin() as session:
        session.get(DeskProfile, only).wrap_up_until = utcnow() - timedelta(seconds=1)
    sweep(app, redis)
    assert state_of(app, only).state == "offered"
    assert [r.target for r in fake.participants()] == [f"desk-{SID_A}", f"desk-{SID_B}"]


def test_the_first_operator_leaving_a_transferred_call_does_not_end_the_callers_talk(desk_env, fake):
    """The second operator of a warm transfer still talks with the caller: the call's talk has not ended."""
    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    second = operator(app, "op_second", ["th"], "+66811110005", available=False)
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    fake.leg(twilio, fake.participants()[0], "in-progress")
    with app.extensions["sessions"].begin() as session:
        wait = session.scalars(select(DeskWait)).one()
        session.add(DeskOffer(wait_id=wait.id, user_id=second, state="answered", endpoint="+66811110005",
                              offered_at=utcnow(), answered_at=utcnow(), attempts=1))
    fake.leg(twilio, fake.participants()[0], "completed")
    assert state_of(app, first).state == "wrap_up" and wait_of(app, SID_A).ended_at is None


def test_desk_events_read_as_words_on_the_call_page():
    from hotline.console.call_page import desk_detail

    assert desk_detail("desk:offer:7:in-progress:2") == "operator rung: in-progress"
    assert desk_detail("desk:conference:participant-join:3:CA1") == "conference: participant-join"
    assert desk_detail("desk:control:hold:1:sent") == "call control: hold sent"
    assert desk_detail("desk") == ""  # a key without its parts says nothing rather than guess


def test_a_dial_that_died_on_the_way_to_twilio_frees_the_operator_unmarked_and_is_never_sent_twice(desk_env, fake):
    from workers import desk_twilio, runtime

    app, twilio, redis = desk_env
    first = operator(app, "op_first", ["th"], THAI)
    ask_for_a_person(twilio, SID_A)
    with app.extensions["sessions"].begin() as session:
        from casework import desk_line

        desk_line.route(session, app.config["HOTLINE"])
        offer = session.scalars(select(DeskOffer)).one()
        offer.attempts, offer.offered_at = 1, offer.offered_at - timedelta(seconds=60)  # its worker died mid-dial
        offer_id = offer.id
    desk_twilio.ring_in(runtime.current(), offer_id)  # the swept ring job
    assert fake.participants() == []  # not dialled a second time
    with app.extensions["sessions"].begin() as session:
        session.get(DeskProfile, first).state_since -= timedelta(seconds=1)
    sweep(app, redis)
    profile = state_of(app, first)
    assert profile.missed_at is None
    assert [r.target for r in fake.participants()] == [f"desk-{SID_A}"]  # freed, and offered the caller again


def test_a_caller_who_kept_waiting_is_offered_the_message_again_after_another_maximum_wait(desk_env, fake):
    app, twilio, redis = desk_env
    ask_for_a_person(twilio, SID_A)
    wait = wait_of(app, SID_A)
    age(app, SID_A, 181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=3", call_params(SID_A))
    twilio.post(f"/voice/desk/leave?w={wait.id}&k=1", call_params(SID_A, Digits="2"))
    with app.extensions["sessions"].begin() as session:
        session.get(DeskWait, wait.id).message_offered_at -= timedelta(seconds=181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=9", call_params(SID_A))
    assert wait_of(app, SID_A).state == "deciding"


def test_each_message_offer_is_its_own_job_and_a_lost_one_puts_the_caller_back_in_line(desk_env, fake):
    app, twilio, redis = desk_env
    ask_for_a_person(twilio, SID_A)
    wait = wait_of(app, SID_A)
    age(app, SID_A, 181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=3", call_params(SID_A))
    run_jobs(redis)
    twilio.post(f"/voice/desk/leave?w={wait.id}&k=1", call_params(SID_A, Digits="2"))
    with app.extensions["sessions"].begin() as session:
        session.get(DeskWait, wait.id).message_offered_at -= timedelta(seconds=181)
    twilio.post(f"/voice/desk/hold?conf=desk-{SID_A}&n=9", call_params(SID_A))
    run_jobs(redis)
    assert len(fake.updates()) == 2  # the second offer was sent too

    with app.extensions["sessions"].begin() as session:
        session.get(DeskWait, wait.id).message_offered_at -= timedelta(seconds=121)
    sweep(app, redis)
    assert wait_of(app, SID_A).state == "waiting"


def test_an_operator_who_takes_calls_in_the_browser_is_dialled_at_their_voice_sdk_identity(desk_env, fake):
    """The desk dials `client:user-<id>`: the identity of that user's own access token (/console/desk/token)."""
    app, twilio, redis = desk_env
    browser = operator(app, "op_browser", ["th"], "browser")
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.form["To"] == f"client:user-{browser}" and ring.target == f"desk-{SID_A}"
    fake.leg(twilio, ring, "ringing", "in-progress")
    assert wait_of(app, SID_A).answered_by == browser


def test_an_operator_on_a_sip_phone_is_dialled_at_their_sip_address(desk_env, fake):
    app, twilio, redis = desk_env
    sip = operator(app, "op_sip", ["th"], "sip:op1@pbx.1300.example.org")
    ask_for_a_person(twilio, SID_A)
    run_jobs(redis)
    [ring] = fake.participants()
    assert ring.form["To"] == "sip:op1@pbx.1300.example.org"
    fake.leg(twilio, ring, "ringing", "in-progress", "completed")
    assert wait_of(app, SID_A).answered_by == sip and state_of(app, sip).state == "wrap_up"
