"""The dry-run SMS page: the latest messages, masked, and a reply as the field team that acknowledges a case."""
from __future__ import annotations

from helpers.console_support import Browser
from helpers.ladder import DUTY_1, report, run_jobs
from sqlalchemy import select

from models import Case, Contact

SID = "CA" + "7" * 32


def test_a_reply_from_the_sms_page_acknowledges_the_case(ladder_env, users, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = db.scalars(select(Case)).one()
    assert case.status == "escalating"
    browser = Browser(app.test_client())
    assert browser.login("supervisor").status_code == 302
    page = browser.get("/console/sms").get_data(as_text=True)
    assert "dry run" in page and f"ACK {case.ack_code}" in page and case.reference in page
    assert DUTY_1 not in page and "+66 8X XXX 0011" in page
    contact = db.scalars(select(Contact).where(Contact.phone == DUTY_1)).first()
    response = browser.post("/console/sms/reply", {"contact": str(contact.id), "body": f"ACK {case.ack_code}"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "HTTP 200" in page and case.reference in page[page.index('id="reply"'):page.index("Latest messages")]
    db.expire_all()
    case = db.get(Case, case.id)
    assert case.status == "acknowledged" and case.acknowledged_by == contact.id
    assert [t.to_status for t in case.transitions][-1] == "acknowledged"
    assert f"ACK {case.ack_code}" in page[page.index("Latest messages"):]  # the incoming one is listed now


def test_a_reply_needs_a_contact_and_a_text(as_role, db):
    browser = as_role("admin")
    response = browser.post("/console/sms/reply", {"contact": "", "body": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a contact." in page and "Please fill in this field." in page
    assert as_role("operator").get("/console/sms").status_code == 403
