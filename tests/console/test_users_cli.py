"""`flask users create|list`: the first admin, field officers scoped to provinces, clear refusals."""
from __future__ import annotations

from helpers.console_support import Browser
from sqlalchemy import select
from werkzeug.security import check_password_hash

from models import User


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
