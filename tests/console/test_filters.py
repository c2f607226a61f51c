"""The calls and cases lists' filters: only what the URL carries is checked, so a first visit shows no error."""
from __future__ import annotations

import pytest
from helpers.console_support import Browser, add_user


@pytest.mark.parametrize("language", ["en", "th"])
@pytest.mark.parametrize("path", ["/console/calls", "/console/calls?language=km", "/console/cases",
                                  "/console/cases?status=open"])
def test_a_first_visit_or_one_filter_shows_no_error(app, db, path, language):
    add_user(db, "somchai", "operator", language=language)
    browser = Browser(app.test_client())
    browser.login("somchai")
    page = browser.get(path).get_data(as_text=True)
    assert 'class="errors"' not in page and "aria-invalid" not in page


@pytest.mark.parametrize("path", ["/console/calls?status=exploded", "/console/cases?status=exploded",
                                  "/console/calls?language=km&status=", "/console/cases?province=999"])
def test_a_submitted_filter_is_still_checked(as_role, path):
    page = as_role("operator").get(path).get_data(as_text=True)
    assert page.count('class="errors"') == (0 if path.endswith("status=") else 1)
