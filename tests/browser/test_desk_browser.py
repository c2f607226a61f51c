"""The operator desk walked in a real browser (issue 16's "Done means"): a caller asks for a person and the
supervisor's wallboard shows them waiting; an operator becomes available with one click, the call is offered on
their desk page, they answer (Twilio's signed participant callback), the call's page opens by itself, and they
write a note during the call; the wallboard then counts the call answered. Two logins, two Chromium profiles."""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, shoot
from helpers.console_support import add_user
from helpers.support import Twilio, call_params
from sqlalchemy import select
from test_console_browser import log_in

from casework import desk, desk_line
from models import Annotation, Call, DeskOffer

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SID = "CA" + "d" * 32


def test_a_caller_reaches_an_operator_who_becomes_available_and_the_wallboard_follows(
        page, app, db, playwright_session, live_server, tmp_path):
    config = app.config["HOTLINE"]
    config.OPERATOR_DIAL_TARGET = "desk"  # the browser suite's default is one number
    operator = add_user(db, "somsri", "operator")
    desk.save_profile(db, operator, ["th"], "+66811110001", "test")
    add_user(db, "malee", "supervisor")
    db.commit()

    board = playwright_session.chromium.launch_persistent_context(
        str(tmp_path / "wallboard-profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        base_url=live_server, locale="en-US", timezone_id="Asia/Bangkok")
    board.set_default_timeout(TIMEOUT_MS)
    try:
        wallboard = board.pages[0] if board.pages else board.new_page()
        log_in(wallboard, "malee")
        wallboard.wait_for_url(re.compile(r"/console/$"))
        wallboard.goto("/console/wallboard")

        twilio = Twilio(app.test_client())  # the caller, signed as Twilio signs
        twilio.post("/voice/incoming", call_params(SID))
        twilio.post("/voice/ivr/language?s=1&try=1", call_params(SID, Digits="1"))
        twilio.post("/voice/ivr/main?s=2&try=1", call_params(SID, Digits="2"))  # other help: a person
        wallboard.locator("#waiting tbody", has_text="Thai").wait_for(timeout=TIMEOUT_MS)
        shoot(wallboard, "desk-1-wallboard-waiting")

        log_in(page, "somsri")
        page.wait_for_url(re.compile(r"/console/$"))
        page.goto("/console/desk")
        page.get_by_role("button", name="Become available").click()
        page.wait_for_url(re.compile(r"/console/desk$"))
        desk_line.route(db, config)  # the worker's routing pass
        db.commit()
        page.locator("#offer").wait_for(timeout=TIMEOUT_MS)
        assert "Thai" in page.locator("#offer").inner_text() and "5678" not in page.content()
        shoot(page, "desk-2-offer")

        offer = db.scalars(select(DeskOffer)).one()
        url = f"https://hotline.example.go.th/voice/desk/participant?o={offer.id}"
        for number, status in enumerate(("ringing", "in-progress"), 1):
            twilio.post(f"/voice/desk/participant?o={offer.id}", {"CallSid": "CA" + "e" * 32, "CallStatus": status,
                        "SequenceNumber": str(number), "AccountSid": "AC" + "0" * 32}, signed_url=url)
        call = db.scalars(select(Call).where(Call.call_sid == SID)).one()
        page.wait_for_url(re.compile(rf"/console/calls/{call.id}$"), timeout=TIMEOUT_MS)  # the screen pop

        page.fill("#notes textarea[name=body]", "Caller asks about her sister's passport held by the employer.")
        page.locator("#notes form").last.get_by_role("button").click()
        page.locator("#notes .note-body", has_text="sister's passport").wait_for(timeout=TIMEOUT_MS)
        db.expire_all()
        assert db.scalars(select(Annotation.call_id)).one() == call.id  # the note is the call's
        shoot(page, "desk-3-call-page-note")

        wallboard.locator("#service-level", has_text="1 of 1").wait_for(timeout=TIMEOUT_MS)
        assert "Nobody is waiting." in wallboard.locator("#waiting").inner_text()
        shoot(wallboard, "desk-4-wallboard-answered")
    finally:
        board.close()
