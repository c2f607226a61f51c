"""The case as a field officer reads it on a phone (issue 19): at 390 px, in Thai, a case with an intake, an API
report with coordinates, field reports, referrals, an escalation and notes reads top to bottom without sideways
scrolling, the map link opens the phone's map app (geo:), and the print view fits too.

Screenshots in test-artifacts/screenshots/.
"""
from __future__ import annotations

import re

import pytest
from helpers.browser_support import SCREENSHOTS
from helpers.case_story import FIELD_NOTE, INTAKE_POINT, LANDMARK, REFERRAL_DETAIL, add_story
from helpers.console_support import PASSWORD, add_user

pytestmark = [pytest.mark.slow, pytest.mark.browser]
PHONE = {"width": 390, "height": 844}


def log_in(page, username: str) -> None:
    page.goto("/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("main form button").click()
    page.wait_for_url(re.compile(r"/console/$"))


def wider_than_the_window(page) -> list[str]:
    """What sticks out on the right of the window (nothing should: the page must not scroll sideways)."""
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll <= inner:
        return []
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 40))""")


def test_a_field_officer_reads_the_whole_case_on_a_phone(page, db):
    author = add_user(db, "operator", "operator", language="th")
    add_user(db, "field_officer", "field_officer", ["50"], language="th")
    case = add_story(db, author)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(PHONE)
    log_in(page, "field_officer")
    assert page.goto(f"/console/cases/{case.id}").status == 200
    assert not wider_than_the_window(page), wider_than_the_window(page)
    where = page.locator("#what-where")
    assert LANDMARK in where.inner_text()
    link = where.locator('a[href^="geo:"]')
    assert link.get_attribute("href") == f"geo:{INTAKE_POINT[0]:.5f},{INTAKE_POINT[1]:.5f}"
    box, width = link.bounding_box(), page.evaluate("window.innerWidth")
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 30  # a thumb can hit it
    # What and where comes first, above the workflow, then the story, the escalation and the notes.
    tops = [page.locator(f"#{section}").bounding_box()["y"] for section in ("what-where", "workflow", "escalation", "notes")]
    assert tops == sorted(tops)
    page.screenshot(path=str(SCREENSHOTS / "field_officer-case-story-phone.png"), full_page=True)

    page.locator(f'a[href="/console/cases/{case.id}/print"]').click()
    page.wait_for_url(re.compile(rf"/console/cases/{case.id}/print$"))
    text = page.locator("body").inner_text()
    assert FIELD_NOTE in text and REFERRAL_DETAIL in text and "+66" not in text
    assert page.locator("button[data-print]").is_visible()  # print.js shows the button
    assert not wider_than_the_window(page), wider_than_the_window(page)
    page.screenshot(path=str(SCREENSHOTS / "field_officer-case-print-phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("nav.screen-only").is_visible()
