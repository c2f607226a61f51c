"""`python -m workers`: an RQ worker on urgent, default, sms (in that order), scheduler on."""
from __future__ import annotations

import logging
import signal
import time

from redis.exceptions import RedisError
from rq import Worker
from rq.serializers import JSONSerializer

from hotline.config import Config

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

    geothai.province("10"), geothai.district("1001")  # their tables load on first use
    sessions()  # NullPool: builds the engine and loads the dialect, opens no connection to inherit
    configure_mappers()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs request headers at INFO
    config = Config.from_env()
    preload()
    redis = connect(config.REDIS_URL)
    if redis is None:
        raise SystemExit("REDIS_URL is not set: the worker needs Redis (the embedded runner sets it)")
    # RQ's work loop quits, or raises from its teardown, when Redis goes away in the middle of a
    # job (it only waits out an outage while idle). Outlive the outage: start a new worker once
    # Redis answers again, until a stop is asked for (SIGTERM, Ctrl-C).
    while True:
        worker = Worker([queue(name, redis) for name in ALL], connection=redis, serializer=JSONSerializer)
        try:
            worker.work(with_scheduler=True)
        except RedisError as error:
            log.error("Redis failed under the worker (%s)", error)
        if worker._shutdown_requested_date is not None:
            return
        log.error("the worker loop ended without a stop request; starting it again when Redis answers")
        if not _wait_for(redis):
            return


def _wait_for(redis) -> bool:
    """Wait until Redis answers (True) or a stop is asked for (False)."""
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    while not stopping:
        time.sleep(PAUSE)
        try:
            redis.ping()
            return not stopping
        except RedisError:
            continue
    return False


if __name__ == "__main__":
    main()
