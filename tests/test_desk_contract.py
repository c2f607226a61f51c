"""Every REST request the operator desk makes (issue 16), against Twilio's own OpenAPI description served by the
Prism mock: an operator and an interpreter dialled into a caller's conference (participants create), a caller
taken to the message keys and a ring stopped (calls update).

The requests are the real ones: prepared by casework.desk_dial from seeded rows (SQLite and PostgreSQL), sent by
workers.desk_twilio.send with the official client. Prism refuses (422) anything the description forbids, which
the last test shows, so a passing request here is one Twilio's description accepts.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from helpers.prism import prism_mock, relaxed_copy
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient

from casework import desk, desk_dial
from casework.config import Config
from models import Call, DeskOffer, DeskWait, Interpreter, User, make_engine, make_sessionmaker, utcnow
from workers import desk_twilio

ACCOUNT = "AC" + "0123456789abcdef" * 2
CALLER_SID = "CA" + "c" * 32  # the caller's call, as Twilio names it (hex)
OPERATOR_PHONE, INTERPRETER_PHONE = "+66811110001", "+66822220003"
PARTICIPANTS = "/2010-04-01/Accounts/{a}/Conferences/{c}/Participants.json"
CALL = "/2010-04-01/Accounts/{a}/Calls/{c}.json"


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prism_desk")
    with prism_mock(relaxed_copy(tmp / "twilio_api_v2010.json"), tmp / "prism.log") as url:
        yield url


@pytest.fixture
def wire(monkeypatch):
    """Every request the Twilio client sends (method, URL, form)."""
    seen, original = [], TwilioHttpClient.request

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        seen.append({"method": method, "url": url, "data": dict(data or {})})
        return original(self, method, url, params=params, data=data, headers=headers, **kwargs)

    monkeypatch.setattr(TwilioHttpClient, "request", request)
    return seen


def desk_config(base_url: str, database_url: str) -> Config:
    cfg = Config(ENV="test", DATABASE_URL=database_url, TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN="test-auth-token",
                 TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=base_url, OPERATOR_DIAL_TARGET="desk",
                 PUBLIC_BASE_URL="https://hotline.example.go.th", SECRET_KEY="test")
    cfg.check()
    return cfg


@pytest.fixture
def rows(database_url):
    """A Burmese caller waiting in their conference, an operator's offer ringing, the on-duty interpreter."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        user = User(username="op_contract", role="operator", password_hash="x", active=True, language="th")
        session.add(user)
        session.flush()
        desk.save_profile(session, user, ["th"], OPERATOR_PHONE, "test")
        call = Call(call_sid=CALLER_SID, status="in-progress", language="my")
        interpreter = Interpreter(name="Ko Aung", phone=INTERPRETER_PHONE, language="my", on_duty=True, active=True)
        session.add_all([call, interpreter])
        session.flush()
        wait = DeskWait(call_id=call.id, conference=f"desk-{CALLER_SID}", language="my", state="waiting",
                        interpreter_id=interpreter.id)
        session.add(wait)
        session.flush()
        offer = DeskOffer(wait_id=wait.id, user_id=user.id, endpoint=OPERATOR_PHONE, state="ringing")
        session.add(offer)
        session.flush()
        ids = SimpleNamespace(wait=wait.id, offer=offer.id, user=user.id)
    yield sessions, ids
    engine.dispose()


def send(cfg, request) -> str:
    return desk_twilio.send(SimpleNamespace(config=cfg), request)


def test_ringing_an_operator_and_adding_the_interpreter_pass_twilios_description(prism_url, database_url, rows,
                                                                                    wire):
    sessions, ids = rows
    cfg = desk_config(prism_url, database_url)
    with sessions.begin() as session:
        ring = desk_dial.ring(session, cfg, ids.offer)
    leg = send(cfg, ring)
    assert re.fullmatch(r"CA[0-9a-fA-F]{32}", leg)
    with sessions.begin() as session:  # Twilio's answer is the operator's leg: recorded for the hang-up
        desk_dial.rung(session, ids.offer, leg)
        wait = session.get(DeskWait, ids.wait)
        wait.state, wait.answered_by, wait.answered_at = "answered", ids.user, utcnow()
    with sessions.begin() as session:
        interpreter = desk_dial.add_interpreter(session, cfg, ids.wait)
    assert re.fullmatch(r"CA[0-9a-fA-F]{32}", send(cfg, interpreter))

    operator, added = wire
    assert operator["method"] == "POST" and added["method"] == "POST"
    conference = prism_url + PARTICIPANTS.format(a=ACCOUNT, c=f"desk-{CALLER_SID}")
    assert operator["url"] == conference and added["url"] == conference
    assert operator["data"]["To"] == OPERATOR_PHONE and operator["data"]["Label"] == f"operator-{ids.user}"
    assert operator["data"]["StatusCallback"].startswith("https://hotline.example.go.th/voice/desk/participant?o=")
    assert operator["data"]["StatusCallbackEvent"] == desk_dial.OPERATOR_EVENTS  # a list: repeated form keys
    assert added["data"]["To"] == INTERPRETER_PHONE and added["data"]["EndConferenceOnExit"] == "false"


def test_the_message_redirect_and_the_hang_up_pass_twilios_description(prism_url, database_url, rows, wire):
    sessions, ids = rows
    cfg = desk_config(prism_url, database_url)
    operator_leg = "CA" + "0a" * 16
    with sessions.begin() as session:
        session.get(DeskWait, ids.wait).state = "deciding"
        desk_dial.rung(session, ids.offer, operator_leg)
    with sessions.begin() as session:
        redirect = desk_dial.offer_message(session, cfg, ids.wait)
        hang_up = desk_dial.hang_up(session, ids.offer)
    assert re.fullmatch(r"CA[0-9a-fA-F]{32}", send(cfg, redirect))
    assert re.fullmatch(r"CA[0-9a-fA-F]{32}", send(cfg, hang_up))

    to_keys, stop = wire
    assert to_keys["url"] == prism_url + CALL.format(a=ACCOUNT, c=CALLER_SID)
    assert to_keys["data"] == {"Url": f"https://hotline.example.go.th/voice/desk/leave?w={ids.wait}", "Method": "POST"}
    assert stop["url"] == prism_url + CALL.format(a=ACCOUNT, c=operator_leg)
    assert stop["data"] == {"Status": "canceled"}  # never answered: the ring is cancelled, not completed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_prism_refuses_a_desk_request_the_description_forbids(prism_url, database_url, rows):
    """Without this the tests above could pass against a mock that accepts anything."""
    sessions, ids = rows
    cfg = desk_config(prism_url, database_url)
    with sessions.begin() as session:
        ring = desk_dial.ring(session, cfg, ids.offer)
    no_number = desk_dial.Request(ring.kind, ring.target, {**ring.params, "to": None})  # dropped by the client
    with pytest.raises(TwilioRestException) as refused:
        send(cfg, no_number)
    assert refused.value.status == 422
    not_a_call = desk_dial.Request("hang_up", "desk-not-a-call-sid", {"status": "canceled"})
    with pytest.raises(TwilioRestException) as refused:
        send(cfg, not_a_call)
    assert refused.value.status == 422


def test_the_calls_controls_and_a_call_back_pass_twilios_description(prism_url, database_url, rows, wire):
    """Hold and resume (a participant's update), a hand-over's leaving leg (updated, then hung up), the end (the
    conference's update), and a call back (a new call to the operator's endpoint): each as the desk sends it."""
    from casework import desk_callback, desk_controls

    sessions, ids = rows
    cfg = desk_config(prism_url, database_url)
    conference, operator_leg = "CF" + "1f" * 16, "CA" + "0b" * 16
    with sessions.begin() as session:
        wait = session.get(DeskWait, ids.wait)
        wait.state, wait.answered_by, wait.answered_at, wait.conference_sid = "answered", ids.user, utcnow(), conference
        offer = session.get(DeskOffer, ids.offer)
        offer.state, offer.answered_at, offer.call_sid = "answered", utcnow(), operator_leg
        user, call_id = session.get(User, ids.user), wait.call_id
        for what in ("hold", "resume", "end"):
            desk_controls.request(session, cfg, call_id, what, user)
    sent = []
    for what in ("hold", "resume", "end"):
        with sessions.begin() as session:
            sent += desk_controls.requests(session, cfg, ids.wait, what, 1)
    leaving = desk_controls.Request("participant_update", desk_controls.participant(conference, operator_leg),
                                    {"end_conference_on_exit": False})
    sent.append(leaving)
    for request in sent:
        assert send(cfg, request)

    with sessions.begin() as session:
        wait = session.get(DeskWait, ids.wait)
        wait.state, wait.callback_due, wait.call.from_e164, wait.call.callback_consent = "abandoned", True, \
            "+66812345678", True
        desk_callback.call_back(session, ids.wait, session.get(User, ids.user))
        attempt = desk_callback.attempt(wait)
    with sessions.begin() as session:
        ring = desk_dial.call_back(session, cfg, ids.wait, attempt)
    assert re.fullmatch(r"CA[0-9a-fA-F]{32}", send(cfg, ring))

    hold, resume, end, leave, back = wire
    participant = prism_url + f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{conference}/Participants/{CALLER_SID}.json"
    assert (hold["url"], hold["data"]) == (participant, {"Hold": "true"})
    assert (resume["url"], resume["data"]) == (participant, {"Hold": "false"})
    assert (end["url"], end["data"]) == (prism_url + f"/2010-04-01/Accounts/{ACCOUNT}/Conferences/{conference}.json",
                                         {"Status": "completed"})
    assert leave["data"] == {"EndConferenceOnExit": "false"}
    assert back["url"] == prism_url + f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
    assert back["data"]["To"] == OPERATOR_PHONE and back["data"]["Url"].startswith(
        "https://hotline.example.go.th/voice/desk/callback?w=")
