"""Every registered route, called by a stranger: one table of what each must answer, so a new
route without a rule fails the suite. (Console roles are walked in tests/console/test_routes.py.)"""
from __future__ import annotations

import re

import pytest
from helpers.console_support import Browser, add_user
from helpers.support import call_params

# endpoint: (method, path, status codes a stranger may get)
STRANGER = {
    "health.index": ("GET", "/", {200}),
    "health.healthz": ("GET", "/healthz", {200}),
    "health.readyz": ("GET", "/readyz", {200}),  # public, like /healthz: says only "ok" or what is down
    "metrics.metrics": ("GET", "/metrics", {404}),  # no METRICS_TOKEN configured: not there at all
    "static": ("GET", "/static/nothing.css", {404}),
    "telephony.incoming": ("POST", "/voice/incoming", {403}),
    "telephony.ivr": ("POST", "/voice/ivr/main?s=2&try=1", {403}),
    "telephony.status": ("POST", "/voice/status", {403}),
    "telephony.recording": ("POST", "/voice/recording", {403}),
    "telephony.hold": ("POST", "/voice/desk/hold?conf=desk-CA1&n=1", {403}),
    "telephony.leave": ("POST", "/voice/desk/leave?w=1", {403}),
    "telephony.conference": ("POST", "/voice/desk/conference", {403}),
    "telephony.participant": ("POST", "/voice/desk/participant?o=1", {403}),
    "telephony.callback": ("POST", "/voice/desk/callback?w=1&u=1", {403}),
    "telephony.fallback": ("POST", "/voice/fallback", {403}),
    "telephony.prompt": ("GET", "/voice/prompts/my/welcome.mp3", {404}),  # public, but only recorded prompts
    "sms.incoming": ("POST", "/sms/incoming", {403}),
    "sms.status": ("POST", "/sms/status", {403}),
    "line.webhook": ("POST", "/line/webhook", {401}),  # no x-line-signature
    "case_link": ("GET", "/c/1", {302}),  # the SMS's short link: only a redirect to the guarded case page
    "api.openapi": ("GET", "/api/v1/openapi.json", {200}),
    "api.create_report": ("POST", "/api/v1/reports", {401}),
    "api.list_cases": ("GET", "/api/v1/cases", {401}),
    "api.show_case": ("GET", "/api/v1/cases/1300-69-000001", {401}),
    "api.show_call": ("GET", "/api/v1/calls/CA0", {401}),
}
CONSOLE_PUBLIC = {"console.login"}


def endpoints(app) -> dict:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def test_every_route_has_a_rule(app):
    registered = {e for e in endpoints(app) if not e.startswith("console.")}
    assert sorted(registered - set(STRANGER)) == [], "routes without a row in STRANGER"
    assert sorted(set(STRANGER) - registered) == [], "STRANGER names a route that no longer exists"


@pytest.mark.parametrize("endpoint", sorted(STRANGER))
def test_a_stranger_gets_only_what_the_table_allows(client, endpoint):
    method, path, allowed = STRANGER[endpoint]
    response = client.open(path, method=method, data=call_params() if method == "POST" else None)
    assert response.status_code in allowed, (endpoint, response.status_code)


def test_a_stranger_never_gets_into_the_console(app, client):
    for endpoint, rule in endpoints(app).items():
        if not endpoint.startswith("console.") or endpoint in CONSOLE_PUBLIC:
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code in {302, 400, 401, 403}, (endpoint, method, response.status_code)
            if response.status_code == 302:
                assert "/console/login" in response.headers["Location"]


def test_a_cookie_kept_after_logout_opens_nothing(app, db):
    """An admin's cookie, copied before they log out, with its valid CSRF token: every console route refuses it."""
    add_user(db, "admin", "admin")
    admin = Browser(app.test_client())
    assert admin.login("admin").status_code == 302
    copy, cookie = Browser(app.test_client()), admin.client.get_cookie("session").value
    copy.client.set_cookie("session", cookie)
    copy.token = admin.token
    assert copy.get("/console/users").status_code == 200  # the copy works while the login lasts
    admin.post("/console/logout")
    for endpoint, rule in endpoints(app).items():
        if not endpoint.startswith("console.") or endpoint in CONSOLE_PUBLIC:
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            copy.client.set_cookie("session", cookie)  # a refusal clears the cookie: send the copy each time
            response = copy.get(path) if method == "GET" else copy.post(path, {"active": "yes"})
            assert response.status_code in {302, 401}, (endpoint, method, response.status_code)
            if response.status_code == 302:
                assert response.location.startswith("/console/login"), endpoint


def test_every_answer_carries_headers_that_keep_browsers_safe(client, twilio):
    for response in (client.get("/healthz"), client.get("/api/v1/cases"), twilio.post("/voice/incoming", call_params()),
                     client.get("/console/login")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert "script-src 'self'" in client.get("/console/login").headers["Content-Security-Policy"]
