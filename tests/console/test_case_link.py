"""The link in a field team's escalation SMS (`PUBLIC_BASE_URL/c/<id>`) opens the case, after a login if needed."""
from __future__ import annotations

import re

from helpers.console_support import Browser, add_user
from helpers.ladder import report, run_jobs
from sqlalchemy import select

from models import Case, Message

SID = "CA" + "e" * 32


def test_the_link_in_the_escalation_sms_opens_the_case_for_the_field_officer(ladder_env, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = db.scalars(select(Case)).one()
    body = db.scalars(select(Message.body).where(Message.case_id == case.id, Message.direction == "out")).first()
    link = re.search(r"https://hotline\.example\.go\.th(/\S+)", body)
    assert link, body
    add_user(db, "niran", "field_officer", provinces=["50"], language="th")
    browser = Browser(app.test_client())
    first = browser.client.get(link[1])
    assert first.status_code == 302 and "/console/" in first.headers["Location"]
    page = browser.client.get(link[1], follow_redirects=True)  # not logged in: the login page, then back here
    assert "/console/login" in page.request.path
    browser.login("niran")
    opened = browser.client.get(link[1], follow_redirects=True)
    assert opened.status_code == 200 and opened.request.path == f"/console/cases/{case.id}"
    assert case.reference in opened.get_data(as_text=True)


def test_a_link_to_no_case_is_a_plain_404(app):
    assert app.test_client().get("/c/not-a-number").status_code == 404
