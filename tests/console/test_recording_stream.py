"""A voice message streamed from a real local server standing in for Twilio (TWILIO_API_BASE_URL): the fetch
goes there with the account's credentials, and at most RECORDING_STREAMS of them run at once per process."""
from __future__ import annotations

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from helpers.console_support import Browser, add_call, add_user
from helpers.fake_twilio_media import ACCOUNT, AUDIO, CHUNK, PATH, RECORDING, WAIT, FakeTwilioMedia

from casework.config import Config


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
    for status, answer in ((404, 404), (500, 503), (401, 502), (404, 404)):
        fake.status = status
        assert browser.get(f"/console/calls/{gone.id}/recording").status_code == answer
    fake.status = None
    assert browser.get(f"/console/calls/{call.id}/recording").data == AUDIO
    unreachable = make_app(RECORDING_STREAMS=1, TWILIO_API_BASE_URL="http://127.0.0.1:9")
    browser = logged_in(unreachable)
    for _ in range(2):
        assert browser.get(f"/console/calls/{call.id}/recording").status_code == 503


def test_twilio_down_is_a_503_that_says_so_and_when_to_try_again(make_app, fake, db):
    app = make_app()
    add_user(db, "operator", "operator")
    call = add_call(db, recording_sid="RE" + "2" * 32, recording_url=RECORDING)
    browser = logged_in(app)
    fake.status = 500
    response = browser.get(f"/console/calls/{call.id}/recording")
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "Twilio, which keeps the recordings, did not answer. Try again in a minute." in response.get_data(as_text=True)
    response = browser.get(f"/console/calls/{call.id}/recording", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.json["error"] == "twilio_unavailable"
    page = browser.get(f"/console/calls/{call.id}").get_data(as_text=True)
    assert "<audio" in page and "no Twilio credentials" not in page  # with credentials the player is there


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


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite has no pool of connections to hold
def test_a_stream_holds_no_database_connection(make_app, fake, db, config):
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
