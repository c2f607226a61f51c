"""Logging in and out, session expiry, the login rate limit, cookies and CSRF."""
from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from helpers.console_support import FAST_HASH, PASSWORD, Browser
from helpers.support import call_params
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from casework import accounts
from casework.config import Config
from hotline import create_app
from hotline.console import login
from models import AuditEntry, ConsoleSession, User

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def audit(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def test_a_page_sends_a_stranger_to_the_login_page(browser):
    response = browser.get("/console/calls?status=completed")
    assert response.status_code == 302
    assert response.location.startswith("/console/login?next=")


def test_an_operator_logs_in_and_lands_where_they_were_going(browser, users, db):
    browser.get("/console/calls")
    response = browser.post("/console/login?next=/console/calls", {"username": "Operator ", "password": PASSWORD})
    assert response.status_code == 302 and response.location == "/console/calls"
    assert browser.get("/console/calls").status_code == 200
    [entry] = audit(db, "login")
    assert entry.user_id == users["operator"].id and entry.ip == "127.0.0.1"
    assert db.get(User, users["operator"].id).last_login_at is not None


def test_the_next_page_must_be_inside_the_console(app, users):
    for target in ("https://evil.example/", "//evil.example/x", "/voice/incoming", "/console\\@evil.example",
                   "/console/%0d%0aSet-Cookie:%20x=1", "/console/%0aX", "/console/%09x"):
        browser = Browser(app.test_client())
        response = browser.post(f"/console/login?next={target}", {"username": "operator", "password": PASSWORD})
        assert response.location == "/console/", target


def test_a_wrong_password_is_refused_on_the_form_and_audited(browser, users, db):
    response = browser.login("operator", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert browser.get("/console/").status_code == 302
    [entry] = audit(db, "login_failed")
    assert entry.user_id == users["operator"].id and entry.reason == "wrong password"


def test_an_unknown_user_gets_the_same_answer(browser, users, db):
    response = browser.login("nobody", PASSWORD)
    assert response.status_code == 401 and "Wrong username or password." in response.get_data(as_text=True)
    assert audit(db, "login_failed")[0].reason == "unknown user"


def test_an_inactive_user_cannot_log_in(browser, users, db):
    db.get(User, users["operator"].id).active = False
    db.commit()
    assert browser.login("operator").status_code == 401


def test_logout_ends_the_session(as_role, db):
    browser = as_role("supervisor")
    response = browser.post("/console/logout")
    assert response.status_code == 302 and response.location == "/console/login"
    assert browser.get("/console/").status_code == 302
    assert len(audit(db, "logout")) == 1


def test_logging_out_needs_a_post_with_a_token(as_role):
    browser = as_role("operator")
    assert browser.get("/console/logout").status_code == 405
    assert browser.post("/console/logout", token=False).status_code == 400
    assert browser.get("/console/").status_code == 200


def test_thirty_idle_minutes_end_a_session(app, users):
    with time_machine.travel(START, tick=False) as clock:
        browser = Browser(app.test_client())
        browser.login("operator")
        clock.shift(timedelta(minutes=29))
        assert browser.get("/console/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert browser.get("/console/").status_code == 200  # activity keeps it alive
        clock.shift(timedelta(minutes=31))
        response = browser.get("/console/calls")
        assert response.status_code == 302 and "/console/login" in response.location
        page = browser.get(response.location).get_data(as_text=True)
        assert "Your session has ended" in page


def test_polling_is_not_activity(app, users):
    with time_machine.travel(START, tick=False) as clock:
        browser = Browser(app.test_client())
        browser.login("operator")
        for _ in range(3):
            clock.shift(timedelta(minutes=9))
            assert browser.get("/console/live.json").status_code == 200
        clock.shift(timedelta(minutes=4))
        assert browser.get("/console/live.json").status_code == 401  # 31 minutes with no page or form


def test_eight_hours_end_a_session_however_busy(app, users):
    with time_machine.travel(START, tick=False) as clock:
        browser = Browser(app.test_client())
        browser.login("operator")
        for _ in range(16):
            clock.shift(timedelta(minutes=29))
            assert browser.get("/console/").status_code == 200
        clock.shift(timedelta(minutes=17))  # 8 h 1 min after logging in
        assert browser.get("/console/").status_code == 302


def copy_of(browser: Browser, app) -> Browser:
    """A second browser holding a copy of the first one's session cookie."""
    other = Browser(app.test_client())
    other.client.set_cookie("session", browser.client.get_cookie("session").value)
    return other


def test_logging_out_ends_a_copied_cookie_too(app, as_role, db):
    browser = as_role("supervisor")
    thief = copy_of(browser, app)
    assert thief.get("/console/").status_code == 200
    browser.post("/console/logout")
    response = thief.get("/console/calls")
    assert response.status_code == 302 and response.location.startswith("/console/login")
    assert thief.get("/console/live.json").status_code == 401
    [row] = db.scalars(select(ConsoleSession)).all()
    assert row.ended_why == "logout" and row.ended_at is not None


def test_the_cookie_holds_a_token_not_the_user(app, as_role, db):
    browser = as_role("operator")
    cookie = browser.client.get_cookie("session").value
    payload = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(payload) <= {"sid", "language", "csrf_token", "_flashes"}
    [row] = db.scalars(select(ConsoleSession)).all()
    assert row.id == hashlib.sha256(payload["sid"].encode()).hexdigest()


def test_a_new_password_deactivation_or_new_role_ends_every_login_of_that_user(app, as_role, db, users):
    for change in (lambda s, u: accounts.set_password(s, u, generate_password_hash("another password 77")),
                   lambda s, u: accounts.set_active(s, u, False),
                   lambda s, u: accounts.set_role(s, u, "field_officer", ["50"])):
        user = db.get(User, users["operator"].id)
        user.active, user.role, user.provinces, user.password_hash = True, "operator", [], FAST_HASH
        db.commit()
        first, second, other = as_role("operator"), as_role("operator"), as_role("supervisor")
        change(db, db.get(User, users["operator"].id))
        db.commit()
        assert first.get("/console/").status_code == 302 and second.get("/console/").status_code == 302
        assert other.get("/console/").status_code == 200


def test_a_session_row_seen_at_most_once_a_minute(app, users, db):
    with time_machine.travel(START, tick=False) as clock:
        browser = Browser(app.test_client())
        browser.login("operator")
        clock.shift(timedelta(seconds=30))
        browser.get("/console/")
        db.expire_all()
        assert db.scalars(select(ConsoleSession)).one().seen_at == START
        clock.shift(timedelta(seconds=40))
        browser.get("/console/")
        browser.get("/console/live.json")
        db.expire_all()
        assert db.scalars(select(ConsoleSession)).one().seen_at == START + timedelta(seconds=70)


def test_five_failures_lock_the_username_from_that_address_for_fifteen_minutes(app, users, db):
    with time_machine.travel(START, tick=False) as clock:
        browser = Browser(app.test_client())
        for _ in range(5):
            assert browser.login("operator", "guess").status_code == 401
        response = browser.login("operator", PASSWORD)  # even the right password
        assert response.status_code == 429
        assert "Too many failed attempts" in response.get_data(as_text=True)
        assert len(audit(db, "login_blocked")) == 1
        other_address = Browser(app.test_client())
        assert other_address.login("operator", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302
        assert Browser(app.test_client()).login("supervisor", PASSWORD).status_code == 302
        clock.shift(timedelta(minutes=16))
        assert Browser(app.test_client()).login("operator", PASSWORD).status_code == 302


def test_the_limit_is_kept_in_redis_when_there_is_one(config, redis_url, users):
    config.REDIS_URL = redis_url
    app = create_app(config)
    first, second = Browser(app.test_client()), Browser(app.test_client())
    for _ in range(5):
        assert first.login("operator", "guess").status_code == 401
    app.extensions.pop("console_login_throttle")  # another web worker: nothing in its memory
    assert second.login("operator", PASSWORD).status_code == 429
    app.extensions["engine"].dispose()


def test_a_success_forgets_earlier_failures(browser, users):
    for _ in range(4):
        browser.login("operator", "guess")
    assert browser.login("operator").status_code == 302
    browser.post("/console/logout")
    for _ in range(4):
        assert browser.login("operator", "guess").status_code == 401


def test_forms_without_a_csrf_token_are_refused(browser, users, db):
    response = browser.post("/console/login", {"username": "operator", "password": PASSWORD}, token=False)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = browser.post("/console/login", {"username": "operator", "password": PASSWORD, "csrf_token": "forged"},
                            token=False)
    assert response.status_code == 400
    assert audit(db, "login") == []


def test_twilio_webhooks_need_no_csrf_token(twilio):
    assert twilio.post("/voice/incoming", call_params()).status_code == 200
    response = twilio.post("/sms/incoming", {"MessageSid": "SM" + "1" * 32, "From": "+66800000011", "Body": "hello"})
    assert response.status_code == 200


def test_session_cookie_flags(browser, users):
    browser.get("/console/login")
    browser.post("/console/login", {"username": "operator", "password": PASSWORD})
    cookie = browser.client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_the_session_cookie_is_secure_outside_development(config):
    production = Config(**{**config.__dict__, "ENV": "production", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                           "OPERATOR_DIAL_TARGET": "+6621234567", "REDIS_URL": "redis://127.0.0.1:6379/0",
                           "TWILIO_FROM_NUMBER": "+6621234568", "PUBLIC_BASE_URL": "https://hotline.example.go.th",
                           "LINE_CHANNEL_SECRET": None})  # the test config's is the development one, refused here
    production.check()
    app = create_app(production)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is False


def test_a_post_to_no_route_is_answered_by_routing_not_csrf(client):
    assert client.post("/console/nowhere").status_code == 404
    assert client.delete("/console/login").status_code == 405


@pytest.mark.parametrize("kept_in", ["redis", "process"])
def test_simultaneous_attempts_check_no_more_passwords_than_the_limit(config, redis_url, users, monkeypatch, kept_in):
    """30 wrong passwords at once: the count and the check are one step, so at most 5 passwords are checked."""
    config.REDIS_URL = redis_url if kept_in == "redis" else None
    app = create_app(config)
    checked, lock = [], threading.Lock()

    def slow_check(password_hash, password):  # widens the window between reading the count and adding to it
        with lock:
            checked.append(password)
        time.sleep(0.05)
        return check_password_hash(password_hash, password)

    monkeypatch.setattr(login, "check_password_hash", slow_check)
    browsers = [Browser(app.test_client()) for _ in range(30)]
    for browser in browsers:
        browser.get("/console/login")
    start = threading.Barrier(len(browsers))

    def attempt(browser: Browser) -> int:
        start.wait()
        return browser.post("/console/login", {"username": "operator", "password": "guess"}).status_code

    with ThreadPoolExecutor(len(browsers)) as pool:
        answers = sorted(pool.map(attempt, browsers))
    assert len(checked) <= 5
    assert answers.count(401) == len(checked) and answers.count(429) == 30 - len(checked)
    assert Browser(app.test_client()).login("operator", PASSWORD).status_code == 429
    app.extensions["engine"].dispose()
