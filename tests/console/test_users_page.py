"""The admin's users page and a user's own password change: every change audited as the admin, the
password rule on the form, a change of rights ending the user's logins, no admin locking themselves out."""
from __future__ import annotations

from helpers.console_support import PASSWORD, Browser
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import AuditEntry, ConsoleSession, User

NEW = {"username": "Somsri", "role": "operator", "language": "th", "password": "river boat 4 lanterns",
       "confirm": "river boat 4 lanterns"}


def audited(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def fresh(db, user: User) -> User:
    db.expire_all()
    return db.get(User, user.id)


def test_the_list_shows_every_user_and_their_open_logins(as_role, users):
    as_role("operator")
    as_role("operator")
    admin = as_role("admin")
    page = admin.get("/console/users").get_data(as_text=True)
    for name in ("operator", "supervisor", "admin", "field_officer"):
        assert f">{name}</a>" in page
    assert "Open logins" in page and '<a href="/console/users"' in page  # and in the admin's menu
    assert "<td>2</td>" in page  # the operator's two logins
    assert "$" not in page  # no hashes


def test_an_admin_creates_a_user_who_can_log_in(app, as_role, users, db):
    admin = as_role("admin")
    response = admin.post("/console/users", {**NEW, "provinces": []})
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db.scalar(select(User).where(User.username == "somsri"))
    assert (user.role, user.provinces, user.language, user.active) == ("operator", [], "th", True)
    [entry] = audited(db, "create_user")
    assert entry.user_id == users["admin"].id and entry.target == "user:somsri"
    assert Browser(app.test_client()).login("somsri", NEW["password"]).status_code == 302


def test_the_create_form_refuses_bad_input_with_form_errors(as_role, users, db):
    admin = as_role("admin")
    for change, words in (({"password": "iloveyou123", "confirm": "iloveyou123"}, "most common passwords"),
                          ({"password": "somsri rides 99", "confirm": "somsri rides 99"}, "may not contain the username"),
                          ({"password": "short", "confirm": "short"}, "at least 10 characters"),
                          ({"confirm": "something else 12"}, "The two passwords differ."),
                          ({"role": "field_officer"}, "A field officer needs at least one province."),
                          ({"provinces": ["50"]}, "Only field officers have provinces"),
                          ({"provinces": ["99"], "role": "field_officer"}, "Choose one of the options."),
                          ({"role": "king"}, "Choose one of the options."),
                          ({"username": "bad name"}, "lower-case letters"),
                          ({"username": "operator"}, "This username is taken.")):
        response = admin.post("/console/users", {**NEW, **change})
        assert response.status_code == 400 and words in response.get_data(as_text=True), change
    assert db.scalar(select(User).where(User.username == "somsri")) is None


def test_deactivating_ends_their_logins_and_is_audited(app, as_role, users, db):
    operator, admin = as_role("operator"), as_role("admin")
    uid = users["operator"].id
    assert admin.post(f"/console/users/{uid}/active", {"active": "no"}).status_code == 302
    assert operator.get("/console/").status_code == 302
    assert not fresh(db, users["operator"]).active
    assert audited(db, "deactivate_user")[0].user_id == users["admin"].id
    assert admin.post(f"/console/users/{uid}/active", {"active": "yes"}).status_code == 302
    assert fresh(db, users["operator"]).active and len(audited(db, "activate_user")) == 1
    assert admin.post(f"/console/users/{uid}/active", {"active": "maybe"}).status_code == 400


def test_a_new_role_or_provinces_end_their_logins(as_role, users, db):
    officer, admin = as_role("field_officer"), as_role("admin")
    uid = users["field_officer"].id
    response = admin.post(f"/console/users/{uid}/role", {"role": "field_officer", "provinces": ["50", "57"]})
    assert response.status_code == 302
    assert officer.get("/console/").status_code == 302
    assert fresh(db, users["field_officer"]).provinces == ["50", "57"]
    [entry] = audited(db, "set_role")
    assert entry.reason == "field_officer 50 -> field_officer 50,57" and entry.user_id == users["admin"].id
    response = admin.post(f"/console/users/{uid}/role", {"role": "supervisor", "provinces": ["50"]})
    assert response.status_code == 400 and "Only field officers have provinces" in response.get_data(as_text=True)


def test_an_admin_resets_a_password_with_the_rule(app, as_role, users, db):
    operator, admin = as_role("operator"), as_role("admin")
    uid = users["operator"].id
    response = admin.post(f"/console/users/{uid}/password", {"password": "operator2026!!", "confirm": "operator2026!!"})
    assert response.status_code == 400 and "may not contain the username" in response.get_data(as_text=True)
    assert operator.get("/console/").status_code == 200
    response = admin.post(f"/console/users/{uid}/password", {"password": "blue kettle 8 hills",
                                                               "confirm": "blue kettle 8 hills"})
    assert response.status_code == 302
    assert operator.get("/console/").status_code == 302
    assert check_password_hash(fresh(db, users["operator"]).password_hash, "blue kettle 8 hills")
    assert audited(db, "reset_password")[0].target == "user:operator"


def test_an_admin_ends_someones_logins(as_role, users, db):
    operator, admin = as_role("operator"), as_role("admin")
    assert admin.post(f"/console/users/{users['operator'].id}/logins").status_code == 302
    assert operator.get("/console/").status_code == 302
    assert audited(db, "end_sessions")[0].reason == "1 ended"
    assert admin.get("/console/").status_code == 200


def test_an_admin_cannot_deactivate_or_demote_themselves(as_role, users, db):
    admin = as_role("admin")
    uid = users["admin"].id
    response = admin.post(f"/console/users/{uid}/active", {"active": "no"})
    assert response.status_code == 400 and "You cannot deactivate yourself." in response.get_data(as_text=True)
    response = admin.post(f"/console/users/{uid}/role", {"role": "operator"})
    assert response.status_code == 400 and "your own administrator role" in response.get_data(as_text=True)
    user = fresh(db, users["admin"])
    assert user.active and user.role == "admin"
    assert admin.get("/console/users").status_code == 200


def test_an_unknown_user_is_not_found(as_role, users):
    admin = as_role("admin")
    assert admin.get("/console/users/999").status_code == 404
    assert admin.post("/console/users/999/logins").status_code == 404


def test_changing_ones_own_password_ends_the_other_logins_and_keeps_this_one(app, as_role, users, db):
    browser, elsewhere = as_role("supervisor"), as_role("supervisor")
    assert browser.get("/console/password").status_code == 200
    wrong = browser.post("/console/password", {"current": "not it at all", "password": "green lamp 7 doors",
                                               "confirm": "green lamp 7 doors"})
    assert wrong.status_code == 400 and "This is not your current password." in wrong.get_data(as_text=True)
    common = browser.post("/console/password", {"current": PASSWORD, "password": "1q2w3e4r5t",
                                                "confirm": "1q2w3e4r5t"})
    assert common.status_code == 400 and "most common passwords" in common.get_data(as_text=True)
    response = browser.post("/console/password", {"current": PASSWORD, "password": "green lamp 7 doors",
                                                  "confirm": "green lamp 7 doors"})
    assert response.status_code == 302
    assert browser.get("/console/").status_code == 200
    assert elsewhere.get("/console/").status_code == 302
    assert Browser(app.test_client()).login("supervisor", "green lamp 7 doors").status_code == 302
    [entry] = audited(db, "change_password")
    assert entry.user_id == users["supervisor"].id
    db.expire_all()
    assert {row.ended_why for row in db.scalars(select(ConsoleSession))} == {"password", None}
