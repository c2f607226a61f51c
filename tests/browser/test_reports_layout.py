"""The reports page in a real browser: the cases-per-kind table, whose kinds are long, wraps them and scrolls
inside its own box, at a phone's width and a desk's."""
from __future__ import annotations

import pytest
from helpers.console_support import PASSWORD, add_user

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MONTHS = "/console/reports?period=month&date_from=2025-12-01&date_to=2026-11-30"  # twelve month columns


@pytest.mark.parametrize("width", [390, 1280])
def test_the_kind_table_wraps_or_scrolls_inside_its_own_box(page, db, width):
    add_user(db, "somsri", "supervisor", language="en")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/console/login?lang=en")
    page.fill("#username", "somsri")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/console/")
    page.goto(MONTHS)
    sizes = page.evaluate("""() => {
        const table = document.getElementById('cases-per-kind'), box = table.parentElement;
        const row = [...table.tBodies[0].rows].find(r => r.cells[0].textContent.startsWith('Forced labour'));
        return {box: box.getBoundingClientRect().right, panel: box.closest('section').getBoundingClientRect().right,
                scrolls: getComputedStyle(box).overflowX, number: row.cells[1].getBoundingClientRect().right};
    }""")
    assert sizes["box"] <= sizes["panel"] and sizes["scrolls"] == "auto", sizes  # scrolls inside its own box
    assert sizes["number"] <= sizes["box"], sizes  # the long kind wraps: its first count shows without scrolling
