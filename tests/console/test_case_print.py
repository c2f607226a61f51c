"""The case as the whole story (issue 19): what and where first with a map link on the case page, and the print
view for handing a case to the police: its content, its audit, who may print it, and never the caller's identity."""
from __future__ import annotations

import html

from helpers.case_story import (
    CASE_NOTE,
    DESCRIPTION,
    FIELD_NOTE,
    HELD_RESPONSIBLE,
    IDENTITY,
    INTAKE_POINT,
    LANDMARK,
    PLACE,
    REFERRAL_DETAIL,
    REPORT_POINT,
    STEP_NOTE,
    add_story,
)
from helpers.console_support import add_case
from sqlalchemy import select

from models import AuditEntry, FieldReport, Intake, Referral, Report


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_case_page_says_what_and_where_first_with_a_map_link(as_role, db, users):
    case = add_story(db, users["operator"])
    page = text(as_role("field_officer").get(f"/console/cases/{case.id}"))
    what = page.index("What and where")
    assert what < page.index('id="workflow"') < page.index('id="escalation"') < page.index('id="notes"')
    assert PLACE in page and LANDMARK in page and "Mueang Chiang Mai" in page and "Si Phum" in page
    assert f'href="geo:{INTAKE_POINT[0]:.5f},{INTAKE_POINT[1]:.5f}"' in page  # the intake's point before the report's
    assert f"/console/cases/{case.id}/print" in page
    assert page.index("Immediate danger") > what and "badge alert" in page[what:page.index('id="workflow"')]


def test_the_map_link_falls_back_to_the_api_reports_point_and_is_absent_without_one(as_role, db, users):
    story = add_story(db, users["operator"], intake_point=False)
    browser = as_role("operator")
    page = text(browser.get(f"/console/cases/{story.id}"))
    assert f'href="geo:{REPORT_POINT[0]:.5f},{REPORT_POINT[1]:.5f}"' in page
    bare = add_case(db, reference="1300-69-000777")
    page = text(browser.get(f"/console/cases/{bare.id}"))
    assert "geo:" not in page and "What and where" in page


def test_the_print_view_tells_the_story_without_the_callers_identity(as_role, db, users):
    case = add_story(db, users["operator"])
    response = as_role("supervisor").get(f"/console/cases/{case.id}/print")
    assert response.status_code == 200 and "print.css" in response.get_data(as_text=True)
    page = text(response)
    for fact in ("1300-69-004821", "Forced labour", "urgent", "Mueang Chiang Mai", PLACE, LANDMARK,
                 f"{INTAKE_POINT[0]:.5f}, {INTAKE_POINT[1]:.5f}", "Myanmar (Burma) (MM)", "Cambodia (KH)",
                 "identity documents taken", "not free to leave, or locked in", HELD_RESPONSIBLE, DESCRIPTION,
                 FIELD_NOTE, "5 rescued", "arrived", REFERRAL_DETAIL, STEP_NOTE, "police (191)", "declined",
                 CASE_NOTE, "Somchai"):
        assert fact in page, fact
    assert "Version 2" in page  # the newest intake, not the first
    for identity in IDENTITY:
        assert identity not in page, identity
    assert "+66" not in page and "xxx" not in page.lower()  # no number at all, not even masked


def test_a_field_officer_prints_their_provinces_cases_without_the_named_suspects(as_role, db, users):
    case = add_story(db, users["operator"])
    elsewhere = add_case(db, province_code="10", reference="1300-69-000555")
    browser = as_role("field_officer")
    page = text(browser.get(f"/console/cases/{case.id}/print"))
    assert PLACE in page and FIELD_NOTE in page and HELD_RESPONSIBLE not in page
    assert browser.get(f"/console/cases/{elsewhere.id}/print").status_code == 404
    assert browser.get("/console/cases/999999/print").status_code == 404


def test_each_print_is_audited_as_an_export(as_role, db, users):
    case = add_story(db, users["operator"])
    browser = as_role("field_officer")
    for _ in range(2):
        assert browser.get(f"/console/cases/{case.id}/print").status_code == 200
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "export_case")).all()
    assert [(e.user_id, e.target) for e in entries] == [(users["field_officer"].id, "case:1300-69-004821")] * 2
    assert "printed a case for handover" in as_role("admin").get("/console/audit").get_data(as_text=True)


def test_free_text_is_escaped_on_the_case_page_and_in_print(as_role, db, users):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    case = add_story(db, users["operator"])
    intake = db.scalars(select(Intake).where(Intake.case_id == case.id, Intake.version == 2)).one()
    intake.place, intake.landmark, intake.held_responsible = attack, attack, attack
    db.scalars(select(Report).where(Report.case_id == case.id)).one().description = attack
    db.scalars(select(FieldReport).where(FieldReport.kind == "note")).one().body = attack
    referral = db.scalars(select(Referral).where(Referral.agency == "police_191")).one()
    referral.detail, referral.steps[1].note = attack, attack
    db.commit()
    browser = as_role("operator")
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"
    for path, times in ((f"/console/cases/{case.id}", 2), (f"/console/cases/{case.id}/print", 7)):
        page = browser.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert page.count(escaped) >= times, path  # print: + account, field note, referral, step
