"""The service as production runs it, on 127.0.0.1, for the fault-injection suite.

A private redis-server (never the machine's own on 6379), gunicorn as in the Procfile,
`python -m workers` and `python -m workers.relay`, all with HOTLINE_ENV=production and
real (not dry-run) SMS to a fake Twilio. Every process is started in its own session,
logs to a file, and is stopped - its whole tree, RQ's work horses included - when the
scenario ends, pass or fail.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from redis import Redis
from redis.exceptions import RedisError

from casework.config import ROOT

AUTH_TOKEN = "faults-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "f" * 32
FROM_NUMBER = "+15005550006"
OPERATOR = "+6621234567"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# Every setting hotline/config.py reads: the suite's processes get only the ones it sets.
CONFIG_NAMES = {"HOTLINE_ENV", "HOTLINE_INSTANCE_DIR", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PORT", "HOST",
                "WEB_CONCURRENCY"} | {name for name in os.environ if name.startswith(("TWILIO_", "ESCALATION_",
                                                                                     "OUTBOX_", "CONSOLE_", "API_"))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, seconds: float, what, interval: float = 0.25):
    """Poll `condition` until it returns something truthy; else AssertionError with `what()` (or `what`)."""
    deadline = time.monotonic() + seconds
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"after {seconds:.0f}s: {what() if callable(what) else what}")
        time.sleep(interval)


class Process:
    """One started process, its log, and a stop that leaves nothing behind."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.argv, self.log = name, argv, log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True, preexec_fn=_die_with_parent)
        self.pid = self.popen.pid
        self.killed = False  # on purpose: not a crash
        self.ready = lambda: True

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tree(self) -> list[psutil.Process]:
        try:
            me = psutil.Process(self.pid)
            return [me, *me.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill(self) -> list[int]:
        """SIGKILL the process and every descendant (an RQ horse sits in a process group of its own)."""
        self.killed = True
        victims = self.tree()
        for p in victims:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(victims, timeout=5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        return [p.pid for p in victims]

    def stop(self, grace: float = 10.0) -> None:
        victims = self.tree()
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(victims, timeout=grace)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(alive, timeout=5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Stack:
    def __init__(self, folder: Path, database_url: str, twilio_url: str, **settings):
        self.folder = folder
        self.database_url = database_url
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.spool = folder / "spool"
        self.processes: list[Process] = []
        self.redis_server: Process | None = None
        self.settings = {
            "HOTLINE_ENV": "production", "SECRET_KEY": "faults-" + "s" * 32, "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_FROM_NUMBER": FROM_NUMBER, "OPERATOR_DIAL_TARGET": OPERATOR,
            "TWILIO_API_BASE_URL": twilio_url, "REDIS_URL": self.redis_url, "DATABASE_URL": database_url,
            "SPOOL_DIR": str(self.spool), "OUTBOX_SWEEP_AFTER": "2", "HOTLINE_INSTANCE_DIR": str(folder),
            "PYTHONUNBUFFERED": "1",
            "PUBLIC_BASE_URL": "http://127.0.0.1",  # production needs one; start_web sets the web's own
            **settings,
        }
        self.public_url: str | None = None

    def env(self, **override) -> dict:
        base = {k: v for k, v in os.environ.items() if k not in CONFIG_NAMES and not k.startswith("PYTEST")}
        return {**base, **self.settings, **override}

    def _start(self, name: str, argv: list[str], **override) -> Process:
        process = Process(name, argv, self.env(**override), self.folder / f"{name}.log")
        self.processes.append(process)
        return process

    # --- Redis ------------------------------------------------------------------

    def start_redis(self) -> Process:
        """No persistence at all: a restart loses every queued job, as a crashed Redis without AOF does."""
        self.redis_server = Process("redis", ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                              "--save", "", "--appendonly", "no", "--dir", str(self.folder),
                                              "--loglevel", "warning"], self.env(), self.folder / "redis.log")
        self.processes.append(self.redis_server)
        wait_until(self.redis_up, 20, lambda: f"private redis-server on {self.redis_port} did not start:\n"
                                              + self.redis_server.tail())
        return self.redis_server

    def redis_up(self) -> bool:
        try:
            return bool(Redis.from_url(self.redis_url, socket_connect_timeout=0.5).ping())
        except RedisError:
            return False

    def crash_redis(self) -> None:
        assert self.redis_server is not None and self.redis_server.argv[0] == "redis-server"
        assert f"--port {self.redis_port}" in " ".join(self.redis_server.argv) and self.redis_port != 6379
        self.redis_server.kill()
        self.processes.remove(self.redis_server)

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)

    # --- the service's processes --------------------------------------------------

    def start_web(self, name: str = "web", wait: bool = True, **override) -> str:
        """gunicorn as in the Procfile; returns its base URL (also its PUBLIC_BASE_URL, which Twilio signs)."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        if self.public_url is None:
            self.public_url = url
            self.settings["PUBLIC_BASE_URL"] = url  # workers write the same console link
        process = self._start(name, [GUNICORN, "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                     "--timeout", "30", "--graceful-timeout", "20", "--no-control-socket"],
                              PUBLIC_BASE_URL=url, **override)
        process.ready = lambda: self.health(url) is not None
        if wait:
            self.wait_ready(process)
        return url

    @staticmethod
    def health(url: str) -> dict | None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=3) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:  # 503: up, database down
            return json.load(error)
        except (OSError, ValueError):
            return None

    def start_worker(self, name: str, wait: bool = True) -> Process:
        process = self._start(name, [PYTHON, "-m", "workers"])
        process.ready = lambda: process.pid in self._worker_pids()
        if wait:
            self.wait_ready(process)
        return process

    def start_relay(self, wait: bool = True) -> Process:
        process = self._start("relay", [PYTHON, "-m", "workers.relay"])
        process.ready = lambda: "outbox relay started" in process.tail()
        if wait:
            self.wait_ready(process)
        return process

    def start_service(self, workers: int | None = None, relay: bool = True) -> str:
        """gunicorn, `workers` workers (FAULTS_WORKERS, default 2) and the relay, started together;
        the web's URL once all are up."""
        workers = workers or int(os.environ.get("FAULTS_WORKERS") or 2)
        url = self.start_web(wait=False)
        started = [self.processes[-1]] + [self.start_worker(f"worker-{n}", wait=False) for n in range(1, workers + 1)]
        if relay:
            started.append(self.start_relay(wait=False))
        self.wait_ready(*started)
        return url

    def wait_ready(self, *processes: Process, seconds: float = 90) -> None:
        for process in processes:
            wait_until(lambda process=process: not process.alive() or process.ready(), seconds,
                       lambda process=process: f"{process.name} did not come up:\n{process.tail()}")
            assert process.alive(), f"{process.name} exited:\n{process.tail()}"

    def _worker_pids(self) -> set[int]:
        from rq import Worker

        try:
            return {w.pid for w in Worker.all(connection=self.redis())}
        except RedisError:
            return set()

    def current_jobs(self) -> dict[int, str | None]:
        """Worker pid -> the id of the job it runs now (RQ's own record)."""
        from rq import Worker

        try:
            return {w.pid: w.get_current_job_id() for w in Worker.all(connection=self.redis())}
        except RedisError:
            return {}

    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.name.startswith("worker") and p.alive()]

    def dead(self) -> list[str]:
        return [f"{p.name} (exit {p.popen.returncode})" for p in self.processes if not p.killed and not p.alive()]

    def logs(self, chars: int = 2500) -> str:
        return "\n".join(f"----- {p.name} (pid {p.pid}) -----\n{p.tail(chars)}" for p in self.processes)

    def stop(self) -> None:
        """The service's processes first (all asked at once), the private redis-server last."""
        service = [p for p in self.processes if p is not self.redis_server]
        victims = {p.name: p.tree() for p in service}
        for process in service:
            if process.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs([v for tree in victims.values() for v in tree], timeout=15)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        for process in service:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)
        if self.redis_server is not None and self.redis_server in self.processes:
            self.redis_server.stop()
        self.processes.clear()


try:  # loaded here, not in the forked child (dlopen after fork with threads about can deadlock)
    _prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL when the test run itself dies (Linux PR_SET_PDEATHSIG),
    so even a killed pytest leaves no service process behind; a failing test is cleaned up by Stack.stop."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)
