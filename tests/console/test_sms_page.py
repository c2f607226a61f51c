"""The SMS page: the latest messages, masked, and, in a dry run only, a reply in a field team's place that
acknowledges a case in the supervisor's name, audited."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from helpers.console_support import Browser
from helpers.ladder import DUTY_1, report, run_jobs, seed_centres
from sqlalchemy import select

from models import AuditEntry, Case, Contact, Message, User

REAL_TWILIO = dict(TWILIO_ACCOUNT_SID="AC" + "5" * 32, TWILIO_AUTH_TOKEN="a-real-auth-token")

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
    assert case.reference in page[page.index('id="reply"'):page.index("Latest messages")]
    db.expire_all()
    case = db.get(Case, case.id)
    assert case.status == "acknowledged" and case.acknowledged_by == contact.id
    supervisor = db.scalars(select(User).where(User.username == "supervisor")).one()
    last = case.transitions[-1]
    assert (last.to_status, last.actor, last.note) == ("acknowledged", f"user:{supervisor.id}",
                                                      f"simulated ACK (dry run) for level {contact.level}")
    assert f"ACK {case.ack_code}" in page[page.index("Latest messages"):]  # the incoming one is listed now
    typed = db.scalars(select(Message).where(Message.direction == "in")).one()
    assert typed.sid.startswith("SIM") and typed.dry_run and typed.case_id == case.id
    history = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert f"<td>{supervisor.username}</td><td>simulated ACK (dry run) for level {contact.level}</td>" in history
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "simulate_reply")).one()
    assert (entry.user_id, entry.target) == (supervisor.id, case.reference)
    assert entry.reason == f"as {contact.name}, level {contact.level}: acknowledged"


def test_with_real_twilio_credentials_nobody_can_reply_in_a_field_teams_name(ladder_env, users, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = db.scalars(select(Case)).one()
    app.config["HOTLINE"] = replace(app.config["HOTLINE"], **REAL_TWILIO)
    browser = Browser(app.test_client())
    assert browser.login("supervisor").status_code == 302
    page = browser.get("/console/sms").get_data(as_text=True)
    assert "Latest messages" in page and 'id="reply"' not in page and "sms/reply" not in page
    contact = db.scalars(select(Contact).where(Contact.phone == DUTY_1)).first()
    response = browser.post("/console/sms/reply", {"contact": str(contact.id), "body": f"ACK {case.ack_code}"})
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Case, case.id).status == "escalating"
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "simulate_reply")).all() == []
    refused = app.test_cli_runner().invoke(args=["sms", "simulate-reply", "--from", DUTY_1, "--body", f"ACK {case.ack_code}"])
    assert refused.exit_code != 0 and "for a dry run" in refused.output
    db.expire_all()
    assert db.get(Case, case.id).status == "escalating"


def test_a_reply_needs_a_contact_and_a_text(as_role, db):
    browser = as_role("admin")
    response = browser.post("/console/sms/reply", {"contact": "", "body": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a contact." in page and "Please fill in this field." in page
    assert as_role("operator").get("/console/sms").status_code == 403


def test_each_message_shows_its_date_and_time_in_bangkok(as_role, db):
    db.add(Message(direction="out", to_number=DUTY_1, body="1300: case", status="sent", dry_run=True,
                   created_at=datetime(2026, 11, 25, 17, 5, 7, tzinfo=UTC)))  # 26 Nov, 00:05:07 in Bangkok
    db.commit()
    page = as_role("supervisor").get("/console/sms").get_data(as_text=True)
    assert '<td class="nowrap">26 Nov 2026 00:05:07</td>' in page
    assert '<th scope="col">Date and time</th>' in page


def _picker(page: str) -> str:
    return page[page.index('<select id="contact"'):page.index("</select>", page.index('<select id="contact"'))]


def test_the_contact_picker_is_grouped_by_centre_and_narrowed_by_a_search(as_role, db):
    seed_centres(db)
    browser = as_role("supervisor")
    picker = _picker(browser.get("/console/sms").get_data(as_text=True))
    assert picker.count("<optgroup") == 2 and picker.count("<option") == 7  # "choose" and six contacts
    assert picker.index('<optgroup label="ATP Division">') < picker.index('<optgroup label="Chiang Mai centre">')
    picker = _picker(browser.get("/console/sms?q=เชียงใหม่").get_data(as_text=True))  # the province, in Thai
    assert picker.count("<optgroup") == 1 and "Chiang Mai centre" in picker and picker.count("<option") == 5
    page = browser.get("/console/sms?q=nowhere").get_data(as_text=True)
    assert _picker(page).count("<option") == 1 and "No contact matches." in page
    chosen = db.scalars(select(Contact).where(Contact.phone == DUTY_1)).one()
    response = browser.post("/console/sms/reply?q=nowhere", {"contact": str(chosen.id), "body": "hello"})
    assert response.status_code == 200  # any active contact may answer, whatever the search shows
