"""Benchmark P3's worker: the app's `python -m workers`, in burst mode.

The same Worker class (`HotlineWorker`, RQ's forking `rq.Worker`, a work horse per job), the same queues in the same
order, the same JSONSerializer, the same context and logging and the same `workers.__main__.preload()`; only
`work(burst=True)`, so it exits once the queues are empty. `bench.p3_noop` is imported here too, so
the baseline's (and the floor's) horses find their job functions loaded, as the app's find theirs.
"""
from __future__ import annotations

import logging

from rq.serializers import JSONSerializer

import bench.p3_noop  # noqa: F401
from casework.config import Config
from workers import runtime
from workers.__main__ import preload
from workers.queues import ALL, queue
from workers.worker import HotlineWorker


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    context = runtime.start(Config.from_env())
    preload(context)
    redis = context.redis
    worker = HotlineWorker([queue(name, redis) for name in ALL], connection=redis, serializer=JSONSerializer)
    worker.work(burst=True, with_scheduler=True)


if __name__ == "__main__":
    main()
