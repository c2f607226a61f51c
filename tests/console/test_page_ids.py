"""A case's and a call's pages: every id once, and every label pointing at the field it names."""
from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from helpers.console_support import add_call, add_case


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.labels = Counter(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.labels.append(attrs["for"])


def check(page: str) -> Ids:
    parsed = Ids()
    parsed.feed(page)
    assert [i for i, n in parsed.ids.items() if n > 1] == []
    assert [f for f in parsed.labels if f not in parsed.ids] == []
    return parsed


def test_the_case_page_has_one_field_per_id(as_role, db):
    case = add_case(db, add_call(db), status="acknowledged")  # may be closed: the outcome field shows too
    browser = as_role("supervisor")  # moves and reassigns: both forms with their "why" fields
    assert browser.post(f"/console/cases/{case.id}/notes", {"body": "first"}).status_code == 302
    page = check(browser.get(f"/console/cases/{case.id}").get_data(as_text=True))
    assert {"transition-note", "reassign-note"} <= set(page.ids)
    check(browser.post(f"/console/cases/{case.id}/status", {"status": "closed", "outcome": ""}).get_data(as_text=True))


def test_the_call_page_has_one_field_per_id(as_role, db):
    call = add_call(db)
    browser = as_role("supervisor")
    assert browser.post(f"/console/calls/{call.id}/notes", {"body": "first"}).status_code == 302
    check(browser.get(f"/console/calls/{call.id}").get_data(as_text=True))
