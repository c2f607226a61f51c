"""`python -m workers`: an RQ worker on urgent, default, sms (in that order), scheduler on."""
from __future__ import annotations

import logging

from rq import Worker
from rq.serializers import JSONSerializer

from hotline.config import Config

from .queues import ALL, connect, queue


def preload() -> None:
    """Import what jobs need once, here: RQ forks a work horse per job, and a horse that has to
    import SQLAlchemy, phonenumbers' geodata, twilio and geothai itself spends seconds on it per job."""
    import geothai

    from . import jobs, sms  # noqa: F401

    geothai.province("10"), geothai.district("1001")  # their tables load on first use


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    config = Config.from_env()
    preload()
    redis = connect(config.REDIS_URL)
    if redis is None:
        raise SystemExit("REDIS_URL is not set: the worker needs Redis (the embedded runner sets it)")
    worker = Worker([queue(name, redis) for name in ALL], connection=redis, serializer=JSONSerializer)
    worker.work(with_scheduler=True)


if __name__ == "__main__":
    main()
