"""The desk in the console (issue 16): the header's control, my desk page, the team's states, logout and expiry
making people away, and the interpreters' roster; on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from helpers.console_support import Browser
from sqlalchemy import select

from models import AuditEntry, DeskProfile, Interpreter

START = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def give_profile(db, user, state="away", endpoint="+66812345678") -> DeskProfile:
    row = DeskProfile(user_id=user.id, languages=["th", "my"], endpoint=endpoint, state=state)
    db.add(row)
    db.commit()
    return row


def state_of(db, user) -> str:
    db.expire_all()
    return db.get(DeskProfile, user.id).state


def test_one_click_in_the_header_without_javascript(db, users, as_role):
    give_profile(db, users["operator"])
    operator = as_role("operator")
    page = operator.get("/console/calls").get_data(as_text=True)
    assert 'action="/console/desk/state"' in page and 'value="available"' in page
    response = operator.post("/console/desk/state", {"state": "available", "next": "/console/calls"})
    assert response.status_code == 302 and response.location == "/console/calls"
    assert state_of(db, users["operator"]) == "available"
    assert 'value="away"' in operator.get("/console/calls").get_data(as_text=True)
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "desk_state")).one()
    assert (entry.user_id, entry.reason) == (users["operator"].id, "away -> available")
    response = operator.post("/console/desk/state", {"state": "away", "next": "https://evil.example/"})
    assert response.location == "/console/desk"  # only a console path


def test_no_control_without_a_profile_and_the_routers_states_are_refused(db, users, as_role):
    operator = as_role("operator")
    assert "/console/desk/state" not in operator.get("/console/calls").get_data(as_text=True)
    response = operator.post("/console/desk/state", {"state": "available"})
    assert response.status_code == 400 and "no desk profile yet" in response.get_data(as_text=True)
    give_profile(db, users["operator"])
    for state in ("on_call", "offered"):
        response = operator.post("/console/desk/state", {"state": state})
        assert response.status_code == 400 and "Only the desk puts someone" in response.get_data(as_text=True)
    assert operator.post("/console/desk/state", {"state": "asleep"}).status_code == 400
    assert operator.post("/console/desk/state", {}).status_code == 400
    db.get(DeskProfile, users["operator"].id).state = "on_call"
    db.commit()
    response = operator.post("/console/desk/state", {"state": "away"})
    assert response.status_code == 409 and "You are on a call" in response.get_data(as_text=True)
    assert state_of(db, users["operator"]) == "on_call"


def test_a_login_does_not_make_anyone_available_and_a_logout_makes_them_away(db, users, as_role):
    give_profile(db, users["operator"], state="available")
    operator = as_role("operator")
    assert state_of(db, users["operator"]) == "available"  # as it was: logging in changed nothing
    operator.post("/console/logout")
    assert state_of(db, users["operator"]) == "away"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "desk_state")).one()
    assert (entry.user_id, entry.reason) == (users["operator"].id, "available -> away (logout)")
    as_role("operator")
    db.get(DeskProfile, users["operator"].id).state = "wrap_up"
    db.commit()
    give_profile(db, users["supervisor"], state="on_call")
    supervisor = as_role("supervisor")
    supervisor.post("/console/logout")
    assert state_of(db, users["supervisor"]) == "on_call"  # the call goes on without the console


def test_an_expired_login_makes_them_away(app, db, users):
    give_profile(db, users["operator"], state="wrap_up")
    with time_machine.travel(START, tick=False) as clock:
        operator = Browser(app.test_client())
        operator.login("operator")
        clock.shift(timedelta(seconds=app.config["HOTLINE"].CONSOLE_SESSION_IDLE + 1))
        assert operator.get("/console/calls").status_code == 302
    assert state_of(db, users["operator"]) == "away"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "desk_state")).one()
    assert (entry.user_id, entry.reason) == (None, "system: wrap_up -> away (expired)")


def test_my_desk_page_edits_languages_and_endpoint_and_masks_the_number(db, users, as_role):
    operator = as_role("operator")
    assert "no desk profile yet" in operator.get("/console/desk").get_data(as_text=True)
    response = operator.post("/console/desk/profile", {"languages": ["my", "th"], "kind": "phone",
                                                       "address": "081 234 5678"})
    assert response.status_code == 302
    row = db.get(DeskProfile, users["operator"].id)
    assert (row.languages, row.endpoint, row.state) == (["th", "my"], "+66812345678", "away")
    page = operator.get("/console/desk").get_data(as_text=True)
    assert "+66 8X XXX 5678" in page and "812345678" not in page and "Burmese" in page
    operator.post("/console/desk/profile", {"languages": ["km"], "kind": "phone", "address": ""})  # keeps the number
    db.expire_all()
    assert (row.languages, row.endpoint) == (["km"], "+66812345678")
    operator.post("/console/desk/profile", {"languages": ["km"], "kind": "sip", "address": "op1@pbx.example.org"})
    db.expire_all()
    assert row.endpoint == "sip:op1@pbx.example.org"
    for data, error in (({"kind": "browser"}, "Choose at least one language."),
                        ({"languages": ["fr"], "kind": "browser"}, "Choose one of the options."),
                        ({"languages": ["th"], "kind": "phone", "address": "12345"}, "not a valid phone number"),
                        ({"languages": ["th"], "kind": "sip", "address": "nobody"}, "not a SIP address"),
                        ({"languages": ["th"], "kind": "pager"}, "Choose one of the options.")):
        response = operator.post("/console/desk/profile", data)
        assert response.status_code == 400 and error in response.get_data(as_text=True), data
    db.expire_all()
    assert row.endpoint == "sip:op1@pbx.example.org"
    assert [e.reason for e in db.scalars(select(AuditEntry).where(AuditEntry.action == "desk_profile"))] == [
        "th,my / phone", "km / phone", "km / sip"]


def test_the_team_page_shows_states_with_numbers_masked(db, users, as_role):
    give_profile(db, users["operator"], state="available")
    give_profile(db, users["supervisor"], endpoint="browser")
    page = as_role("admin").get("/console/desk/team").get_data(as_text=True)
    assert "operator" in page and "available" in page and "+66 8X XXX 5678" in page and "812345678" not in page
    assert as_role("operator").get("/console/desk/team").status_code == 403


def test_the_interpreters_roster(db, users, as_role):
    supervisor = as_role("supervisor")
    response = supervisor.post("/console/interpreters", {"name": "<script>alert(1)</script>", "language": "my",
                                                         "phone": "02 000 0101", "on_duty": "yes"})
    assert response.status_code == 302
    interpreter = db.scalars(select(Interpreter)).one()
    page = supervisor.get("/console/interpreters").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "+6620000101" in page
    operator_page = as_role("operator").get("/console/interpreters").get_data(as_text=True)
    assert "+66 2X XX 0101" in operator_page and "20000101" not in operator_page
    assert as_role("field_officer").get("/console/interpreters").status_code == 403
    clash = supervisor.post("/console/interpreters", {"name": "Ko Min", "language": "my", "phone": "+6620000101",
                                                      "on_duty": "yes"})
    assert clash.status_code == 400 and "Another interpreter has this number" in clash.get_data(as_text=True)
    bad = supervisor.post("/console/interpreters", {"name": "", "language": "fr", "phone": "12", "on_duty": "yes"})
    assert bad.status_code == 400
    assert supervisor.get(f"/console/interpreters/{interpreter.id}").status_code == 200
    response = supervisor.post(f"/console/interpreters/{interpreter.id}", {"name": "Ko Min", "language": "my",
                                                                           "phone": "+6620000101", "on_duty": "yes"})
    assert response.status_code == 302
    supervisor.post(f"/console/interpreters/{interpreter.id}/duty", {"on_duty": "no"})
    supervisor.post(f"/console/interpreters/{interpreter.id}/duty", {"on_duty": "no"})  # the wanted state, once
    supervisor.post(f"/console/interpreters/{interpreter.id}/deactivate")
    db.expire_all()
    assert (interpreter.name, interpreter.on_duty, interpreter.active) == ("Ko Min", False, False)
    assert supervisor.get(f"/console/interpreters/{interpreter.id}").status_code == 404
    actions = [e.action for e in db.scalars(select(AuditEntry).where(AuditEntry.target == f"interpreter:{interpreter.id}")
                                            .order_by(AuditEntry.id))]
    assert actions == ["add_interpreter", "edit_interpreter", "interpreter_duty", "deactivate_interpreter"]
    assert all(e.user_id == users["supervisor"].id for e in db.scalars(select(AuditEntry).where(
        AuditEntry.target == f"interpreter:{interpreter.id}")))
