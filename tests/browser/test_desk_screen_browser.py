"""The screen pop in a real browser (issue 16): my desk page, left open, shows the call rung to me when the router
offers it, and opens the call's page when I answer; neither without a reload of the desk page."""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import TIMEOUT_MS
from helpers.console_support import add_call, add_user
from sqlalchemy import select
from test_console_browser import log_in

from casework import desk, desk_line
from models import DeskOffer, DeskWait, utcnow

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_the_offer_shows_and_the_call_page_pops_without_a_reload(page, app, db):
    operator = add_user(db, "somsri", "operator")
    desk.save_profile(db, operator, ["th"], "+66811110001", "test")
    desk.set_state(db, operator, "available", "test")
    call = add_call(db, status="in-progress", from_e164="+66812345678")
    db.add(DeskWait(call_id=call.id, conference=f"desk-{call.call_sid}", language="th", urgent=False,
                    state="waiting", asked_at=utcnow(), callback_due=False))
    db.commit()
    log_in(page)
    page.wait_for_url(re.compile(r"/console/$"))
    page.goto(page.url + "desk")
    page.evaluate("window.__notReloaded = true")  # gone if the page reloads

    desk_line.route(db, app.config["HOTLINE"])
    db.commit()
    page.locator("#offer").wait_for(timeout=TIMEOUT_MS)
    assert "Thai" in page.locator("#offer").inner_text() and "5678" not in page.content()
    assert page.evaluate("window.__notReloaded === true"), "the desk page reloaded instead of updating itself"

    desk_line.answered(db, db.scalars(select(DeskOffer)).one(), utcnow())
    db.commit()
    page.wait_for_url(re.compile(rf"/console/calls/{call.id}$"), timeout=TIMEOUT_MS)
