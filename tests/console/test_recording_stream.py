"""A voice message streamed from a real local server standing in for Twilio (TWILIO_API_BASE_URL): the fetch
goes there with the account's credentials, and at most RECORDING_STREAMS of them run at once per process."""
from __future__ import annotations

import base64
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers.console_support import Browser, add_call, add_user

from casework.config import Config

ACCOUNT = "AC" + "9" * 32
PATH = "/2010-04-01/Accounts/AC0/Recordings/RE" + "2" * 32
RECORDING = "https://api.twilio.com" + PATH
CHUNK = 64 * 1024  # hotline.console.recording.CHUNK: the first chunk reaches the browser before a hold
AUDIO = b"ID3" + bytes(range(256)) * (3 * CHUNK // 256)  # a little over three chunks
WAIT = 10  # seconds any step may take before the test gives up (a step that waits on a hold never ends)


class FakeTwilioMedia:
    """Twilio's recording media, with Range; `hold` keeps an answer back until `go` is set: "start" before
    the headers, "middle" after the first chunk; `status` answers that error instead."""

    def __init__(self):
        self.requests: list[dict] = []
        self.hold: str | None = None
        self.status: int | None = None
        self.arrived, self.go = threading.Semaphore(0), threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append({"path": self.path, "authorization": self.headers.get("Authorization"),
                                      "range": self.headers.get("Range")})
                fake.arrived.release()
                if fake.hold == "start":
                    fake.go.wait(WAIT)
                if fake.status:
                    self.send_response(fake.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                first, last = 0, len(AUDIO) - 1
                wanted = self.headers.get("Range", "")
                if wanted.startswith("bytes="):
                    start, _, end = wanted[len("bytes="):].partition("-")
                    first, last = int(start), int(end) if end else last
                self.send_response(206 if wanted else 200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(last - first + 1))
                self.send_header("Accept-Ranges", "bytes")
                if wanted:
                    self.send_header("Content-Range", f"bytes {first}-{last}/{len(AUDIO)}")
                self.end_headers()
                body = AUDIO[first:last + 1]
                try:
                    if fake.hold == "middle":
                        self.wfile.write(body[:CHUNK])
                        self.wfile.flush()
                        fake.go.wait(WAIT)
                        body = body[CHUNK:]
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the app hung up: what a stopped player does
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.go.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    twilio = FakeTwilioMedia()
    yield twilio
    twilio.close()


@pytest.fixture
def make_app(config, fake):
    """The app with real-looking credentials and Twilio's API at the fake."""
    apps = []

    def make(**settings):
        from hotline import create_app

        app = create_app(Config(**{**config.__dict__, "TWILIO_ACCOUNT_SID": ACCOUNT,
                                   "TWILIO_API_BASE_URL": fake.url, **settings}))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["engine"].dispose()


def logged_in(app, username: str = "operator") -> Browser:
    browser = Browser(app.test_client())
    assert browser.login(username).status_code == 302
    return browser


def test_the_recording_is_fetched_from_the_base_url_with_the_accounts_credentials(make_app, fake, config, db):
    app = make_app()
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING, recording_duration=6)
    browser = logged_in(app)
    response = browser.get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 200 and response.data == AUDIO and response.mimetype == "audio/mpeg"
    credentials = base64.b64encode(f"{ACCOUNT}:{config.TWILIO_AUTH_TOKEN}".encode()).decode()
    assert fake.requests == [{"path": PATH + ".mp3", "authorization": f"Basic {credentials}", "range": None}]
    seek = browser.get(f"/console/calls/{call.id}/recording", headers={"Range": "bytes=1000-1999"})
    assert seek.status_code == 206 and seek.data == AUDIO[1000:2000]
    assert seek.headers["Content-Range"] == f"bytes 1000-1999/{len(AUDIO)}" and seek.headers["Accept-Ranges"] == "bytes"
    assert fake.requests[1]["range"] == "bytes=1000-1999" and fake.requests[1]["path"] == PATH + ".mp3"


def test_the_base_url_takes_the_stored_urls_path():
    from hotline.console.recording import media_url

    assert media_url(RECORDING) == RECORDING + ".mp3"
    assert media_url(RECORDING, "http://127.0.0.1:4010/") == "http://127.0.0.1:4010" + PATH + ".mp3"
    assert media_url(RECORDING + ".wav", "http://mock/twilio") == "http://mock/twilio" + PATH + ".wav"


def test_beyond_recording_streams_a_request_is_refused_at_once_and_the_slot_comes_back(make_app, fake, db):
    app = make_app(RECORDING_STREAMS=1)
    add_user(db, "operator", "operator")
    add_user(db, "supervisor", "supervisor")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    url = f"/console/calls/{call.id}/recording"
    first, second = logged_in(app, "operator"), logged_in(app, "supervisor")
    fake.hold = "start"
    with ThreadPoolExecutor(2) as pool:
        try:
            slow = pool.submit(first.get, url, buffered=True)  # read in its thread, as a server would
            assert fake.arrived.acquire(timeout=WAIT)  # Twilio has the first request and sits on it
            started = time.monotonic()
            refused = pool.submit(second.get, url, buffered=True).result(timeout=WAIT)
            assert time.monotonic() - started < 1.0  # not queued behind the slow one
            assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
            assert refused.mimetype == "text/plain" and refused.get_data(as_text=True).strip()
            assert len(fake.requests) == 1  # the refused one never reached Twilio
        finally:
            fake.go.set()
        assert slow.result(timeout=WAIT).data == AUDIO
    again = second.get(url)
    assert again.status_code == 200 and again.data == AUDIO and len(fake.requests) == 2


def test_upstream_errors_give_the_slot_back(make_app, fake, db):
    app = make_app(RECORDING_STREAMS=1)
    add_user(db, "operator", "operator")
    gone = add_call(db, recording_sid="RE" + "3" * 32,
                    recording_url="https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "3" * 32)
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    browser = logged_in(app)
    for status, answer in ((404, 404), (500, 502), (404, 404)):
        fake.status = status
        assert browser.get(f"/console/calls/{gone.id}/recording").status_code == answer
    fake.status = None
    assert browser.get(f"/console/calls/{call.id}/recording").data == AUDIO
    unreachable = make_app(RECORDING_STREAMS=1, TWILIO_API_BASE_URL="http://127.0.0.1:9")
    browser = logged_in(unreachable)
    for _ in range(2):
        assert browser.get(f"/console/calls/{call.id}/recording").status_code == 502


def test_a_player_that_stops_reading_midway_gives_its_slot_back(make_app, fake, db):
    app = make_app(RECORDING_STREAMS=1)
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    url = f"/console/calls/{call.id}/recording"
    browser = logged_in(app)

    def stop_midway():
        response = browser.get(url, buffered=False)
        first = next(iter(response.response))
        response.close()  # what the server does when the browser goes away: the response is closed
        return response.status_code, first

    def head_only():  # a body never read at all
        response = browser.client.head(url)
        response.close()
        return response.status_code, response.data

    fake.hold = "middle"
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(stop_midway).result(timeout=WAIT) == (200, AUDIO[:CHUNK])
        fake.hold = None
        assert pool.submit(browser.get, url, buffered=True).result(timeout=WAIT).data == AUDIO
        assert pool.submit(head_only).result(timeout=WAIT) == (200, b"")
        assert pool.submit(browser.get, url, buffered=True).result(timeout=WAIT).data == AUDIO


def test_a_stream_holds_no_database_connection(make_app, fake, db, config):
    if config.DATABASE_URL.startswith("sqlite"):
        pytest.skip("SQLite has no pool of connections to hold")
    app = make_app()
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    browser = logged_in(app)
    pool = app.extensions["engine"].pool
    fake.hold = "start"
    with ThreadPoolExecutor(1) as threads:
        try:
            seek = threads.submit(browser.get, f"/console/calls/{call.id}/recording", headers={"Range": "bytes=5-"},
                                  buffered=True)
            assert fake.arrived.acquire(timeout=WAIT)
            assert pool.checkedout() == 0
        finally:
            fake.go.set()
        assert seek.result(timeout=WAIT).data == AUDIO[5:]


def test_a_stored_url_that_is_not_twilios_gets_404_and_the_fake_is_never_asked(make_app, fake, db):
    app = make_app()
    add_user(db, "operator", "operator")
    browser = logged_in(app)
    for stored in ("https://evil.example/api.twilio.com" + PATH, "http://api.twilio.com" + PATH,
                   "https://api.twilio.com.evil.example" + PATH, fake.url + PATH):
        call = add_call(db, recording_sid=f"RE{len(stored)}{stored[8:12]}", recording_url=stored)
        assert browser.get(f"/console/calls/{call.id}/recording").status_code == 404, stored
    assert fake.requests == []
    twilios = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    assert browser.get(f"/console/calls/{twilios.id}/recording").data == AUDIO  # the fake was there to be asked
