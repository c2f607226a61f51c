"""The IVR simulator page: a dial pad that plays the real menu through the real, signed webhooks."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from helpers.console_support import Browser
from helpers.ladder import run_jobs
from helpers.support import AUTH_TOKEN, OPERATOR
from sqlalchemy import select

from casework import training
from hotline.console.simulator_line import new_call_sid
from models import Call, CallEvent, Case, Escalation, Message, OutboxItem, utcnow
from models.calls import is_simulated_call_sid
from models.reference import is_demo_number


class Trainer:
    """A logged-in browser on the simulator page."""

    def __init__(self, browser: Browser):
        self.browser = browser
        self.page = ""

    def start(self, caller: str = "mobile") -> str:
        return self._post("/console/simulator/call", {"caller": caller})

    def press(self, *keys: str) -> str:
        for key in keys:
            self._post("/console/simulator/press", {"key": key})
        return self.page

    def do(self, action: str) -> str:
        return self._post("/console/simulator/press", {"do": action})

    def _post(self, path: str, data: dict) -> str:
        response = self.browser.post(path, data)
        assert response.status_code == 303, (path, data, response.status_code)
        self.page = self.browser.get(response.location).get_data(as_text=True)
        return self.page

    def text(self, element_id: str) -> str:
        found = re.search(rf'<(\w+) id="{element_id}"[^>]*>(.*?)</\1>', self.page, re.S)
        assert found, element_id
        return html.unescape(re.sub(r"<[^>]+>", " ", found[2]))


@pytest.fixture
def trainer(as_role) -> Trainer:
    return Trainer(as_role("operator"))


def the_call(db) -> Call:
    db.expire_all()
    return db.scalars(select(Call)).one()


def test_an_urgent_report_reaches_the_operator_dial_and_opens_a_training_case(trainer, db):
    page = trainer.start("mobile")
    assert "ศูนย์ช่วยเหลือสังคม" in trainer.text("sim-heard") and "For English, press 2." in trainer.text("sim-heard")
    assert "Language" in trainer.text("sim-step")
    trainer.press("1")
    assert "แจ้งเหตุการค้ามนุษย์ กด 1" in trainer.text("sim-heard") and "Main menu" in trainer.text("sim-step")
    trainer.press("1")
    assert "Kind of trafficking" in trainer.text("sim-step")
    page = trainer.press("1")
    assert "เรากำลังโอนสายไปยังเจ้าหน้าที่ทันที" in trainer.text("sim-heard")
    assert "connecting to an operator" in trainer.text("sim-step")
    assert "&lt;Dial action=&#34;/voice/ivr/urgent" in page or "&lt;Dial action=&quot;/voice/ivr/urgent" in page
    assert f"&lt;Number&gt;{OPERATOR}&lt;/Number&gt;" in page and "<Dial" not in page  # escaped, for trainers
    assert "someone is in danger now (urgent)" in trainer.text("sim-path")
    call = the_call(db)
    assert call.simulated and is_simulated_call_sid(call.call_sid) and call.urgency == "urgent"
    assert is_demo_number(call.from_e164)
    case = db.scalars(select(Case)).one()
    assert case.source == "training" and case.status == "new" and case.level == 0
    assert case.reference in trainer.text("sim-case") and "training" in trainer.text("sim-case")
    assert db.scalars(select(OutboxItem)).all() == []  # nothing for a worker: no field team is paged
    trainer.do("completed")
    assert "the call has ended" in trainer.text("sim-step")
    assert "Urgent: operator — connected" in trainer.text("sim-path")
    assert the_call(db).status == "completed"
    assert AUTH_TOKEN not in trainer.page


def test_a_non_urgent_report_in_english_walks_postcode_consent_message_and_goodbye(trainer, db):
    trainer.start("bangkok")
    trainer.press("2")
    assert "To report human trafficking, press 1." in trainer.text("sim-heard")
    trainer.press("1", "3")
    assert "5-digit postcode" in trainer.text("sim-heard") and "Postcode" in trainer.text("sim-step")
    trainer.press("5", "0", "2")
    assert "Keys pressed so far: 502" in trainer.page
    trainer.press("0", "0")
    assert "Thank you." in trainer.text("sim-heard") and "safe for us to call you back" in trainer.text("sim-heard")
    trainer.press("1")
    assert "recording a voice message" in trainer.text("sim-step")
    trainer.do("speak")
    heard = trainer.text("sim-heard")
    case = db.scalars(select(Case)).one()
    digits = " ".join(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][int(d)]
                      for d in case.reference.removeprefix("1300-") if d.isdigit())
    assert "Your case reference is" in heard and digits in heard and "press 0" in heard
    path = trainer.text("sim-path")
    assert "Forced labour" in path and "50200" in path and "Call back on this number — 1: yes" in path
    assert "Voice message — left a message" in path
    trainer.do("silence")  # no key at the goodbye: the menu says goodbye and hangs up
    assert "call 1 9 1" in trainer.text("sim-heard") and "the call has ended" in trainer.text("sim-step")
    call = the_call(db)
    assert (call.language, call.category, call.province_code, call.callback_consent) == ("en", "forced_labour", "50", True)
    assert call.recording_sid and call.recording_url is None and call.status == "completed"
    assert case.source == "training" and db.scalars(select(OutboxItem)).all() == []


def test_a_wrong_key_hears_the_menus_own_retry_prompt_then_an_operator(trainer, db):
    trainer.start("mobile")
    trainer.press("2")  # English
    trainer.press("7")
    assert "Sorry, that is not one of the choices." in trainer.text("sim-heard")
    assert "second try" in trainer.text("sim-step") and "To report human trafficking" in trainer.text("sim-heard")
    trainer.press("7")
    assert "Please hold. We are connecting you to an operator." in trainer.text("sim-heard")
    assert "pressed 7, which is not an option" in trainer.text("sim-path")


def test_silence_at_the_language_menu_repeats_it_then_speaks_thai(trainer):
    trainer.start("mobile")
    trainer.do("silence")
    assert "ขออภัย ไม่ได้ยินการกดปุ่ม" in trainer.text("sim-heard") and "second try" in trainer.text("sim-step")
    trainer.do("silence")
    assert "Main menu" in trainer.text("sim-step") and "แจ้งเหตุการค้ามนุษย์" in trainer.text("sim-heard")


def test_a_withheld_caller_skips_the_callback_question_and_hash_skips_the_postcode(trainer, db):
    trainer.start("withheld")
    trainer.press("2", "1", "9", "#")
    assert "recording a voice message" in trainer.text("sim-step")  # no number: no "may we call back?"
    assert "Postcode — none given" in trainer.text("sim-path")
    assert "Other" in trainer.text("sim-path")
    trainer.do("silence")
    assert "Your case reference is" in trainer.text("sim-heard")
    call = the_call(db)
    assert call.caller_withheld and call.from_e164 is None and call.category == "other"


def test_no_operator_free_takes_a_message_and_the_other_help_branch(trainer):
    trainer.start("mobile")
    trainer.press("2", "2")  # English, other help: straight to an operator
    assert "connecting to an operator" in trainer.text("sim-step")
    trainer.do("busy")
    assert "no operator is free" in trainer.text("sim-heard") and "recording a voice message" in trainer.text("sim-step")
    assert "Operator — not reached (busy)" in trainer.text("sim-path")
    trainer.press("#")  # the caller speaks, then presses hash
    assert "Your call number is" in trainer.text("sim-heard")  # other help opens no case
    trainer.press("0")  # and still asks for a person
    assert "connecting to an operator" in trainer.text("sim-step")
    trainer.do("no-answer")
    assert "not reached (no-answer)" in trainer.text("sim-path")


def test_every_menu_key_of_every_node_is_on_the_pad(trainer):
    from casework.ivr.menu import MENU
    from hotline.console.simulator_line import KEYS

    assert {key for node in MENU.values() for key in node.options} <= set(KEYS)
    page = trainer.start("mobile")
    for key in KEYS:
        assert f'name="key" value="{key}"' in page


def test_hanging_up_a_report_midway_still_opens_a_training_case(trainer, db):
    trainer.start("mobile")
    trainer.press("1", "1", "2")  # Thai, trafficking, sexual exploitation; then the caller hangs up at the postcode
    trainer.do("hang-up")
    assert "the call has ended" in trainer.text("sim-step")
    assert 'name="key" value="1" disabled' in trainer.page
    case = db.scalars(select(Case)).one()
    assert case.source == "training" and case.category == "sexual_exploitation"
    assert the_call(db).status == "completed"


def test_a_new_call_ends_the_old_one_one_call_per_session(trainer, db):
    trainer.start("mobile")
    first = the_call(db).call_sid
    trainer.start("withheld")
    db.expire_all()
    calls = {c.call_sid: c for c in db.scalars(select(Call))}
    assert len(calls) == 2 and calls[first].status == "completed"
    assert all(is_simulated_call_sid(sid) for sid in calls)
    statuses = db.scalars(select(CallEvent.key).where(CallEvent.kind == "status")).all()
    assert len(statuses) == 1


def test_bad_input_is_a_400_never_a_500(trainer, as_role):
    assert trainer.browser.post("/console/simulator/call", {"caller": "+66812345678"}).status_code == 400
    response = trainer.browser.post("/console/simulator/press", {"key": "A"})
    assert response.status_code == 400 and "not a key on the pad" in response.get_data(as_text=True)
    fresh = as_role("supervisor")
    response = fresh.post("/console/simulator/press", {"key": "1"})  # no call yet
    assert response.status_code == 303
    assert "Start a call first." in fresh.get(response.location).get_data(as_text=True)


def test_every_press_needs_the_csrf_token(as_role):
    browser = as_role("operator")
    assert browser.post("/console/simulator/call", {"caller": "mobile"}, token=False).status_code == 400
    assert browser.post("/console/simulator/press", {"key": "1"}, token=False).status_code == 400


def test_field_officers_have_no_simulator_and_no_nav_link(as_role):
    officer = as_role("field_officer")
    assert officer.get("/console/simulator").status_code == 403
    assert "/console/simulator" not in officer.get("/console/").get_data(as_text=True)
    assert 'href="/console/simulator"' in as_role("operator").get("/console/").get_data(as_text=True)


def test_simulated_call_sids_never_look_like_twilios():
    sid = new_call_sid()
    assert is_simulated_call_sid(sid) and len(sid) <= 64
    assert not is_simulated_call_sid("CA" + "0123456789abcdef" * 2)
    assert not is_simulated_call_sid(sid + "0") and not is_simulated_call_sid(None)


def test_a_simulated_urgent_report_never_pages_a_field_team(ladder_env, users, db):
    """With a real roster and workers running, a training case stays off the SMS ladder."""
    app, _twilio, redis = ladder_env
    trainer = Trainer(Browser(app.test_client()))
    assert trainer.browser.login("supervisor").status_code == 302
    trainer.start("mobile")
    trainer.press("1", "1", "1")
    trainer.do("no-answer")
    trainer.do("speak")
    trainer.do("hang-up")
    run_jobs(redis)
    assert the_call(db).simulated
    from workers import jobs

    case_id = db.scalars(select(Case.id)).one()
    jobs.start_escalation(case_id)  # even if a job ran for it (a sweep, a retry), the ladder refuses a training case
    jobs.start_escalation(case_id)
    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert case.source == "training" and case.status == "closed" and case.sla_due_at is None  # closed at hang-up
    assert db.scalars(select(Escalation)).all() == [] and db.scalars(select(Message)).all() == []
    assert redis.keys("hotline:simulator:*")  # the line's state lives in Redis when there is one


def test_a_refused_webhook_is_shown_not_hidden(trainer, monkeypatch):
    from twilio.request_validator import RequestValidator

    from hotline.console import simulator_page

    monkeypatch.setattr(simulator_page, "RequestValidator", lambda _token: RequestValidator("a wrong token"))
    trainer.start("mobile")
    assert "answered HTTP 403" in trainer.page and "the call has ended" in trainer.text("sim-step")


def test_every_language_and_every_kind_of_report_is_reachable(trainer, db):
    from casework.ivr.menu import MENU

    for key, language in [("3", "Burmese"), ("4", "Khmer"), ("5", "Lao")]:
        trainer.start("withheld")
        trainer.press(key)
        assert "Main menu" in trainer.text("sim-step") and language in trainer.text("sim-path")
        assert "To report human trafficking, press 1." in trainer.text("sim-heard")  # no recordings: English text
    for key, go in MENU["kind"].options.items():
        trainer.start("mobile")
        trainer.press("1", "1", key)
        if "category" in go.sets:
            assert "Postcode" in trainer.text("sim-step"), key
            assert "Kind of trafficking — " + key in trainer.text("sim-path")
        elif MENU[go.to].kind == "operator":  # 1 urgent, 0 an operator
            assert "connecting to an operator" in trainer.text("sim-step"), key
        else:
            assert "Kind of trafficking" in trainer.text("sim-step"), key  # "*": hear it again
    db.expire_all()
    assert {c.category for c in db.scalars(select(Call))} >= {go.sets["category"] for go in MENU["kind"].options.values()
                                                               if "category" in go.sets}


def test_call_and_case_pages_mark_a_simulated_call_as_training(trainer, db):
    trainer.start("mobile")
    trainer.press("1", "1", "1")
    call, case = the_call(db), db.scalars(select(Case)).one()
    assert "simulated call (training)" in trainer.browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "training: never escalated" in trainer.browser.get(f"/console/cases/{case.id}").get_data(as_text=True)


def test_a_training_case_has_its_own_reference_series_and_closes_when_its_call_ends(trainer, db):
    trainer.start("mobile")
    trainer.press("1", "1", "1")  # someone is in danger now: the case opens at once
    case = db.scalars(select(Case)).one()
    assert re.fullmatch(r"TRAIN-\d{2}-\d{6}", case.reference) and case.status == "new"
    trainer.do("completed")  # the operator answered; the trainer then hangs up
    trainer.do("hang-up")
    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert (case.status, case.outcome, case.closed_at is not None) == ("closed", "no_action_needed", True)
    assert case.transitions[-1].note == "training call ended"


def test_training_calls_and_cases_carry_a_badge_in_the_lists(trainer, db, as_role):
    trainer.start("mobile")
    trainer.press("1", "1", "1")
    supervisor = as_role("supervisor")
    for page in ("/console/cases", "/console/calls"):
        shown = supervisor.get(page).get_data(as_text=True)
        assert shown.count('<span class="badge training">training</span>') == 1, page


def test_an_abandoned_simulator_call_ends_after_its_idle_time_with_a_timeline_entry(trainer, db):
    trainer.start("mobile")
    trainer.press("1", "1", "1")  # then the tab is closed: no hang-up ever comes
    assert training.end_abandoned_calls(db, 1800, utcnow() + timedelta(minutes=29)) == 0
    assert training.end_abandoned_calls(db, 1800, utcnow() + timedelta(minutes=31)) == 1
    db.expire_all()
    call, case = the_call(db), db.scalars(select(Case)).one()
    assert call.status == "canceled" and call.ended_at is not None
    assert db.scalars(select(CallEvent.key).where(CallEvent.call_id == call.id, CallEvent.kind == "status")).all() == [
        "status:canceled:abandoned"]
    assert case.status == "closed" and case.outcome == "no_action_needed"
    assert training.end_abandoned_calls(db, 1800, utcnow() + timedelta(minutes=62)) == 0  # once
