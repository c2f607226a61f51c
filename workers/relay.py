"""The outbox relay: every few seconds, enqueue what the web process could not, replay
webhooks spooled to disk while the database was down, and re-arm overdue SLA checks;
every REPORTS_RECOUNT_EVERY seconds, enqueue a recount of the reports' summary (casework/summary.py);
once an hour, see whether the day's retention run is due (casework/retention.py)."""
from __future__ import annotations

import logging
import signal
import time

from rq.exceptions import DuplicateJobError
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer

from casework import desk_line, logs, retention, spool, summary, training, work
from casework.config import Config, settings_or_exit

from . import dispatch
from .db import sessions
from .jobs import enqueue_overdue_checks, recount_reports, run_retention
from .queues import ALL, connect, queue

log = logging.getLogger(__name__)
RETENTION_LOOK_EVERY = 3600.0  # seconds between looks at whether the day's retention run is due
SIMULATOR_LOOK_EVERY = 60.0  # seconds between looks for abandoned simulator calls


def run_once(config: Config) -> tuple[int, int]:
    session_factory = sessions(config.DATABASE_URL)
    redis = connect(config.REDIS_URL)
    job_ids: list[str] = []
    replayed = spool.replay(config.SPOOL_DIR,
                            lambda record: job_ids.extend(spool.write(session_factory, record, config)))
    if config.desk:
        with session_factory.begin() as session:
            job_ids += desk_line.sweep(session, config)
    with session_factory() as session:
        dispatch.dispatch(session, redis, job_ids)
        swept = dispatch.sweep(session, redis, config.OUTBOX_SWEEP_AFTER)
        swept += enqueue_overdue_checks(session, redis)  # SLA timers a Redis restart may have lost
    if redis is not None:
        move_due_jobs(redis)
    return replayed, swept


def end_abandoned_simulator_calls(config: Config, now=None) -> int:
    with sessions(config.DATABASE_URL)() as session:
        return training.end_abandoned_calls(session, config.SIMULATOR_CALL_IDLE, now)


def schedule_retention(config: Config, now=None) -> bool:
    """The hourly look: enqueue today's retention run once its Bangkok hour has come, if it has not run yet."""
    redis = connect(config.REDIS_URL)
    if redis is None:
        return False
    with sessions(config.DATABASE_URL)() as session:
        day = retention.due_day(session, config, now)
    if day is None:
        return False
    daily = work.run_retention(day)
    try:  # a run may take long (a Twilio request per recording and per call); a failed one is tried again next hour
        queue(daily.queue, redis).enqueue(run_retention, day, job_id=daily.job_id, unique=True, job_timeout=3600,
                                          result_ttl=3600, failure_ttl=3000)
    except DuplicateJobError:
        return False
    return True


def schedule_report_counts(config: Config, now=None) -> str | None:
    """Enqueue the summary's recount that is due (the recent periods, or tonight's full one); its job id, or
    None when it is queued already (or there is no Redis)."""
    redis = connect(config.REDIS_URL)
    if redis is None:
        return None
    with sessions(config.DATABASE_URL)() as session:
        due = summary.due(session, config, now)
    try:  # a failed full recount is tried again once its failure has expired
        queue(due.queue, redis).enqueue(recount_reports, *due.args, job_id=due.job_id, unique=True, job_timeout=1800,
                                        result_ttl=600, failure_ttl=1800)
    except DuplicateJobError:
        return None
    return due.job_id


def move_due_jobs(redis) -> bool:
    """Stand in for RQ's scheduler while no worker runs it: a worker killed while holding its lock
    leaves scheduled jobs (Retry back-offs, SLA checks) waiting for another worker's maintenance
    pass, up to 10 minutes. The lock lapses after a minute; then the relay moves what is due."""
    scheduler = RQScheduler(ALL, redis, serializer=JSONSerializer)
    if not scheduler.acquire_locks():
        return False  # a live worker's scheduler has it
    try:
        scheduler.enqueue_scheduled_jobs()
    finally:
        scheduler.release_locks()
    return True


def main(interval: float = 10.0) -> None:
    config = settings_or_exit("relay")
    logs.setup("relay", config.LOG_LEVEL, config.LOG_FORMAT)
    stopping = []  # SIGTERM (honcho, a supervisor) or Ctrl-C: finish the pass, then exit
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    log.info("outbox relay started (sweep after %ss)", config.OUTBOX_SWEEP_AFTER)
    retention_look_at = reports_look_at = simulator_look_at = 0.0
    while not stopping:
        try:
            replayed, swept = run_once(config)
            if replayed or swept:
                log.info("replayed %d spooled webhooks, enqueued %d outbox items", replayed, swept)
            if time.monotonic() >= retention_look_at:
                retention_look_at = time.monotonic() + RETENTION_LOOK_EVERY
                if schedule_retention(config):
                    log.info("today's retention run enqueued")
            if time.monotonic() >= reports_look_at:
                reports_look_at = time.monotonic() + config.REPORTS_RECOUNT_EVERY
                schedule_report_counts(config)
            if time.monotonic() >= simulator_look_at:
                simulator_look_at = time.monotonic() + SIMULATOR_LOOK_EVERY
                if ended := end_abandoned_simulator_calls(config):
                    log.info("ended %d abandoned simulator call(s)", ended)
        except Exception:  # the relay must outlive a database or Redis outage
            log.exception("relay pass failed; trying again in %ss", interval)
        wake_at = time.monotonic() + interval
        while not stopping and time.monotonic() < wake_at:
            time.sleep(0.2)  # short naps, so a stop request is honoured at once
    log.info("outbox relay stopped")


if __name__ == "__main__":
    main()
