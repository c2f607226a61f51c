"""The intake in a real browser: filled on the call page while talking and saved without leaving it (issue 19)."""
from __future__ import annotations

import pytest
from helpers.browser_support import shoot
from helpers.console_support import add_call, add_user
from sqlalchemy import select

from models import Case, Intake

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_an_operator_saves_the_intake_in_place_while_talking(page, db):
    add_user(db, "somsri", "operator", language="en")
    call = add_call(db, category="forced_labour", province_code="50")
    page.goto("/console/login?lang=en")
    page.fill("#username", "somsri")
    page.fill("#password", "correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"/console/calls/{call.id}")
    page.fill("#intake-people_count", "4")
    page.fill("#intake-minors_count", "1")
    page.select_option("#intake-nationalities", ["MM", "LA"])
    page.check("input[name=indicators][value=documents_taken]")
    page.get_by_role("button", name="Save the intake").click()  # opens the case: the page reloads with its link
    page.locator(".flash.success", has_text="Saved, version 1.").wait_for()
    page.select_option("#intake-district_code", "5001")  # the province's districts, offered after the first save
    page.get_by_role("button", name="Save the intake").click()  # a new district: reloads to offer its subdistricts
    page.locator(".flash.success", has_text="Saved, version 2.").wait_for()
    page.select_option("#intake-subdistrict_code", "500101")
    page.fill("#intake-people_count", "3")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Save the intake").click()
    page.locator("[data-inline-status]", has_text="Saved, version 3.").wait_for()
    page.fill("#intake-minors_count", "9")
    page.get_by_role("button", name="Save the intake").click()
    page.locator("[data-inline-status]", has_text="Of them under 18: There cannot be more").wait_for()
    shoot(page, "intake-saved-in-place")
    assert page.evaluate("window.notReloaded") is True  # the second and third saves never left the page
    db.expire_all()
    case = db.scalars(select(Case)).one()
    assert [(i.version, i.people_count, i.subdistrict_code) for i in db.scalars(select(Intake).order_by(Intake.version))
            ] == [(1, 4, None), (2, 4, None), (3, 3, "500101")]
    assert case.call_id == call.id
