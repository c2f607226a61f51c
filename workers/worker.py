"""The worker class `python -m workers` runs: RQ's, with each job's id in its log lines and its pooled
connection closed after it, and a work horse that outlives SIGTERM."""
from __future__ import annotations

import signal

from rq import SimpleWorker, Worker

from casework import logs

from .db import release


class JobsLogged:
    """Every line a job logs carries its job id; its pooled connection is closed when it ends."""

    def perform_job(self, job, queue, execution) -> bool:
        token = logs.bind(job_id=job.id)
        try:
            return super().perform_job(job, queue, execution)
        finally:
            logs.reset(token)
            release()  # a horse ends with os._exit, which would not close it


class HotlineWorker(JobsLogged, Worker):
    """RQ's worker, except that the work horse ignores SIGTERM. RQ already puts the horse in its own
    process group, but a supervisor that signals every process it started (systemd's default
    KillMode=control-group) would still kill the job midway. The worker itself gets SIGTERM, lets the
    horse finish (warm shutdown) and stops; a second SIGTERM, or SIGKILL, still stops both at once."""

    stop_requested = False

    def handle_warm_shutdown_request(self):
        self.stop_requested = True  # RQ's work loop returns; `main` must not start another
        super().handle_warm_shutdown_request()

    def setup_work_horse_signals(self):
        super().setup_work_horse_signals()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


class InProcessWorker(JobsLogged, SimpleWorker):
    """The same jobs, run in this process (tests, a burst by hand)."""
