"""The account forms (the admin's users page, a user's own password) with whatever a browser can send:
a form error or a redirect, never a 500, and never a user the rules forbid."""
from __future__ import annotations

import re

import pytest
from helpers.console_support import PASSWORD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from casework import accounts, passwords
from models import User

pytestmark = pytest.mark.slow

typed = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)  # a browser cannot send lone surrogates
almost = st.one_of(typed, st.sampled_from(["", "operator", "field_officer", "admin", "50", "99", "yes", "no", "th",
                                           "en", "x" * 300, "river boat 4 lanterns", "1234567890", " ", "\x00"]))
fields = st.fixed_dictionaries({}, optional={name: almost for name in (
    "username", "role", "language", "password", "confirm", "current", "active")} | {
    "provinces": st.lists(almost, max_size=3)})
ROUTES = ("/console/users", "/console/users/{target}/role", "/console/users/{target}/password",
          "/console/users/{target}/active", "/console/users/{target}/logins", "/console/password")


@pytest.mark.parametrize("route", ROUTES)
def test_account_forms_answer_every_input_without_a_500(as_role, users, db, route):
    admin, target = as_role("admin"), users["field_officer"].id
    path = route.format(target=target)

    @given(data=fields)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers(data):
        response = admin.post(path, {**data, "current": data.get("current", "wrong")})
        assert response.status_code in (302, 400), (response.status_code, data)
        if response.status_code == 302:
            assert response.location.startswith("/console/")

    answers()
    db.expire_all()
    for user in db.scalars(select(User)):
        assert re.fullmatch(accounts.USERNAME, user.username)
        assert accounts.scope_problem(user.role, user.provinces or []) is None
    me = db.get(User, users["admin"].id)
    assert me.active and me.role == "admin"


def test_the_password_rule_holds_for_any_text():
    @given(password=typed, username=typed)
    @settings(max_examples=300, deadline=None, database=None)
    def holds(password, username):
        problem = passwords.problem(password, username)
        assert problem in (None, "short", "username", "common")
        if problem is None:
            assert len(password) >= passwords.MIN_LENGTH and password.lower() not in passwords.common()

    holds()
    assert passwords.problem(PASSWORD, "operator") is None
