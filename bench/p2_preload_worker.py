"""Benchmark P2's what-if worker: `python -m workers`, with everything a job's first run pays for
done once in the parent before RQ forks, so each work horse inherits it instead of redoing it.

Not the production entry point: `bench/p2_escalation_latency.py --worker preload` runs this in
place of the Procfile's `worker` to measure what a fuller preload in workers/__main__.py would buy.
The worker itself is the app's own `workers.__main__.main` (same Worker class, queues, serializer,
scheduler, and whatever preload it already does); this only adds, in the parent:

- the jobs' modules (`workers.jobs`, `workers.sms`, geothai's tables): RQ imports the job function
  in the horse, so a parent that never imported them makes every horse import SQLAlchemy,
  the models and phonenumbers' geodata (seconds per job on 2 cores);
- the worker's engine (`workers.db.sessions()`, NullPool: it holds no connection, so it is safe
  to fork), which imports psycopg through SQLAlchemy's dialect;
- `sqlalchemy.orm.configure_mappers()`: otherwise the first query of every horse configures all
  mappers again (~40 % of a horse's time once the modules are preloaded);
- `twilio.rest.api`, which the Twilio client imports lazily on `client.api`/`client.messages`.
"""
from __future__ import annotations

import logging
import time


def preload() -> float:
    started = time.perf_counter()
    import geothai
    import twilio.rest.api  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    import workers.jobs  # noqa: F401
    import workers.sms  # noqa: F401
    from workers.db import sessions

    geothai.province("10"), geothai.district("1001")  # their tables load on first use
    sessions()  # the engine: NullPool, no connection is opened here
    configure_mappers()
    return time.perf_counter() - started


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    seconds = preload()
    logging.getLogger("p2").info("preloaded in %.0f ms", seconds * 1000)
    from workers.__main__ import main as worker_main

    worker_main()


if __name__ == "__main__":
    main()
