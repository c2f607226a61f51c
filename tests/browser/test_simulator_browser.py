"""The IVR simulator in a real browser: a trainer presses through an urgent report and reaches the operator.

The screenshot lands in test-artifacts/browser/ (see conftest.py), passed or failed.
"""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import shoot
from helpers.console_support import PASSWORD, add_user
from sqlalchemy import select

from models import Case, OutboxItem

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_a_trainer_presses_through_an_urgent_report_to_the_operator(page, db):
    add_user(db, "malee", "operator", language="en")
    page.goto("/console/login?lang=en")
    page.fill("#username", "malee")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/console/$"))

    page.get_by_role("navigation").get_by_role("link", name="IVR simulator").click()
    page.wait_for_url(re.compile(r"/console/simulator$"))
    page.select_option("#caller", "mobile")
    page.get_by_role("button", name="Start call").click()
    step, heard = page.locator("#sim-step"), page.locator("#sim-heard")
    step.filter(has_text="Language").wait_for()
    assert "For English, press 2." in heard.inner_text()
    page.evaluate("window.__notReloaded = true")  # gone if a key press reloads the page

    pad = page.get_by_role("group", name="Dial pad")
    for key, then in [("1", "Main menu"), ("1", "Kind of trafficking"), ("1", "connecting to an operator")]:
        pad.get_by_role("button", name=key, exact=True).click()
        step.filter(has_text=then).wait_for()

    assert page.evaluate("window.__notReloaded === true"), "a key press reloaded the page instead of updating it"
    assert "เรากำลังโอนสายไปยังเจ้าหน้าที่ทันที" in heard.inner_text()  # "connecting you now", in Thai
    twiml = page.locator("#sim-twiml").inner_text()
    assert "<Dial" in twiml and "<Number>" in twiml and page.locator("#sim-twiml Dial").count() == 0  # text, not markup
    assert "someone is in danger now (urgent)" in page.locator("#sim-path").inner_text()
    assert "training" in page.locator("#sim-case").inner_text()
    assert page.get_by_role("button", name="Operator answers", exact=True).is_visible()
    shoot(page, "simulator-urgent-operator")

    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert case.source == "training" and case.urgency == "urgent"
    assert db.scalars(select(OutboxItem)).all() == []  # nothing for the SMS ladder
