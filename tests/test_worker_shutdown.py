"""SIGTERM to a worker in the middle of a job: the job finishes, then the worker exits - whether the
signal goes to the worker alone (Docker, Kubernetes), to its process group (honcho) or to every process
it started, the work horse included (systemd's default KillMode=control-group)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from redis import Redis
from rq.job import JobStatus

from casework.config import ROOT
from workers.queues import DEFAULT, queue

pytestmark = pytest.mark.slow
JOB_SECONDS = 3


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.parametrize("to", ["worker", "process group", "every process"])
def test_a_worker_finishes_its_job_on_sigterm_then_stops(sqlite_url, redis_url, tmp_path, to):
    redis = Redis.from_url(redis_url)
    job = queue(DEFAULT, redis).enqueue("time.sleep", JOB_SECONDS, job_id="nap")
    env = {**os.environ, "HOTLINE_ENV": "test", "DATABASE_URL": sqlite_url, "REDIS_URL": redis_url, "LOG_FORMAT": "text"}
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_until(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 60, "the job to start")
        signalled = time.monotonic()
        if to == "process group":
            os.killpg(worker.pid, signal.SIGTERM)
        elif to == "every process":
            for process in [*psutil.Process(worker.pid).children(recursive=True), psutil.Process(worker.pid)]:
                process.send_signal(signal.SIGTERM)
        else:
            worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, (tmp_path / "worker.log").read_text()
        assert job.get_status(refresh=True) == JobStatus.FINISHED, (tmp_path / "worker.log").read_text()
        assert time.monotonic() - signalled < JOB_SECONDS + 10
    finally:
        if worker.poll() is None:
            for process in [*psutil.Process(worker.pid).children(recursive=True), psutil.Process(worker.pid)]:
                process.kill()
            worker.wait()
