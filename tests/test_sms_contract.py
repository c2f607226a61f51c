"""workers.twilio_sms against Twilio's own OpenAPI description, served by the Prism mock server.

Prism checks every request the official client makes against the description (and
refuses a bad one with 422); Twilio's error answers (400 + a Twilio code) come from
a tiny local fake, because Prism answers an invalid request with any 400 the
description declares, which would hide the 422 that proves it validates.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from helpers.prism import MESSAGES, free_port, prism_mock, relaxed_copy
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from casework.config import DEVELOPMENT_AUTH_TOKEN, Config
from casework.escalation_sms import SmsRefused, SmsUnavailable
from workers import twilio_sms as sms

ACCOUNT = "AC" + "0123456789abcdef" * 2
TO = "+66812345678"
BODY = "1300 เหตุด่วน 1300-69-004821 ตอบ ACK 4821 / reply ACK 4821"
CALLBACK = "https://hotline.example.go.th/sms/status"


def config(base_url: str | None, **overrides) -> Config:
    settings = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "test-auth-token",
                "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE_URL": base_url, **overrides}
    cfg = Config(ENV="test", **settings)
    cfg.check()
    return cfg


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prism")
    # A relaxed test-only copy (see relaxed_copy for why); the shared file stays untouched.
    with prism_mock(relaxed_copy(tmp / "twilio_api_v2010.json"), tmp / "prism.log") as url:
        yield url


@pytest.fixture
def wire(monkeypatch):
    """Every request the Twilio client sends; `wire.headers` are added to the next ones (e.g. Prefer)."""
    seen, original = [], TwilioHttpClient.request

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        headers = {**(headers or {}), **request.headers}
        seen.append({"method": method, "url": url, "data": dict(data or {}), "headers": headers})
        return original(self, method, url, params=params, data=data, headers=headers, **kwargs)

    request.headers, request.seen = {}, seen
    monkeypatch.setattr(TwilioHttpClient, "request", request)
    return request


class Fake:
    """Answers every request with `status` and a JSON `body` after `delay` seconds."""

    def __init__(self):
        self.status, self.body, self.delay, self.forms = 201, {}, 0.0, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                fake.forms.append(parse_qs(self.rfile.read(length).decode()))
                time.sleep(fake.delay)
                payload = json.dumps(fake.body).encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except ConnectionError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def twilio_fake():
    fake = Fake()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def fake(twilio_fake):
    twilio_fake.status, twilio_fake.body, twilio_fake.delay = 201, {}, 0.0
    twilio_fake.forms.clear()
    return twilio_fake


def test_a_real_send_passes_twilios_description_and_returns_a_sid(prism_url, wire, caplog):
    caplog.set_level(logging.INFO)
    sent = sms.TwilioSender(config(prism_url)).send(TO, BODY, CALLBACK)
    assert re.fullmatch(r"SM[0-9a-fA-F]{32}", sent.sid) and sent.status == "queued" and sent.dry_run is False
    (request,) = wire.seen
    assert request["url"] == prism_url + MESSAGES.replace("{AccountSid}", ACCOUNT)
    assert request["data"] == {"To": TO, "Body": BODY, "From": "+15005550006", "StatusCallback": CALLBACK}
    assert sent.sid in caplog.text and "+668XXXX5678" in caplog.text
    assert TO not in caplog.text and "ACK 4821" not in caplog.text  # no number, no body in the logs


def test_a_messaging_service_sends_without_from_or_callback(prism_url, wire):
    service = "MG" + "a" * 32
    sent = sms.TwilioSender(config(prism_url, TWILIO_FROM_NUMBER=None, TWILIO_MESSAGING_SERVICE_SID=service)).send(
        TO, BODY, None)
    assert sent.sid.startswith("SM")
    assert wire.seen[0]["data"] == {"To": TO, "Body": BODY, "MessagingServiceSid": service}


def test_prism_refuses_what_twilios_description_forbids(prism_url):
    client = Client(ACCOUNT, "test-auth-token")
    client.api.base_url = prism_url
    with pytest.raises(TwilioRestException) as error:
        client.messages.create(to=None, body=BODY, from_="+15005550006")  # the client drops To=None
    assert error.value.status == 422
    problem = json.loads(client.http_client._test_only_last_response.text)
    assert problem["validation"][0]["message"] == "Request body must have required property 'To'"
    # Through send(): a callback that is not a URI breaks the contract; a 422 is a bug, never retried.
    with pytest.raises(SmsRefused) as refused:
        sms.TwilioSender(config(prism_url)).send(TO, BODY, "not a url")
    assert refused.value.status == 422 and refused.value.code is None


def test_the_relaxed_copy_accepts_a_single_value_for_a_list(prism_url):
    url = prism_url + MESSAGES.replace("{AccountSid}", ACCOUNT)
    form = {"To": TO, "From": "+15005550006", "MediaUrl": "https://hotline.example.go.th/map.png"}
    answer = requests.post(url, data=form, auth=(ACCOUNT, "x"), headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 201, answer.text  # Twilio's own description, as served, says "must be array"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_transient(prism_url, wire, status):
    wire.headers["Prefer"] = f"code={status}"
    with pytest.raises(SmsUnavailable) as error:
        sms.TwilioSender(config(prism_url)).send(TO, BODY, CALLBACK)
    assert error.value.status == status  # Prism validated the request, then answered as asked


@pytest.mark.parametrize("code, number_side", [(21211, True), (21610, True), (21614, True), (21408, False)])
def test_twilio_refusals_are_permanent_with_their_code(fake, code, number_side, caplog):
    caplog.set_level(logging.INFO)
    fake.status = 400
    fake.body = {"code": code, "message": f"The 'To' number {TO} cannot get this message.",
                 "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": 400}
    with pytest.raises(SmsRefused) as error:
        sms.TwilioSender(config(fake.url)).send(TO, BODY, CALLBACK)
    assert error.value.code == code and error.value.status == 400
    assert error.value.number_unreachable is number_side
    assert TO not in str(error.value) and "+668XXXX5678" in str(error.value)  # callers may log it
    assert TO not in caplog.text and "ACK" not in caplog.text
    assert fake.forms[0]["To"] == [TO] and fake.forms[0]["Body"] == [BODY]


def test_an_rfc9457_problem_answer_is_classified_too(fake):
    """Newer Twilio answers raise TwilioServiceException, which is not a TwilioRestException."""
    fake.status = 400
    fake.body = {"type": "https://www.twilio.com/docs/errors/21610", "status": 400, "code": 21610,
                 "title": "Attempt to send to unsubscribed recipient", "detail": "The recipient replied STOP."}
    with pytest.raises(SmsRefused) as error:
        sms.TwilioSender(config(fake.url)).send(TO, BODY, None)
    assert isinstance(error.value.__cause__, TwilioServiceException) and error.value.code == 21610
    fake.status, fake.body = 429, {**fake.body, "code": 20429, "status": 429, "title": "Too Many Requests"}
    with pytest.raises(SmsUnavailable):
        sms.TwilioSender(config(fake.url)).send(TO, BODY, None)


def test_timeouts_and_refused_connections_are_transient(fake, monkeypatch):
    monkeypatch.setattr(sms, "TIMEOUT", 0.3)
    fake.delay = 1.0
    with pytest.raises(SmsUnavailable, match="ReadTimeout"):
        sms.TwilioSender(config(fake.url)).send(TO, BODY, None)
    with pytest.raises(SmsUnavailable, match="ConnectionError"):
        sms.TwilioSender(config(f"http://127.0.0.1:{free_port()}")).send(TO, BODY, None)


@pytest.mark.parametrize("settings", [{"TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None},
                                      {"TWILIO_AUTH_TOKEN": None},  # check() fills in the development token
                                      {"TWILIO_AUTH_TOKEN": DEVELOPMENT_AUTH_TOKEN}])
def test_dry_run_never_touches_the_network(monkeypatch, settings):
    monkeypatch.setattr(sms, "Client", lambda *a, **k: pytest.fail("dry run built a Twilio client"))
    monkeypatch.setattr(socket.socket, "connect", lambda *a: pytest.fail("dry run opened a connection"))
    cfg = config(f"http://127.0.0.1:{free_port()}", **settings)
    assert cfg.sms_dry_run
    sent = sms.TwilioSender(cfg).send(TO, BODY, CALLBACK)
    assert sent.dry_run is True and sent.status == "dry-run" and re.fullmatch(r"DR[0-9a-f]{32}", sent.sid)
    assert sms.TwilioSender(cfg).send(TO, BODY, CALLBACK).sid != sent.sid


def test_no_sender_configured_is_permanent_without_a_request(monkeypatch):
    monkeypatch.setattr(sms, "Client", lambda *a, **k: pytest.fail("sent without a sender"))
    with pytest.raises(SmsRefused) as error:
        sms.TwilioSender(config("http://127.0.0.1:9", TWILIO_FROM_NUMBER=None)).send(TO, BODY, None)
    assert error.value.code == 21603 and not error.value.number_unreachable


def test_the_demo_roster_is_never_texted_for_real():
    cfg = Config(ENV="test", TWILIO_ACCOUNT_SID="AC" + "1" * 32, TWILIO_AUTH_TOKEN="t", TWILIO_FROM_NUMBER="+15005550006",
                 TWILIO_API_BASE_URL="http://127.0.0.1:1")
    cfg.check()
    with pytest.raises(SmsRefused, match="demo"):
        sms.TwilioSender(cfg).send("+66800500011", "test", None)
