"""Training at the operator desk (issue 16): with no Twilio credentials every desk REST request is a dry run, so a
trainee's simulated call enters the line, is offered to operators, and the console's simulator (or `flask calls
simulate`) plays the operator's side with the participant callbacks Twilio would send. On SQLite and PostgreSQL,
with real Redis and RQ jobs. (With credentials a simulated call never enters the line: tests/test_desk_routing.py.)"""
from __future__ import annotations

import html
import re

import pytest
from helpers.console_support import Browser, add_user
from helpers.ladder import run_jobs
from sqlalchemy import select

from casework import desk
from casework.config import Config
from hotline import create_app
from models import Call, Case, DeskOffer, DeskProfile, DeskWait, Message, User


class Trainer:
    """A logged-in browser on the simulator page (as in tests/console/test_simulator.py)."""

    def __init__(self, browser: Browser):
        self.browser, self.page = browser, ""

    def start(self, caller: str = "mobile") -> str:
        return self.post("/console/simulator/call", {"caller": caller})

    def press(self, *keys: str) -> str:
        for key in keys:
            self.post("/console/simulator/press", {"key": key})
        return self.page

    def post(self, path: str, data: dict) -> str:
        response = self.browser.post(path, data)
        assert response.status_code == 303, (path, data, response.status_code)
        self.page = self.browser.get(response.location).get_data(as_text=True)
        return self.page

    def text(self, element_id: str) -> str:
        found = re.search(rf'<(\w+) id="{element_id}"[^>]*>(.*?)</\1>', self.page, re.S)
        assert found, element_id
        return html.unescape(re.sub(r"<[^>]+>", " ", found[2]))


@pytest.fixture
def rehearsal(ladder_env):
    """ladder_env with the desk on and no Twilio account: every desk request is a dry run."""
    app, _, redis = ladder_env
    from workers import runtime

    cfg = Config(**{**app.config["HOTLINE"].__dict__, "OPERATOR_DIAL_TARGET": "desk", "TWILIO_ACCOUNT_SID": None,
                    "DESK_OFFER_SECONDS": 20, "DESK_MAX_WAIT": 180})
    assert cfg.sms_dry_run
    runtime.start(cfg)
    desk_app = create_app(cfg)
    with desk_app.extensions["sessions"].begin() as session:
        add_user(session, "trainer", "supervisor")
    trainer = Trainer(Browser(desk_app.test_client()))
    assert trainer.browser.login("trainer").status_code == 302
    yield desk_app, trainer, redis


def operator(app, username: str) -> int:
    with app.extensions["sessions"].begin() as session:
        user = User(username=username, role="operator", password_hash="x", active=True, language="th")
        session.add(user)
        session.flush()
        desk.save_profile(session, user, ["th"], "+66811110001", "test")
        desk.set_state(session, user, "available", "test")
        return user.id


def look(app, model, **where):
    with app.extensions["sessions"]() as session:
        rows = session.scalars(select(model).filter_by(**where).order_by(*model.__table__.primary_key)).all()
        session.expunge_all()
        return rows


def profile(app, user_id: int) -> DeskProfile:
    [found] = look(app, DeskProfile, user_id=user_id)
    return found


def asks_for_a_person(trainer: Trainer, redis, keys: tuple[str, ...] = ("1", "2")) -> str:
    """Thai, then "other help" (or the danger keys, which open a case): the waiting room; the route job offers
    the call."""
    trainer.start("mobile")
    trainer.press(*keys)
    assert "desk-CAsimulator" in trainer.text("sim-step")
    run_jobs(redis)
    return trainer.browser.get("/console/simulator").get_data(as_text=True)


def operator_does(trainer: Trainer, action: str, offer_id: int) -> str:
    return trainer.post("/console/simulator/operator", {"do": action, "offer": str(offer_id)})


def test_a_trainee_walks_the_desk_and_answers_as_op1(rehearsal):
    app, trainer, redis = rehearsal
    op1 = operator(app, "op1")
    trainer.page = asks_for_a_person(trainer, redis, ("1", "1", "1"))  # Thai, a report, in danger now
    [wait] = look(app, DeskWait)
    [offer] = look(app, DeskOffer)
    assert (offer.user_id, offer.state) == (op1, "ringing") and offer.call_sid.startswith("DR")  # a dry run
    assert wait.state == "offered" and wait.urgent and profile(app, op1).state == "offered"
    assert "Offered to op1: ringing." in trainer.text("sim-desk-line") and "Answer as op1" in trainer.page
    assert trainer.text("sim-hold").split() != ["Hold", "message:", "Silence."]  # its second turn says the place

    operator_does(trainer, "answer", offer.id)
    [wait] = look(app, DeskWait)
    assert (wait.state, wait.answered_by) == ("answered", op1) and profile(app, op1).state == "on_call"
    assert "Answered by op1." in trainer.text("sim-desk-line") and "Hang up (operator)" in trainer.page

    operator_does(trainer, "hang-up", offer.id)
    assert profile(app, op1).state == "wrap_up"
    assert "the call has ended" in trainer.text("sim-step")
    [call] = look(app, Call)
    [case] = look(app, Case)
    assert call.simulated and call.ended_at is not None
    assert case.source == "training" and case.reference.startswith("TRAIN-") and case.status == "closed"
    run_jobs(redis)
    assert look(app, Message) == []  # a training case is never texted


def test_dont_answer_sets_op1_away_and_offers_the_next_operator(rehearsal):
    app, trainer, redis = rehearsal
    first, second = operator(app, "op1"), operator(app, "op2")
    asks_for_a_person(trainer, redis)
    [offer] = look(app, DeskOffer)
    missed, other = (first, second) if offer.user_id == first else (second, first)
    names = {first: "op1", second: "op2"}

    operator_does(trainer, "no-answer", offer.id)
    assert look(app, DeskOffer, id=offer.id)[0].state == "missed"
    missed_profile = profile(app, missed)
    assert missed_profile.state == "away" and missed_profile.missed_at is not None
    run_jobs(redis)
    page = trainer.browser.get("/console/simulator").get_data(as_text=True)
    [_, again] = look(app, DeskOffer)
    assert (again.user_id, again.state) == (other, "ringing")
    assert f"Answer as {names[other]}" in page and f"Not answered by: {names[missed]}" in page


def test_the_operator_side_acts_only_on_the_offer_it_shows(rehearsal):
    app, trainer, redis = rehearsal
    op1 = operator(app, "op1")
    asks_for_a_person(trainer, redis)
    [offer] = look(app, DeskOffer)
    assert trainer.browser.post("/console/simulator/operator", {"do": "answer", "offer": "x"}).status_code == 400
    assert trainer.browser.post("/console/simulator/operator", {"do": "pick-up", "offer": "1"}).status_code == 400
    page = operator_does(trainer, "answer", offer.id + 1)  # a stale or another call's offer
    assert "The line has moved on" in page and look(app, DeskOffer)[0].state == "ringing"
    page = operator_does(trainer, "hang-up", offer.id)  # nothing answered yet
    assert "The line has moved on" in page and profile(app, op1).state == "offered"


def test_flask_calls_simulate_answers_as_the_operator(rehearsal):
    app, _trainer, redis = rehearsal
    op1 = operator(app, "op1")
    result = app.test_cli_runner().invoke(args=["calls", "simulate", "--press", "1,2", "--operator", "op1"])
    assert result.exit_code == 0, result.output
    assert "[offered to op1: answers]" in result.output and "[op1 hangs up]" in result.output
    [wait] = look(app, DeskWait)
    assert (wait.state, wait.answered_by) == ("answered", op1) and wait.ended_at is not None
    assert profile(app, op1).state == "wrap_up"
    [call] = look(app, Call)
    assert call.simulated and call.ended_at is not None


def test_flask_calls_simulate_no_answer_leaves_the_operator_away(rehearsal):
    app, _trainer, redis = rehearsal
    op1 = operator(app, "op1")
    result = app.test_cli_runner().invoke(args=["calls", "simulate", "--press", "1,2", "--no-answer",
                                                  "--desk-wait", "1"])
    assert result.exit_code == 0, result.output
    assert "[offered to op1: no answer]" in result.output
    assert profile(app, op1).state == "away" and look(app, DeskOffer)[0].state == "missed"
    assert look(app, DeskWait)[0].state == "abandoned"  # nobody else free; the caller hung up


def test_with_twilio_credentials_neither_the_simulator_nor_the_cli_puts_a_training_call_in_line(ladder_env):
    app, _, redis = ladder_env
    from workers import runtime

    cfg = Config(**{**app.config["HOTLINE"].__dict__, "OPERATOR_DIAL_TARGET": "desk",
                    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_FROM_NUMBER": "+6621300000"})
    assert not cfg.sms_dry_run
    runtime.start(cfg)
    live = create_app(cfg)
    operator(live, "op1")
    with live.extensions["sessions"].begin() as session:
        add_user(session, "trainer", "supervisor")
    trainer = Trainer(Browser(live.test_client()))
    assert trainer.browser.login("trainer").status_code == 302
    page = asks_for_a_person(trainer, redis)
    assert 'id="sim-desk"' not in page and "Operator answers" in page  # the plain operator-line buttons
    result = live.test_cli_runner().invoke(args=["calls", "simulate", "--press", "1,2", "--operator", "op1",
                                                 "--desk-wait", "0.5"])
    assert "[not in the desk's line: simulated calls enter it only in a dry run]" in result.output
    assert look(live, DeskWait) == [] and look(live, DeskOffer) == []


def test_a_spooled_ask_of_a_simulated_call_enters_the_line_only_in_a_rehearsal(rehearsal):
    from helpers.support import call_params

    from casework import spool
    from hotline.simulator import simulated_call_sid
    from models import utcnow

    app, _trainer, _redis = rehearsal
    config, sid = app.config["HOTLINE"], simulated_call_sid()
    record = {"kind": "ivr", "form": call_params(sid, Digits="2"), "args": {"node": "main", "s": "2", "try": "1"},
              "received_at": utcnow().isoformat()}
    assert spool.write(app.extensions["sessions"], record, config)  # the route job's id
    assert [wait.conference for wait in look(app, DeskWait)] == [f"desk-{sid}"]

    live = Config(**{**config.__dict__, "TWILIO_ACCOUNT_SID": "AC" + "0" * 32})
    other = simulated_call_sid()
    record = {**record, "form": call_params(other, Digits="2")}
    assert spool.write(app.extensions["sessions"], record, live) == []
    assert len(look(app, DeskWait)) == 1
