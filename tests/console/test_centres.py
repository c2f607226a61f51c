"""Centres and contacts: who sees and who edits, phone numbers checked and kept as E.164, every change audited,
and the console's edits surviving `flask centres load`."""
from __future__ import annotations

import pytest
from helpers.console_support import add_centre
from sqlalchemy import func, select

from casework.config import ROOT
from models import AuditEntry, Centre, Contact


def audit(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def contacts_of(db, code: str = "50") -> list[Contact]:
    db.expire_all()
    centre = db.scalars(select(Centre).where(Centre.code == code)).one()
    return db.scalars(select(Contact).where(Contact.centre_id == centre.id).order_by(Contact.id)).all()


def test_staff_see_every_centre_and_a_field_officer_only_their_provinces(as_role, db):
    add_centre(db, "50", "Chiang Mai centre")
    add_centre(db, "10", "Bangkok centre")
    page = as_role("operator").get("/console/centres").get_data(as_text=True)
    assert "Chiang Mai centre" in page and "Bangkok centre" in page and "ATP Division" in page
    officer = as_role("field_officer")
    page = officer.get("/console/centres").get_data(as_text=True)
    assert "Chiang Mai centre" in page and "Bangkok centre" not in page
    assert officer.get("/console/centres/10").status_code == 404
    assert officer.get("/console/centres/nowhere").status_code == 404
    page = officer.get("/console/centres/50").get_data(as_text=True)
    assert "Somchai" in page and "+66 8X XXX 0011" in page and "+66810050011" not in page  # masked, read-only
    assert "Add a contact" not in page and "/duty" not in page


def test_supervisors_see_full_numbers_and_a_centre_with_nobody_on_duty_is_red(as_role, db):
    contact = add_centre(db)
    contact.on_duty = False
    db.commit()
    browser = as_role("supervisor")
    page = browser.get("/console/centres/50").get_data(as_text=True)
    assert "+66810050011" in page and "Nobody at level 1 is on duty" in page and "Add a contact" in page
    assert "flask centres load --overwrite-console-edits" in page  # the reload rule, said where people edit
    listing = browser.get("/console/centres").get_data(as_text=True)
    assert "nobody on duty" in listing


@pytest.mark.parametrize("written", ["081 234 5678", "0812345678", "+66 81-234-5678", "66812345678"])
def test_a_local_thai_number_is_accepted_and_kept_as_e164(as_role, users, db, written):
    add_centre(db)
    response = as_role("supervisor").post("/console/centres/50/contacts", {
        "name": "Malee", "role": "night duty", "phone": written, "level": "1", "on_duty": "yes"})
    assert response.status_code == 302
    added = [c for c in contacts_of(db) if c.name == "Malee"]
    assert [(c.phone, c.level, c.on_duty, c.active) for c in added] == [("+66812345678", 1, True, True)]
    assert added[0].console_edited_at is not None
    entry, = audit(db, "add_contact")
    assert entry.user_id == users["supervisor"].id and entry.target == f"contact:{added[0].id}"
    assert "+66812345678" in entry.reason and "level 1" in entry.reason


@pytest.mark.parametrize("written, error", [
    ("12345", "This is not a valid phone number."), ("081 234 567", "This is not a valid phone number."),
    ("hello", "This is not a valid phone number."), ("02 123 4567", "This is not a mobile number"),
    ("", "Please fill in this field.")])
def test_an_invalid_number_is_a_form_error_and_nothing_is_written(as_role, db, written, error):
    add_centre(db)
    response = as_role("admin").post("/console/centres/50/contacts", {
        "name": "Malee", "phone": written, "level": "1", "on_duty": "yes"})
    assert response.status_code == 400 and error in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert [c.name for c in contacts_of(db)] == ["Somchai"] and audit(db, "add_contact") == []


def test_other_bad_input_is_a_form_error(as_role, db):
    contact = add_centre(db)
    browser = as_role("supervisor")
    for data, error in [({"name": "", "phone": "0812345678", "level": "1"}, "Please fill in this field."),
                        ({"name": "x", "phone": "0812345678", "level": "3"}, "Choose one of the options."),
                        ({"name": "x" * 121, "phone": "0812345678", "level": "1"}, "Write at most 120 characters."),
                        ({"name": "Twin", "phone": "081 005 0011", "level": "1"}, "Somchai already has this number")]:
        response = browser.post("/console/centres/50/contacts", {"on_duty": "yes", **data})
        assert response.status_code == 400 and error in response.get_data(as_text=True), data
    assert [c.id for c in contacts_of(db)] == [contact.id]
    assert browser.post("/console/contacts/999999", {"name": "x", "phone": "0812345678", "level": "1",
                                                     "on_duty": "yes"}).status_code == 404


def test_editing_in_place_and_a_new_number_keeping_the_old_row_for_history(as_role, users, db):
    contact = add_centre(db)
    browser = as_role("supervisor")
    page = browser.get(f"/console/contacts/{contact.id}").get_data(as_text=True)
    assert 'value="Somchai"' in page and 'value="+66810050011"' in page
    assert browser.post(f"/console/contacts/{contact.id}", {"name": "Somchai K.", "role": "head of duty",
                                                            "phone": "+66810050011", "level": "1",
                                                            "on_duty": "yes"}).status_code == 302
    assert [(c.id, c.name, c.role, c.active) for c in contacts_of(db)] == [(contact.id, "Somchai K.", "head of duty", True)]
    assert browser.post(f"/console/contacts/{contact.id}", {"name": "Somchai K.", "phone": "089 999 0000", "level": "2",
                                                            "on_duty": "no"}).status_code == 302
    old, new = contacts_of(db)
    assert (old.id, old.phone, old.active) == (contact.id, "+66810050011", False)
    assert (new.phone, new.level, new.on_duty, new.active) == ("+66899990000", 2, False, True)
    first, second = audit(db, "edit_contact")
    assert first.target == second.target == f"contact:{contact.id}" and first.user_id == users["supervisor"].id
    assert "Somchai -> Somchai K." not in first.reason and "Somchai K. / head of duty" in first.reason
    assert "+66810050011" in second.reason and "+66899990000" in second.reason and f"contact:{new.id}" in second.reason
    assert browser.get(f"/console/contacts/{contact.id}").status_code == 404  # the old row is history now


def test_on_duty_is_set_not_flipped_and_deactivation_stops_the_sms(as_role, users, db):
    contact = add_centre(db)
    browser = as_role("admin")
    assert browser.post(f"/console/contacts/{contact.id}/duty", {"on_duty": "no"}).status_code == 302
    assert browser.post(f"/console/contacts/{contact.id}/duty", {"on_duty": "no"}).status_code == 302  # a double click
    assert contacts_of(db)[0].on_duty is False and len(audit(db, "contact_duty")) == 1
    assert browser.post(f"/console/contacts/{contact.id}/duty", {"on_duty": "maybe"}).status_code == 400
    assert browser.post(f"/console/contacts/{contact.id}/duty", {"on_duty": "yes"}).status_code == 302
    assert contacts_of(db)[0].on_duty is True and len(audit(db, "contact_duty")) == 2
    assert browser.post(f"/console/contacts/{contact.id}/deactivate").status_code == 302
    assert browser.post(f"/console/contacts/{contact.id}/deactivate").status_code == 302
    assert contacts_of(db)[0].active is False and len(audit(db, "deactivate_contact")) == 1
    assert "deactivated contacts are kept" in browser.get("/console/centres/50").get_data(as_text=True)


def test_changes_need_the_csrf_token_and_an_editors_role(as_role, db):
    contact = add_centre(db)
    assert as_role("supervisor").post(f"/console/contacts/{contact.id}/duty", {"on_duty": "no"},
                                      token=False).status_code == 400
    for role in ("operator", "field_officer"):
        assert as_role(role).post(f"/console/contacts/{contact.id}/deactivate").status_code == 403
        assert as_role(role).post("/console/centres/50/contacts", {"name": "x", "phone": "0812345678", "level": "1",
                                                                    "on_duty": "yes"}).status_code == 403
    db.expire_all()
    assert db.get(Contact, contact.id).on_duty is True and db.get(Contact, contact.id).active is True
    assert db.scalar(select(func.count()).select_from(Contact)) == 1
    assert db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "login")) == 0


def _load(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["centres", "load", "--data-dir", str(ROOT / "data"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_csv_reload_keeps_what_the_console_changed_unless_told_to_overwrite(app, as_role, db):
    _load(app)
    by_phone = {c.phone: c for c in contacts_of(db)}
    duty, head = by_phone["+66800500011"], by_phone["+66800500021"]
    browser = as_role("supervisor")
    browser.post(f"/console/contacts/{duty.id}/duty", {"on_duty": "no"})
    browser.post(f"/console/contacts/{head.id}", {"name": "New head", "phone": "0899990000", "level": "2",
                                                  "on_duty": "yes"})
    browser.post("/console/centres/50/contacts", {"name": "Extra", "phone": "0899990001", "level": "1", "on_duty": "yes"})
    output = _load(app)
    assert "kept as edited in the console" in output
    state = {c.phone: (c.name, c.on_duty, c.active) for c in contacts_of(db)}
    assert state["+66800500011"][1:] == (False, True)  # still off duty
    assert state["+66800500021"][2] is False  # the replaced number does not come back
    assert state["+66899990000"] == ("New head", True, True) and state["+66899990001"] == ("Extra", True, True)
    _load(app, "--overwrite-console-edits")  # the file is authoritative again
    state = {c.phone: (c.on_duty, c.active) for c in contacts_of(db)}
    assert state["+66800500011"] == (True, True) and state["+66800500021"] == (True, True)
    assert state["+66899990000"][1] is False and state["+66899990001"][1] is False
    assert all(c.console_edited_at is None for c in contacts_of(db) if c.active)


@pytest.mark.parametrize(("query", "found"), [
    ("", {"Chiang Mai centre", "Bangkok centre", "ATP Division"}),
    ("chiang", {"Chiang Mai centre"}),  # the centre's or the province's English name, any case
    ("เชียงใหม่", {"Chiang Mai centre"}),  # the province's Thai name
    ("10", {"Bangkok centre"}),  # the province code
    ("กองต่อต้าน", {"ATP Division"}),  # the centre's Thai name
    ("  กรุงเทพ ", {"Bangkok centre"}),  # part of a name, spaces around it ignored
    ("nowhere", set()),
])
def test_the_centres_list_is_searched_by_province_code_or_centre(as_role, db, query, found):
    add_centre(db, "50", "Chiang Mai centre")
    add_centre(db, "10", "Bangkok centre")
    page = as_role("operator").get("/console/centres", query_string={"q": query}).get_data(as_text=True)
    shown = {name for name in ("Chiang Mai centre", "Bangkok centre", "ATP Division") if f">{name}</a>" in page}
    assert shown == found
    assert 'name="q"' in page and ("No centre matches." in page) == (not found)
