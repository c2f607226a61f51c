"""The case page shows what the field team reported by SMS (issue 19), to staff and to the province's field
officers: when, who, what, the outcome and the text as written (never as markup)."""
from __future__ import annotations

from helpers.console_support import Browser
from helpers.ladder import DUTY_1, DUTY_2, reply, report, run_jobs
from sqlalchemy import select

from models import Case

SID = "CA" + "e" * 32
SCRIPT = "<script>alert(1)</script>"


def the_case(db) -> Case:
    db.expire_all()
    return db.scalars(select(Case)).one()


def test_field_reports_show_on_the_case_page_for_staff_and_the_provinces_field_officer(ladder_env, users, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    page = Browser(app.test_client())
    assert page.login("field_officer").status_code == 302
    assert "No reports from the field team yet" in page.get(f"/console/cases/{case.id}").get_data(as_text=True)
    reply(twilio, DUTY_1, f"ARRIVED {case.ack_code}", "SM" + "1" * 32)  # acknowledges, then arrives
    reply(twilio, DUTY_2, f"NOTE {case.ack_code} {SCRIPT} two men at the gate", "SM" + "2" * 32)
    reply(twilio, DUTY_1, f"DONE {case.ack_code} RESCUED 3", "SM" + "3" * 32)
    for role in ("field_officer", "operator", "supervisor"):
        browser = Browser(app.test_client())
        assert browser.login(role).status_code == 302
        html = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
        section = html[html.index('id="field-reports"'):html.index('id="escalation"')]
        assert section.count('class="note field-report"') == 3, role
        assert "officer 011" in section and "officer 012" in section  # the contacts' names
        assert "arrived" in section and "rescued or assisted" in section and "3 people rescued" in section
        assert "two men at the gate" in section and SCRIPT not in html and "&lt;script&gt;" in section
        assert "reported by SMS: arrived" in html and "reported by SMS: done" in html  # the history


def test_the_case_page_speaks_thai_about_field_reports(ladder_env, users, db):
    app, twilio, redis = ladder_env
    report(twilio, SID, ["1", "3"], postcode="50200")
    run_jobs(redis)
    case = the_case(db)
    reply(twilio, DUTY_1, f"DONE {case.ack_code} RESCUED 2", "SM" + "1" * 32)
    users["supervisor"].language = "th"
    db.commit()
    browser = Browser(app.test_client())
    assert browser.login("supervisor").status_code == 302
    html = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "รายงานจากทีมภาคสนาม" in html and "ช่วยเหลือได้ 2 คน" in html and "รายงานทาง SMS: ดำเนินการเสร็จ" in html
