"""Deleting a recording (and a call's log) at Twilio, as the retention run does it: the official client's request checked
against Twilio's own OpenAPI description (Prism), and Twilio's 404 and 5xx answers (a tiny fake)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers.prism import free_port, prism_mock, relaxed_copy

from casework import retention
from casework.config import Config
from workers import twilio_sms as sms

ACCOUNT = "AC" + "0123456789abcdef" * 2
RECORDING = "RE" + "fedcba9876543210" * 2
CALL = "CA" + "0123456789abcdef" * 2


def config(base_url: str) -> Config:
    cfg = Config(ENV="test", TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_AUTH_TOKEN="test-auth-token",
                 TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=base_url)
    cfg.check()
    return cfg


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prism")
    with prism_mock(relaxed_copy(tmp / "twilio_api_v2010.json"), tmp / "prism.log") as url:
        yield url


def test_the_delete_request_is_the_one_twilio_describes(prism_url):
    client = sms.rest_client(config(prism_url))
    assert retention.delete_at_twilio(client, RECORDING) is True
    assert client.http_client._test_only_last_response.status_code == 204
    assert retention.delete_at_twilio(client, "RE-not-a-recording-sid") is False  # Prism refuses what Twilio would
    assert retention.delete_at_twilio(client, CALL, "calls") is True  # the call's log, with the caller's number
    assert client.http_client._test_only_last_response.status_code == 204


@pytest.fixture
def twilio_answers():
    """A stand-in answering each DELETE with the next (status, JSON body); remembers the paths."""
    answers, paths = [], []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_DELETE(self):
            paths.append(self.path)
            status, body = answers.pop(0)
            data = json.dumps(body).encode() if body else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", answers, paths
    server.shutdown()
    server.server_close()


def test_a_recording_twilio_no_longer_has_counts_as_deleted_and_an_outage_does_not(twilio_answers):
    url, answers, paths = twilio_answers
    client = sms.twilio_client(config(url))
    answers.append((404, {"code": 20404, "message": f"The requested resource /Recordings/{RECORDING}.json was not found",
                          "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}))
    assert retention.delete_at_twilio(client, RECORDING) is True
    answers.append((503, {"code": 20503, "message": "Service Unavailable", "status": 503}))
    assert retention.delete_at_twilio(client, RECORDING) is False
    assert paths == [f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}.json"] * 2
