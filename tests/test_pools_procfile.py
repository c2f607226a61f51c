"""The Procfile's two gunicorn pools as they run in production: while every thread of the console's pool waits on
a voice message Twilio is slow to send, a caller's webhook is still answered at once by the webhook pool."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from helpers.console_support import FAST_HASH, PASSWORD
from helpers.fake_twilio_media import ACCOUNT, AUDIO, RECORDING, FakeTwilioMedia
from helpers.support import AUTH_TOKEN, call_params, migrate
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from casework.config import ROOT
from models import Call, User, utcnow

pytestmark = pytest.mark.slow
THREADS = 2  # the console pool's only worker, and its threads: each one held by a slow recording


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name.strip(): command.strip() for name, command in (line.split(":", 1) for line in lines if ":" in line)}


def seed(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        session.add(User(username="supervisor", password_hash=FAST_HASH, role="supervisor", language="en", active=True,
                         provinces=[]))
        call = Call(call_sid="CA" + "3" * 32, status="completed", language="th", ivr_path=[], started_at=utcnow(),
                    recording_sid="RE" + "2" * 32, recording_url=RECORDING, recording_duration=12)
        session.add(call)
        session.commit()
        call_id = call.id
    engine.dispose()
    return call_id


def wait_for(url: str, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()}")


def niceness(master: int) -> tuple[int, int]:
    """(the niceness of a pool's workers, of its session's scheduling group where the kernel has one)."""
    workers = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    nice = {int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[16]) for pid in workers}
    assert len(nice) == 1, nice
    value, group = nice.pop(), Path(f"/proc/{master}/autogroup")
    return value, int(group.read_text().split()[-1]) if group.exists() else value


def logged_in(base: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/console/login", timeout=5).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = browser.post(f"{base}/console/login", data={"csrf_token": token, "username": "supervisor",
                                                         "password": PASSWORD}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return browser


def test_a_webhook_is_answered_while_every_console_thread_waits_on_twilio(tmp_path):
    database = f"sqlite:///{tmp_path / 'hotline.db'}"
    migrate(database)
    call_id = seed(database)
    fake = FakeTwilioMedia()
    web_port, voice_port = free_port(), free_port()
    env = {"PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin", "HOTLINE_ENV": "test", "DATABASE_URL": database,
           "SECRET_KEY": "pools-test", "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "TWILIO_API_BASE_URL": fake.url, "OPERATOR_DIAL_TARGET": "+6620000000", "HOST": "127.0.0.1",
           "PORT": str(web_port), "VOICE_PORT": str(voice_port), "WEB_CONCURRENCY": "1", "WEB_THREADS": str(THREADS),
           "RECORDING_STREAMS": str(THREADS), "VOICE_CONCURRENCY": "1", "SPOOL_DIR": str(tmp_path / "spool"),
           "TMPDIR": str(tmp_path)}
    commands = procfile()
    processes, logs = {}, {}
    try:
        for name in ("web", "voice"):
            logs[name] = tmp_path / f"{name}.log"
            processes[name] = subprocess.Popen(["bash", "-c", "exec " + commands[name]], cwd=ROOT, env=env,
                                               stdout=logs[name].open("wb"), stderr=subprocess.STDOUT,
                                               start_new_session=True)
        web, voice = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{voice_port}"
        wait_for(f"{web}/healthz", processes["web"], logs["web"])
        wait_for(f"{voice}/healthz", processes["voice"], logs["voice"])
        assert requests.get(f"{voice}/healthz", timeout=5).json()["pool"] == "webhooks"
        assert niceness(processes["web"].pid) == (10, 10) and niceness(processes["voice"].pid) == (0, 0)
        assert requests.get(f"{voice}/console/login", timeout=5).status_code == 404  # nothing of the console there
        browser = logged_in(web)

        fake.hold = "start"  # Twilio takes its time over every voice message
        with ThreadPoolExecutor(THREADS + 1) as pool:
            listening = [pool.submit(browser.get, f"{web}/console/calls/{call_id}/recording", timeout=30)
                         for _ in range(THREADS)]
            for _ in range(THREADS):
                assert fake.arrived.acquire(timeout=10), "the console did not ask Twilio"
            # Every thread of the console's pool is taken: the next page waits in its queue...
            waiting = pool.submit(requests.get, f"{web}/healthz", timeout=30)
            time.sleep(1.5)
            assert not waiting.done(), "the console pool had a free thread: the test proves nothing"
            # ...while a caller's first webhook is answered by its own pool at once.
            url = f"{voice}/voice/incoming"
            form = call_params("CA" + "4" * 32)
            signature = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
            started = time.monotonic()
            answer = requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=5)
            took = time.monotonic() - started
            assert answer.status_code == 200 and "<Gather" in answer.text, answer.text
            assert took < 1.0, f"the webhook took {took:.2f} s"
            assert not waiting.done()
            fake.go.set()
            assert [future.result(timeout=30).content for future in listening] == [AUDIO] * THREADS
            assert waiting.result(timeout=30).status_code == 200
    finally:
        fake.close()
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_the_procfile_serves_webhooks_and_people_from_pools_of_their_own():
    commands = procfile()
    assert "HOTLINE_POOL=webhooks" in commands["voice"] and "VOICE_PORT" in commands["voice"]
    assert "HOTLINE_POOL" not in commands["web"] and "${PORT" in commands["web"]
