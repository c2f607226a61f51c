"""The callback list and "Call back" (issue 16), end to end on SQLite and PostgreSQL with real Redis and RQ jobs
and a fake Twilio REST API: a caller who hung up waiting with consent is listed (masked), one without is not;
Call back rings the operator's own endpoint, whose answer dials the caller, recorded, logged on the call."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from helpers.console_support import Browser, add_user
from helpers.ladder import run_jobs
from helpers.support import call_params, parse_twiml
from sqlalchemy import select

from casework import desk
from models import AuditEntry, Call, CallEvent, DeskWait

OPERATOR_PHONE = "+66811110001"
CALLER, OTHER = "+66898765432", "+66891112222"
SID_A, SID_B = "CA" + "a" * 32, "CA" + "b" * 32


@pytest.fixture
def fake(desk_twilio):
    return desk_twilio


def staff(app, username: str, role: str = "operator", endpoint: str | None = OPERATOR_PHONE) -> Browser:
    """A logged-in console user; with a desk profile ringing `endpoint` unless it is None."""
    with app.extensions["sessions"]() as session:
        user = add_user(session, username, role)
        if endpoint is not None:
            desk.save_profile(session, user, ["th"], endpoint, "test")
            session.commit()
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def hang_up_waiting(twilio, sid: str, number: str, consent: bool | None, app) -> int:
    """A caller asks for a person, said (or not) that a callback is safe, and hangs up in line: their wait's id."""
    twilio.post("/voice/incoming", call_params(sid, From=number))
    twilio.post("/voice/ivr/language?s=1&try=1", call_params(sid, From=number, Digits="1"))
    twilio.post("/voice/ivr/main?s=2&try=1", call_params(sid, From=number, Digits="2"))
    with app.extensions["sessions"].begin() as session:
        session.scalar(select(Call).where(Call.call_sid == sid)).callback_consent = consent
    twilio.post("/voice/status", call_params(sid, From=number, CallStatus="completed", CallDuration="40",
                                             SequenceNumber="9"))
    with app.extensions["sessions"]() as session:
        return session.scalar(select(DeskWait.id).join(Call).where(Call.call_sid == sid))


def wait_row(app, wait_id: int) -> DeskWait:
    with app.extensions["sessions"]() as session:
        wait = session.get(DeskWait, wait_id)
        session.expunge_all()
        return wait


def event_keys(app, sid: str) -> list[str]:
    with app.extensions["sessions"]() as session:
        return list(session.scalars(select(CallEvent.key).join(Call).where(
            Call.call_sid == sid, CallEvent.key.like("desk:callback:%")).order_by(CallEvent.id)))


def test_a_caller_who_hung_up_with_consent_is_listed_masked_and_one_without_is_not(desk_env):
    app, twilio, _redis = desk_env
    listed = hang_up_waiting(twilio, SID_A, CALLER, True, app)
    hang_up_waiting(twilio, SID_B, OTHER, False, app)
    page = staff(app, "op_list").get("/console/callbacks").get_data(as_text=True)
    assert "+66 8X XXX 5432" in page and CALLER not in page and "8765" not in page
    assert "2222" not in page  # no consent: not on the list
    assert f"/console/callbacks/{listed}/call" in page and "hung up waiting" in page
    assert wait_row(app, listed).callback_due


def test_call_back_rings_my_endpoint_and_its_answer_dials_the_caller_recorded(desk_env, fake):
    app, twilio, redis = desk_env
    wait_id = hang_up_waiting(twilio, SID_A, CALLER, True, app)
    operator = staff(app, "op_back")
    response = operator.post(f"/console/callbacks/{wait_id}/call", {})
    assert response.status_code == 302 and response.location == "/console/callbacks"
    wait = wait_row(app, wait_id)
    assert wait.callback_at is not None and wait.callback_by is not None
    assert f"/console/callbacks/{wait_id}/call" not in operator.get("/console/callbacks").get_data(as_text=True)
    with app.extensions["sessions"]() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "call_back")).one()
        assert (entry.user_id, entry.target) == (wait.callback_by, f"desk_wait:{wait_id}")

    run_jobs(redis)
    [ring] = fake.calls()
    assert ring.form["To"] == OPERATOR_PHONE and ring.form["From"] == "+6621300000"
    url = ring.form["Url"]
    assert url == f"https://hotline.example.go.th/voice/desk/callback?w={wait_id}&u={wait.callback_by}"
    assert CALLER not in str(ring.form)  # the caller's number only leaves in the TwiML Twilio fetches

    from workers import desk_twilio

    desk_twilio.call_back(wait_id, wait.callback_at.strftime("%Y%m%d%H%M%S"))  # the job again: no second ring
    assert len(fake.calls()) == 1

    parts = urlsplit(url)
    leg = {"CallSid": ring.call_sid, "AccountSid": "AC" + "0" * 32, "From": "+6621300000", "To": OPERATOR_PHONE,
           "CallStatus": "in-progress", "Direction": "outbound-api"}
    answer = parse_twiml(twilio.post(f"{parts.path}?{parts.query}", leg, signed_url=url))
    assert answer.find("Say") is not None
    dial = answer.find("Dial")
    assert dial.get("record") == "record-from-answer-dual" and dial.get("callerId") == "+6621300000"
    assert dial.get("recordingStatusCallback") == "/voice/recording"
    number = dial.find("Number")
    assert number.text == CALLER
    status_url = number.get("statusCallback")
    assert status_url == f"/voice/desk/callback?w={wait_id}&u={wait.callback_by}&leg=1"
    done = {"CallSid": "CA" + "c" * 32, "AccountSid": "AC" + "0" * 32, "CallStatus": "completed",
            "CallDuration": "95", "SequenceNumber": "3", "To": CALLER}
    for _twice in range(2):  # a retried callback writes once
        assert twilio.post(status_url, done).status_code == 200
    keys = event_keys(app, SID_A)
    assert [key.split(":")[3] for key in keys] == ["requested", "rung", "answered", "completed"]
    page = operator.get(f"/console/calls/{wait_row(app, wait_id).call_id}").get_data(as_text=True)
    assert "call back asked by op_back" in page and "call back: completed 95 s" in page


def test_call_back_is_refused_without_consent_a_number_or_a_desk_profile(desk_env, fake):
    app, twilio, redis = desk_env
    wait_id = hang_up_waiting(twilio, SID_A, CALLER, True, app)
    no_profile = staff(app, "admin_nodesk", role="admin", endpoint=None)
    response = no_profile.post(f"/console/callbacks/{wait_id}/call", {})
    assert response.status_code == 409 and "no desk profile" in response.get_data(as_text=True)
    operator = staff(app, "op_refused")
    with app.extensions["sessions"].begin() as session:
        session.get(DeskWait, wait_id).call.callback_consent = False  # changed their mind on a later call's question
    response = operator.post(f"/console/callbacks/{wait_id}/call", {})
    assert response.status_code == 409 and "8765" not in operator.get("/console/callbacks").get_data(as_text=True)
    with app.extensions["sessions"].begin() as session:
        call = session.get(DeskWait, wait_id).call
        call.callback_consent, call.caller_withheld, call.from_e164 = True, True, None
    response = operator.post(f"/console/callbacks/{wait_id}/call", {})
    assert response.status_code == 409 and "withheld" in response.get_data(as_text=True)
    assert operator.post("/console/callbacks/99999/call", {}).status_code == 404
    run_jobs(redis)
    assert fake.calls() == [] and wait_row(app, wait_id).callback_at is None


def test_no_second_call_back_and_a_caller_whose_consent_went_is_not_dialled(desk_env, fake):
    app, twilio, redis = desk_env
    wait_id = hang_up_waiting(twilio, SID_A, CALLER, True, app)
    first, second = staff(app, "op_first"), staff(app, "op_second", endpoint="+66811110002")
    assert first.post(f"/console/callbacks/{wait_id}/call", {}).status_code == 302
    response = second.post(f"/console/callbacks/{wait_id}/call", {})
    assert response.status_code == 409 and "no longer on the callback list" in response.get_data(as_text=True)
    run_jobs(redis)
    [ring] = fake.calls()
    with app.extensions["sessions"].begin() as session:
        session.get(DeskWait, wait_id).call.callback_consent = False
    url = ring.form["Url"]
    parts = urlsplit(url)
    answer = parse_twiml(twilio.post(f"{parts.path}?{parts.query}", {"CallSid": ring.call_sid,
                                                                     "AccountSid": "AC" + "0" * 32}, signed_url=url))
    assert answer.find("Dial") is None and answer.find("Hangup") is not None


def test_an_endpoint_twilio_refuses_puts_the_caller_back_on_the_list(desk_env, fake):
    app, twilio, redis = desk_env
    wait_id = hang_up_waiting(twilio, SID_A, CALLER, True, app)
    operator = staff(app, "op_badphone")
    fake.fail_next.append((400, {"code": 21211, "message": "invalid 'To'", "status": 400}))
    assert operator.post(f"/console/callbacks/{wait_id}/call", {}).status_code == 302
    run_jobs(redis)
    wait = wait_row(app, wait_id)
    assert wait.callback_at is None and wait.callback_by is None and wait.callback_due
    assert [key.split(":")[3] for key in event_keys(app, SID_A)] == ["requested", "refused"]
    assert f"/console/callbacks/{wait_id}/call" in operator.get("/console/callbacks").get_data(as_text=True)
