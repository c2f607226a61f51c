"""`python -m workers`: an RQ worker on urgent, default, sms (in that order), scheduler on."""
from __future__ import annotations

import gc
import logging
import signal
import time

from redis.exceptions import RedisError
from rq import Worker
from rq.serializers import JSONSerializer

from hotline import logs
from hotline.config import Config

from .db import release
from .queues import ALL, connect, queue

log = logging.getLogger("workers")
PAUSE = 2.0  # seconds between attempts to reach Redis again


def preload() -> None:
    """Do once, here, what every job would otherwise pay for: RQ forks a work horse per job, and a
    horse that has to import SQLAlchemy, phonenumbers, twilio and geothai, build the engine and
    configure the mappers spends from a second (idle) to several (busy) on it before the job starts."""
    import geothai
    import twilio.rest.api  # noqa: F401  (the Twilio client imports it lazily, on first use)
    from sqlalchemy.orm import configure_mappers

    from . import jobs, sms  # noqa: F401
    from .db import sessions
    from .warmup import warm_up

    geothai.province("10"), geothai.district("1001")  # their tables load on first use
    configure_mappers()
    # Compiles the jobs' SQL once here, for every horse (a rolled-back rehearsal); closes its connection.
    warm_up(sessions())
    # Every horse would otherwise run a full collection over the ~120k objects it inherits (bench P3:
    # half of a job's CPU), which also touches, hence copies, their pages.
    gc.collect()
    gc.freeze()


class HotlineWorker(Worker):
    """RQ's worker, except that the work horse ignores SIGTERM. RQ already puts the horse in its own
    process group, but a supervisor that signals every process it started (systemd's default
    KillMode=control-group) would still kill the job midway. The worker itself gets SIGTERM, lets the
    horse finish (warm shutdown) and stops; a second SIGTERM, or SIGKILL, still stops both at once."""

    def setup_work_horse_signals(self):
        super().setup_work_horse_signals()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def perform_job(self, job, queue, execution) -> bool:
        try:
            return super().perform_job(job, queue, execution)
        finally:
            release()  # the job's pooled connection: a horse ends with os._exit, which would not close it


def main() -> None:
    config = Config.from_env()
    logs.setup("worker", config.LOG_LEVEL, config.LOG_FORMAT)
    preload()
    redis = connect(config.REDIS_URL)
    if redis is None:
        raise SystemExit("REDIS_URL is not set: the worker needs Redis (the embedded runner sets it)")
    # RQ's work loop quits, or raises from its teardown, when Redis goes away in the middle of a
    # job (it only waits out an outage while idle). Outlive the outage: start a new worker once
    # Redis answers again, until a stop is asked for (SIGTERM, Ctrl-C).
    while not STOPPING:
        worker = HotlineWorker([queue(name, redis) for name in ALL], connection=redis, serializer=JSONSerializer)
        try:
            worker.work(with_scheduler=True)
        except RedisError as error:
            log.error("Redis failed under the worker (%s)", error)
        if worker._shutdown_requested_date is not None:
            return
        _listen_for_stop()  # RQ's handlers belong to the worker that just ended
        if STOPPING:
            return
        log.error("the worker loop ended without a stop request; starting it again when Redis answers")
        if not _wait_for(redis):
            return


STOPPING: list[int] = []  # signals received between two RQ workers


def _listen_for_stop() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: STOPPING.append(number))


def _wait_for(redis) -> bool:
    """Wait until Redis answers (True) or a stop is asked for (False)."""
    while not STOPPING:
        time.sleep(PAUSE)
        try:
            redis.ping()
            return not STOPPING
        except RedisError:
            continue
    return False


if __name__ == "__main__":
    main()
