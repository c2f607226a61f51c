"""The intake on the call page (saved in place, opening the case once) and on the case page (words, versions,
the staff's edit form), the API report's fields, and who sees what: a field officer sees what they need to act,
and any other read is a reveal with a reason, audited (issue 19)."""
from __future__ import annotations

from helpers.console_support import add_call, add_case
from sqlalchemy import select, update

from models import AuditEntry, Case, Intake, OutboxItem, Report

INTAKE = {"people_count": "5", "minors_count": "2", "female_count": "3", "male_count": "2",
          "nationalities": ["MM", "KH"], "province_code": "50", "district_code": "5001",
          "subdistrict_code": "500101", "place": "Shed behind the market", "landmark": "Blue water tower",
          "latitude": "18.7883", "longitude": "98.9853", "indicators": ["documents_taken", "not_free_to_leave"],
          "immediate_danger": "yes", "held_responsible": "Khun Boonmee's shrimp shed"}
JSON = {"Accept": "application/json"}
NUMBER = "+66812345678"


def audits(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_saving_the_intake_from_a_call_opens_its_case_once(as_role, db, users):
    call = add_call(db, category="forced_labour", province_code="50")
    browser = as_role("operator")
    assert f'action="/console/calls/{call.id}/intake"' in browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    response = browser.post(f"/console/calls/{call.id}/intake", INTAKE)
    assert response.status_code == 302 and response.location.endswith(f"/console/calls/{call.id}#intake")
    again = browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "people_count": "6"})
    assert again.status_code == 302
    case = db.scalars(select(Case)).one()
    assert case.call_id == call.id and len(db.scalars(select(OutboxItem)).all()) == 1
    assert [(i.version, i.people_count, i.call_id) for i in db.scalars(select(Intake).order_by(Intake.version))] == [
        (1, 5, call.id), (2, 6, call.id)]
    assert [a.reason for a in audits(db, "open_case")] == [case.reference]
    assert [(a.user_id, a.target) for a in audits(db, "save_intake")] == [(users["operator"].id, f"case:{case.id}")] * 2
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert case.reference in page and "Saved, version 2." in page


def test_the_intake_saves_in_place_as_json(as_role, db):
    call = add_call(db)
    browser = as_role("supervisor")
    first = browser.post(f"/console/calls/{call.id}/intake", INTAKE, headers=JSON)
    assert first.status_code == 200
    assert (first.json["version"], first.json["message"], first.json["reload"]) == (1, "Saved, version 1.", True)
    second = browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "landmark": "Red gate"}, headers=JSON)
    assert second.json == {"version": 2, "message": "Saved, version 2.", "changed": ["Landmark"], "reload": False}
    same = browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "landmark": "Red gate"}, headers=JSON)
    assert (same.json["version"], same.json["message"]) == (2, "Nothing changed.")
    assert len(db.scalars(select(Intake)).all()) == 2


def test_bad_input_is_a_form_error_naming_the_field_and_nothing_is_written(as_role, db):
    call = add_call(db)
    browser = as_role("operator")
    response = browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "minors_count": "9", "latitude": "200"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There cannot be more people under 18 than people involved." in page
    assert 'id="intake-minors_count" name="minors_count" value="9" aria-invalid="true"' in page
    assert "Write a number from -90 to 90." in page
    as_json = browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "nationalities": ["ZZ"]}, headers=JSON)
    assert as_json.status_code == 400
    assert as_json.json["errors"] == {"nationalities": "Nationalities: Not a country code (ISO 3166): ZZ."}
    assert db.scalars(select(Case)).all() == [] and db.scalars(select(Intake)).all() == []


def test_the_case_page_shows_the_intake_in_words_and_its_versions(as_role, db):
    case = add_case(db, add_call(db))
    browser = as_role("operator")
    assert browser.post(f"/console/cases/{case.id}/intake", INTAKE).status_code == 302
    browser.post(f"/console/cases/{case.id}/intake", {**INTAKE, "people_count": "7", "immediate_danger": "no"})
    page = browser.get(f"/console/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="intake"'):page.index("</section>", page.index('id="intake"'))]
    for words in ("version 2", "Myanmar (Burma), Cambodia", "Mueang Chiang Mai", "Si Phum", "identity documents taken",
                  "not free to leave, or locked in", 'href="geo:18.7883,98.9853"', "Khun Boonmee&#39;s shrimp shed",
                  "People involved, In immediate danger"):
        assert words in section, words
    thai = as_role("admin")
    thai.post("/console/preferences", {"language": "th"})
    page = thai.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "เมียนมา (พม่า)" in page and "เมืองเชียงใหม่" in page


def test_a_field_officer_sees_what_they_need_to_act_and_reveals_the_rest_with_a_reason(as_role, db, users):
    case = add_case(db, add_call(db))
    as_role("operator").post(f"/console/cases/{case.id}/intake", INTAKE)
    officer = as_role("field_officer")
    page = officer.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "Myanmar (Burma), Cambodia" in page and "Blue water tower" in page and "identity documents taken" in page
    assert "Khun Boonmee" not in page and "hidden: reveal with a reason" in page
    assert f'action="/console/cases/{case.id}/intake"' not in page  # no edit form
    refused = officer.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "no"})
    assert refused.status_code == 400 and "Khun Boonmee" not in refused.get_data(as_text=True)
    assert officer.post(f"/console/cases/{case.id}/reveal", {"facts": "identity", "reason": "I want to call"}).status_code == 400
    shown = officer.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "Briefing the police team"})
    assert shown.status_code == 200 and "Khun Boonmee" in shown.get_data(as_text=True)
    [entry] = audits(db, "reveal_account")
    assert (entry.user_id, entry.target, entry.reason) == (users["field_officer"].id, f"case:{case.id}",
                                                           "Briefing the police team")
    assert audits(db, "reveal_identity") == []
    assert "Khun Boonmee" not in officer.get(f"/console/cases/{case.id}").get_data(as_text=True)  # shown once
    assert officer.post(f"/console/cases/{case.id}/intake", INTAKE).status_code == 403


def test_a_reveal_of_nothing_is_refused_and_not_audited(as_role, db):
    case = add_case(db, add_call(db))
    response = as_role("operator").post(f"/console/cases/{case.id}/reveal", {"facts": "identity", "reason": "just to see"})
    assert response.status_code == 400
    assert "There is nothing of this kind for you to reveal on this case." in response.get_data(as_text=True)
    assert audits(db, "reveal_identity") == []


def test_another_provinces_field_officer_sees_no_intake(as_role, db):
    case = add_case(db, add_call(db, province_code="10"), province_code="10")
    as_role("operator").post(f"/console/cases/{case.id}/intake", INTAKE)
    officer = as_role("field_officer")
    assert officer.get(f"/console/cases/{case.id}").status_code == 404
    assert officer.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "just curious"}).status_code == 404


def _api_report(app, client, db, **fields) -> Case:
    from hotline.api.tokens import issue

    with app.extensions["sessions"].begin() as session:
        _, secret = issue(session, "test", [], False, True)
    report = {"idempotency_key": "app-2026-11-25-0001", "kind": "forced_labour", "location": {"postcode": "50200"},
              "description": "Workers locked in a shrimp shed", "reporter": {"type": "volunteer", "id": "VOL-5521"},
              "contact_number": "0812345678", "callback_consent": True, **fields}
    response = client.post("/api/v1/reports", json=report, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 201, response.json
    db.execute(update(Report).values(latitude=18.79, longitude=98.98))
    db.commit()
    return db.scalars(select(Case)).one()


def test_the_api_reports_fields_on_the_case_page_for_staff(app, client, as_role, db, users):
    case = _api_report(app, client, db)
    operator = as_role("operator")
    page = operator.get(f"/console/cases/{case.id}").get_data(as_text=True)
    section = page[page.index('id="api-report"'):page.index("</section>", page.index('id="api-report"'))]
    assert "Workers locked in a shrimp shed" in section and "volunteer" in section and "geo:18.79,98.98" in section
    assert "+66 8X XXX 5678" in section and "safe to call back" in section
    assert NUMBER not in page and "VOL-5521" not in page
    shown = operator.post(f"/console/cases/{case.id}/reveal", {"facts": "identity", "reason": "Calling the volunteer back"})
    assert NUMBER in shown.get_data(as_text=True) and "VOL-5521" in shown.get_data(as_text=True)
    [entry] = audits(db, "reveal_identity")
    assert (entry.user_id, entry.target) == (users["operator"].id, f"case:{case.id}")
    assert NUMBER not in operator.get(f"/console/cases/{case.id}").get_data(as_text=True)
    refused = operator.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "already shown"})
    assert refused.status_code == 400  # staff see the account already: nothing to reveal, nothing audited
    assert audits(db, "reveal_account") == []


def test_an_api_reporters_number_stays_hidden_when_they_refused_a_call_back(app, client, as_role, db):
    case = _api_report(app, client, db, callback_consent=False)
    operator = as_role("operator")
    shown = operator.post(f"/console/cases/{case.id}/reveal", {"facts": "identity", "reason": "Calling back"})
    page = shown.get_data(as_text=True)
    assert "VOL-5521" in page and NUMBER not in page and "+66 8X XXX 5678" in page and "do NOT call back" in page


def test_a_field_officer_sees_the_api_reports_place_but_not_its_account_or_reporter(app, client, as_role, db):
    case = _api_report(app, client, db)
    officer = as_role("field_officer")
    page = officer.get(f"/console/cases/{case.id}").get_data(as_text=True)
    assert "geo:18.79,98.98" in page and "+66 8X XXX 5678" in page
    assert "shrimp shed" not in page and NUMBER not in page and "VOL-5521" not in page
    shown = officer.post(f"/console/cases/{case.id}/reveal", {"facts": "account", "reason": "Briefing the police team"})
    assert "Workers locked in a shrimp shed" in shown.get_data(as_text=True)
    assert NUMBER not in shown.get_data(as_text=True) and "VOL-5521" not in shown.get_data(as_text=True)


ATTACK = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_free_text_field_stays_text(app, client, as_role, db):
    case = _api_report(app, client, db, description=ATTACK, reporter={"type": "agency", "id": "<script>a</script>"})
    browser = as_role("operator")
    response = browser.post(f"/console/cases/{case.id}/intake",
                            {**INTAKE, "place": ATTACK, "landmark": ATTACK, "held_responsible": ATTACK})
    assert response.status_code == 302
    pages = [browser.get(f"/console/cases/{case.id}").get_data(as_text=True),
             browser.post(f"/console/cases/{case.id}/reveal", {"facts": "identity", "reason": "check the agency"})
             .get_data(as_text=True),
             browser.get(f"/console/calls/{case.call_id}").get_data(as_text=True) if case.call_id else ""]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page and "<script>a</script>" not in page
    assert pages[0].count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 4  # place, landmark, held, description
    assert "&lt;script&gt;a&lt;/script&gt;" in pages[1]


def test_the_call_page_form_keeps_free_text_as_text(as_role, db):
    call = add_call(db)
    browser = as_role("operator")
    browser.post(f"/console/calls/{call.id}/intake", {**INTAKE, "place": ATTACK, "landmark": ATTACK,
                                                       "held_responsible": ATTACK})
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 3
