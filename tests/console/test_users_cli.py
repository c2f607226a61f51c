"""`flask users`: the first admin, field officers scoped to provinces, changes of rights that end logins, clear refusals."""
from __future__ import annotations

from helpers.console_support import Browser
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import AuditEntry, User


def test_create_the_first_admin_and_log_in(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "Admin", "--role", "admin",
                                                "--password", "a long enough secret"])
    assert result.exit_code == 0, result.output
    assert "created admin 'admin'" in result.output
    user = db.scalars(select(User)).one()
    assert (user.username, user.role, user.provinces, user.language, user.active) == ("admin", "admin", [], "th", True)
    assert user.password_hash.startswith("scrypt:") and check_password_hash(user.password_hash, "a long enough secret")
    assert Browser(app.test_client()).login("admin", "a long enough secret").status_code == 302


def test_the_password_is_asked_for_twice_when_not_given(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "somsri", "--role", "operator"],
                                          input="typed secret 123\ntyped secret 123\n")
    assert result.exit_code == 0, result.output
    assert "typed secret" not in result.output
    assert check_password_hash(db.scalars(select(User)).one().password_hash, "typed secret 123")


def test_field_officers_need_provinces_and_others_may_not_have_them(app, db):
    runner = app.test_cli_runner()
    password = ["--password", "a long enough secret"]
    assert "needs at least one --province" in runner.invoke(
        args=["users", "create", "fo", "--role", "field_officer", *password]).output
    assert "field officers only" in runner.invoke(
        args=["users", "create", "op", "--role", "operator", "--province", "50", *password]).output
    assert "not a province code" in runner.invoke(
        args=["users", "create", "fo", "--role", "field_officer", "--province", "99", *password]).output
    result = runner.invoke(args=["users", "create", "fo", "--role", "field_officer", "--province", "50,57",
                                 "--province", "10", "--language", "en", *password])
    assert result.exit_code == 0, result.output
    assert db.scalars(select(User)).one().provinces == ["10", "50", "57"]


def test_refusals(app, db):
    runner = app.test_cli_runner()
    assert "at least 10 characters" in runner.invoke(
        args=["users", "create", "admin", "--role", "admin", "--password", "short"]).output
    assert runner.invoke(args=["users", "create", "bad name", "--role", "admin", "--password", "x" * 12]).exit_code != 0
    runner.invoke(args=["users", "create", "admin", "--role", "admin", "--password", "x" * 12])
    assert "exists already" in runner.invoke(args=["users", "create", "admin", "--role", "admin",
                                                    "--password", "y" * 12]).output
    assert db.scalars(select(User)).one().username == "admin"


def test_list_users(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "create", "admin", "--role", "admin", "--password", "x" * 12])
    runner.invoke(args=["users", "create", "fo", "--role", "field_officer", "--province", "50", "--password", "x" * 12])
    output = runner.invoke(args=["users", "list"]).output
    assert "admin" in output and "provinces=all" in output and "provinces=50" in output and "never" in output
    assert "$" not in output  # no hashes


def invoke(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def audited(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_common_passwords_and_the_username_are_refused(app, db):
    for password, words in (("1234567890", "most common"), ("Password123!", "most common"),
                            ("qwertyuiop", "most common"), ("somsri-2026-hotline", "contain the username")):
        result = invoke(app, "create", "somsri", "--role", "operator", "--password", password)
        assert result.exit_code == 1 and words in result.output, password
        assert len(result.output.strip().splitlines()) == 1
    assert db.scalars(select(User)).all() == []


def test_deactivate_ends_their_logins_and_activate_lets_them_back(app, db, users):
    browser = Browser(app.test_client())
    browser.login("operator")
    result = invoke(app, "deactivate", "operator")
    assert result.exit_code == 0, result.output
    assert browser.get("/console/").status_code == 302
    assert Browser(app.test_client()).login("operator").status_code == 401
    [entry] = audited(db, "deactivate_user")
    assert (entry.user_id, entry.target, entry.reason) == (None, "user:operator", "flask users deactivate")
    assert invoke(app, "activate", "operator").exit_code == 0
    assert Browser(app.test_client()).login("operator").status_code == 302
    assert len(audited(db, "activate_user")) == 1


def test_reset_password_asks_twice_checks_the_rule_and_ends_their_logins(app, db, users):
    browser = Browser(app.test_client())
    browser.login("operator")
    assert "most common" in invoke(app, "reset-password", "operator", "--password", "iloveyou123").output
    assert browser.get("/console/").status_code == 200
    result = invoke(app, "reset-password", "operator", input="a brand new secret\na brand new secret\n")
    assert result.exit_code == 0, result.output
    assert browser.get("/console/").status_code == 302
    db.expire_all()
    assert check_password_hash(db.get(User, users["operator"].id).password_hash, "a brand new secret")
    assert Browser(app.test_client()).login("operator", "a brand new secret").status_code == 302
    assert len(audited(db, "reset_password")) == 1


def test_set_role_and_provinces(app, db, users):
    browser = Browser(app.test_client())
    browser.login("operator")
    assert invoke(app, "set-role", "operator", "field_officer").output.strip() == \
        "Error: a field officer needs at least one --province"
    assert browser.get("/console/").status_code == 200  # nothing changed, nothing ended
    result = invoke(app, "set-role", "operator", "field_officer", "--province", "50")
    assert result.exit_code == 0, result.output
    assert browser.get("/console/").status_code == 302
    user = db.get(User, users["operator"].id)
    db.refresh(user)
    assert (user.role, user.provinces) == ("field_officer", ["50"])
    assert invoke(app, "set-provinces", "operator", "--province", "10,50").exit_code == 0
    db.refresh(user)
    assert user.provinces == ["10", "50"]
    assert "field officers only" in invoke(app, "set-provinces", "supervisor", "--province", "10").output
    assert [e.reason for e in audited(db, "set_role")] == ["flask users set-role field_officer 50",
                                                          "flask users set-provinces 10,50"]


def test_an_unknown_user_is_one_clear_line(app, db):
    for command in (["deactivate", "ghost"], ["activate", "ghost"], ["reset-password", "ghost", "--password", "x" * 12],
                    ["set-role", "ghost", "admin"], ["set-provinces", "ghost", "--province", "50"]):
        result = invoke(app, *command)
        assert result.exit_code == 1 and result.output == "Error: no user 'ghost' (flask users list)\n", command
