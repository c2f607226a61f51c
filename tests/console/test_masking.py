"""Caller numbers are masked for every role; staff may reveal one with a reason, and it is audited."""
from __future__ import annotations

import re

import pytest
from helpers.console_support import add_call
from sqlalchemy import select

from hotline.console.masking import mask_number
from models import ROLES, AuditEntry, utcnow

NUMBER = "+66812345678"


@pytest.mark.parametrize("number, masked", [
    ("+66812345678", "+66 8X XXX 5678"),
    ("+6621234567", "+66 2X XX 4567"),
    ("+959123456789", "+95 9XX XXX 6789"),
    ("+85512345678", "+855 1X XX 5678"),
    (None, None),
    ("", None),
    ("12-34", "XX34"),
])
def test_mask_number(number, masked):
    assert mask_number(number) == masked


def test_the_full_number_never_reaches_a_page_without_a_reveal(app, db, as_role):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER)
    add_call(db, from_e164=NUMBER, from_raw=NUMBER)  # an earlier call, listed on the detail page
    for role in ROLES:
        browser = as_role(role)
        for path in ("/console/", "/console/live.json", "/console/calls", f"/console/calls/{call.id}"):
            page = browser.get(path).get_data(as_text=True)
            assert "12345678" not in page and "0812345678" not in page, (role, path)
        assert "+66 8X XXX 5678" in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)


def test_withheld_callers_say_so(as_role, db):
    call = add_call(db, from_e164=None, from_raw="anonymous", caller_withheld=True)
    page = as_role("operator").get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "withheld" in page and "Reveal the number" not in page


def test_an_operator_reveals_a_number_with_a_reason_and_it_is_audited(as_role, db, users):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER)
    browser = as_role("operator")
    response = browser.post(f"/console/calls/{call.id}/reveal", {"reason": "Caller asked to be called back"},
                            environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    assert NUMBER in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number")).all()
    assert (entry.user_id, entry.target, entry.reason, entry.ip) == (
        users["operator"].id, f"call:{call.id}", "Caller asked to be called back", "10.1.2.3")
    assert NUMBER not in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)  # shown once


def test_a_reveal_without_a_reason_is_refused_on_the_form(as_role, db):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER)
    response = as_role("supervisor").post(f"/console/calls/{call.id}/reveal", {"reason": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please fill in this field." in page and NUMBER not in page
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number")).all() == []


def test_a_reveal_without_a_csrf_token_is_refused(as_role, db):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER)
    response = as_role("admin").post(f"/console/calls/{call.id}/reveal", {"reason": "callback"}, token=False)
    assert response.status_code == 400 and NUMBER not in response.get_data(as_text=True)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number")).all() == []


def test_a_field_officer_may_not_reveal(as_role, db):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER, province_code="50")
    browser = as_role("field_officer")
    assert "Reveal the number" not in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    response = browser.post(f"/console/calls/{call.id}/reveal", {"reason": "I would like to call back"})
    assert response.status_code == 403 and NUMBER not in response.get_data(as_text=True)


def test_the_audit_page_lists_entries_newest_first_for_admins_only(as_role, db):
    call = add_call(db, from_e164=NUMBER, from_raw=NUMBER)
    operator = as_role("operator")
    for reason in ("first reason", "second reason"):
        operator.post(f"/console/calls/{call.id}/reveal", {"reason": reason})
    page = as_role("admin").get("/console/audit?action=reveal_number").get_data(as_text=True)
    assert page.index("second reason") < page.index("first reason")
    assert "revealed a caller number" in page and f"call:{call.id}" in page
    assert as_role("supervisor").get("/console/audit").status_code == 403


def test_the_audit_page_is_paginated(app, as_role, db, users):
    for n in range(app.config["HOTLINE"].CONSOLE_PAGE_SIZE + 3):
        db.add(AuditEntry(at=utcnow(), user_id=users["operator"].id, action="play_recording", target=f"call:{n}"))
    db.commit()
    admin = as_role("admin")
    first = admin.get("/console/audit?action=play_recording").get_data(as_text=True)
    link = re.search(r'href="(/console/audit\?[^"]*older=[^"]+)"', first)[1].replace("&amp;", "&")
    second = admin.get(link).get_data(as_text=True)
    assert "call:0<" in second and "call:0<" not in first


def test_a_caller_who_said_do_not_call_back_keeps_their_number_hidden(as_role, db):
    """PDPA (issue 19): a number is revealed only where the caller did not refuse a call back."""
    refused = add_call(db, from_e164=NUMBER, from_raw=NUMBER, callback_consent=False)
    browser = as_role("supervisor")
    page = browser.get(f"/console/calls/{refused.id}").get_data(as_text=True)
    assert "Reveal the number" not in page and "asked not to be called back" in page
    response = browser.post(f"/console/calls/{refused.id}/reveal", {"reason": "want to call back anyway"})
    assert response.status_code == 400 and NUMBER not in response.get_data(as_text=True)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "reveal_number")).all() == []
    unknown = add_call(db, from_e164=NUMBER, from_raw=NUMBER, callback_consent=None)  # put through before asked
    assert NUMBER in browser.post(f"/console/calls/{unknown.id}/reveal", {"reason": "the call dropped"}).get_data(as_text=True)
