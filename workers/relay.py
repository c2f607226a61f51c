"""The outbox relay: every few seconds, enqueue what the web process could not, replay
webhooks spooled to disk while the database was down, and re-arm overdue SLA checks."""
from __future__ import annotations

import logging
import signal
import time

from hotline import logs
from hotline.config import Config
from hotline.telephony import spool

from . import outbox
from .db import sessions
from .jobs import enqueue_overdue_checks
from .queues import connect

log = logging.getLogger(__name__)


def run_once(config: Config) -> tuple[int, int]:
    from hotline.telephony.intake import replay_spooled

    session_factory = sessions(config.DATABASE_URL)
    redis = connect(config.REDIS_URL)
    job_ids: list[str] = []
    replayed = spool.replay(config.SPOOL_DIR,
                            lambda record: job_ids.extend(replay_spooled(session_factory, record, config)))
    with session_factory() as session:
        outbox.dispatch(session, redis, job_ids)
        swept = outbox.sweep(session, redis, config.OUTBOX_SWEEP_AFTER)
        swept += enqueue_overdue_checks(session, redis)  # SLA timers a Redis restart may have lost
    return replayed, swept


def main(interval: float = 10.0) -> None:
    config = Config.from_env()
    logs.setup("relay", config.LOG_LEVEL, config.LOG_FORMAT)
    stopping = []  # SIGTERM (honcho, a supervisor) or Ctrl-C: finish the pass, then exit
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    log.info("outbox relay started (sweep after %ss)", config.OUTBOX_SWEEP_AFTER)
    while not stopping:
        try:
            replayed, swept = run_once(config)
            if replayed or swept:
                log.info("replayed %d spooled webhooks, enqueued %d outbox items", replayed, swept)
        except Exception:  # the relay must outlive a database or Redis outage
            log.exception("relay pass failed; trying again in %ss", interval)
        wake_at = time.monotonic() + interval
        while not stopping and time.monotonic() < wake_at:
            time.sleep(0.2)  # short naps, so a stop request is honoured at once
    log.info("outbox relay stopped")


if __name__ == "__main__":
    main()
