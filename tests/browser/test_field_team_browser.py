"""The case story end to end in a real browser (issue 19): an operator fills the intake while the caller is still
on the line; the field officer, in a phone-sized window, opens the case from the link in their SMS, reads the story,
and the team acknowledges, reports arrival and closes it by SMS reply."""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, shoot
from helpers.console_support import PASSWORD, add_user
from helpers.ladder import DUTY_1, reply, report, run_jobs
from sqlalchemy import select

from models import Call, Case, Message

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SID = "CA" + "b" * 32


@pytest.fixture
def app(ladder_env):
    """The browser's server runs the ladder's app: the machine's Redis, the seeded Chiang Mai centre."""
    return ladder_env[0]


def log_in(page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("form button").first.click()


def test_intake_during_the_call_then_the_field_team_works_the_case_from_its_phone(
        ladder_env, page, playwright_session, live_server, tmp_path, db):
    _app, twilio, redis = ladder_env
    add_user(db, "somsri", "operator", language="en")
    add_user(db, "niran", "field_officer", provinces=["50"], language="th")
    report(twilio, SID, ["1", "3"], postcode="50200", complete=False)  # the caller is still on the line
    call = db.scalars(select(Call).where(Call.call_sid == SID)).one()

    page.goto("/console/login?lang=en")
    log_in(page, "somsri")
    page.goto(f"/console/calls/{call.id}")
    page.fill("#intake-people_count", "3")
    page.fill("#intake-minors_count", "1")
    page.select_option("#intake-nationalities", ["MM"])
    page.check("input[name=indicators][value=documents_taken]")
    page.check("input[name=indicators][value=not_free_to_leave]")
    page.fill("#intake-landmark", "blue gate behind the longan orchard")
    page.get_by_role("button", name="Save the intake").click()
    page.locator(".flash.success", has_text="Saved, version 1.").wait_for()
    shoot(page, "field-team-1-operator-intake")
    twilio.post("/voice/status", {"CallSid": SID, "From": "+66812345678", "To": "+6621001300",
                                  "CallStatus": "completed", "CallDuration": "240", "SequenceNumber": "9",
                                  "AccountSid": "AC" + "0" * 32})
    run_jobs(redis)  # the ladder texts Chiang Mai's duty officers

    db.expire_all()
    case = db.scalars(select(Case)).one()
    sms = db.scalars(select(Message.body).where(Message.case_id == case.id, Message.to_number == DUTY_1)).one()
    assert "longan" not in sms and "+66812345678" not in sms  # nothing about the victim in an SMS
    link = re.search(r"https?://\S+(/c/\d+)", sms)[1]

    phone = playwright_session.chromium.launch_persistent_context(
        str(tmp_path / "phone-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        base_url=live_server, locale="th-TH", timezone_id="Asia/Bangkok", viewport={"width": 390, "height": 844},
        is_mobile=True, has_touch=True)
    phone.set_default_timeout(TIMEOUT_MS)
    try:
        officer = phone.pages[0] if phone.pages else phone.new_page()
        officer.goto(link)  # from the SMS: the login first, then the case
        log_in(officer, "niran")
        officer.wait_for_url(re.compile(rf"/console/cases/{case.id}$"))
        story = officer.locator("main").inner_text()
        assert case.reference in story
        assert "3" in story and "เมียนมา" in story  # how many, and the nationality in Thai
        assert "ถูกยึดเอกสารประจำตัว" in story  # a sign of trafficking, in words
        assert "longan" in story  # the landmark: the team has to find the place
        assert "+66812345678" not in story  # never the caller's number
        assert officer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(officer, "field-team-2-phone-story")

        code = case.ack_code
        reply(twilio, DUTY_1, f"ACK {code}", "SM" + "1" * 32)
        reply(twilio, DUTY_1, f"ถึงแล้ว {code}", "SM" + "2" * 32)
        reply(twilio, DUTY_1, f"DONE {code} RESCUED 3", "SM" + "3" * 32)
        officer.reload()
        story = officer.locator("main").inner_text()
        assert "เรื่องนี้ปิดแล้ว" in story and "ปิดเรื่อง" in story  # "This case is closed.", and the status
        assert "ช่วยเหลือได้ 3 คน" in story  # the field report, on the case page
        assert officer.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shoot(officer, "field-team-3-phone-closed")
    finally:
        phone.close()
    db.expire_all()
    closed = db.get(Case, case.id)
    assert closed.status == "closed" and closed.outcome == "rescued_assisted"
