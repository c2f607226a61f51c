"""`python -m workers`: an RQ worker on urgent, default, sms (in that order), scheduler on."""
from __future__ import annotations

import gc
import logging
import signal
import time

from redis.exceptions import RedisError
from rq.serializers import JSONSerializer

from casework import logs
from casework.config import settings_or_exit

from . import runtime
from .queues import ALL, queue
from .worker import HotlineWorker

log = logging.getLogger("workers")
PAUSE = 2.0  # seconds between attempts to reach Redis again


def preload(context: runtime.Context) -> None:
    """Do once, here, what every job would otherwise pay for: RQ forks a work horse per job, and a
    horse that has to import SQLAlchemy, phonenumbers, twilio and geothai, build the engine and
    configure the mappers spends from a second (idle) to several (busy) on it before the job starts."""
    import geothai
    import twilio.rest.api  # noqa: F401  (the Twilio client imports it lazily, on first use)
    from sqlalchemy.orm import configure_mappers

    from . import jobs, twilio_sms  # noqa: F401
    from .warmup import warm_up

    geothai.province("10"), geothai.district("1001")  # their tables load on first use
    configure_mappers()
    # Compiles the jobs' SQL once here, for every horse (a rolled-back rehearsal); closes its connection.
    warm_up(context)
    # Every horse would otherwise run a full collection over the ~120k objects it inherits (bench P3:
    # half of a job's CPU), which also touches, hence copies, their pages.
    gc.collect()
    gc.freeze()


def main() -> None:
    config = settings_or_exit("worker")
    logs.setup("worker", config.LOG_LEVEL, config.LOG_FORMAT)
    context = runtime.start(config)
    preload(context)
    redis = context.redis
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
        if worker.stop_requested:
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
